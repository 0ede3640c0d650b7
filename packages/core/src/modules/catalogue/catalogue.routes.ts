import { Type, type PluginRouter, type TSchema } from '@laurel/plugin-sdk';
import type { TLiteral, TUnion } from 'typebox';
import { LIMIT_PERIODS, ORDER_STATUSES, REWARD_STATUSES, REWARD_TYPES, SUPPLIER_STATUSES } from './catalogue.entity.ts';
import { NOT_ORDERABLE_REASONS, type CatalogueService } from './catalogue.service.ts';

const Uuid = Type.String({ format: 'uuid' });
/** A union of string literals, typed as such (a mapped array alone would make TypeBox infer never). */
function literals<const T extends readonly string[]>(values: T, description?: string): TUnion<{ -readonly [K in keyof T]: TLiteral<T[K]> }> {
  return Type.Union(values.map((v) => Type.Literal(v)) as TSchema[], description ? { description } : {}) as never;
}
const RewardTypeSchema = literals(REWARD_TYPES);
const RewardStatusSchema = literals(REWARD_STATUSES, 'draft: not offered yet; active: offered to partners; retired: no longer offered');
const OrderStatusSchema = literals(ORDER_STATUSES);
const Text = Type.String({ minLength: 1, maxLength: 2000 });
const Localized = Type.Object({ en: Text, pl: Text, ru: Text }, { additionalProperties: false, description: 'The same text in English, Polish and Russian' });
const Cash = Type.Object(
  { amountMinor: Type.Integer({ minimum: 1, maximum: 100_000_000_00, description: 'Cash co-pay in minor units (grosze, cents)' }), currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217' }) },
  { additionalProperties: false },
);
const Limit = Type.Object(
  { quantity: Type.Integer({ minimum: 1, maximum: 10_000 }), period: literals(LIMIT_PERIODS, 'Calendar period in the program time zone, or ever') },
  { additionalProperties: false, description: 'At most this many per partner per period' },
);
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** A fulfilment provider's id: the built-in manual, voucher-pool and supplier, or a plugin's `<plugin id>.<name>`. */
const FulfilmentId = (description?: string) => Type.String({ pattern: '^[a-z][a-z0-9-]{0,39}(\\.[a-z0-9][a-z0-9-]{0,39})?$', ...(description ? { description } : {}) });
const FulfilmentSettings = Type.Record(Type.String(), Type.Unknown(), { description: "The reward's settings for its provider (see the provider's settings schema)" });
const ProviderSchema = Type.Object({
  id: Type.String(),
  label: Type.String({ description: 'In the caller language' }),
  rewardTypes: Type.Array(RewardTypeSchema),
  builtIn: Type.Boolean(),
  settings: Nullable(Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema of the settings a reward gives the provider (null: none)' })),
});

const AltText = Type.Object(
  { en: Type.Optional(Type.String({ maxLength: 300 })), pl: Type.Optional(Type.String({ maxLength: 300 })), ru: Type.Optional(Type.String({ maxLength: 300 })) },
  { additionalProperties: false, description: 'Alternative text per language (optional; the portal falls back to the reward name)' },
);
const ImageSchema = Type.Object({
  id: Uuid,
  url: Type.String({ description: 'The bytes, by content hash: cached as immutable' }),
  contentType: literals(['image/png', 'image/jpeg', 'image/webp'] as const),
  size: Type.Integer({ description: 'Bytes' }),
  sha256: Type.String(),
  position: Type.Integer({ description: '0 is shown first' }),
  alt: AltText,
});
const ImageList = Type.Object({ items: Type.Array(ImageSchema) });

const RewardSchema = Type.Object({
  id: Uuid,
  programId: Uuid,
  sku: Type.String(),
  type: RewardTypeSchema,
  name: Localized,
  description: Localized,
  category: Type.String(),
  pricePoints: Type.Integer(),
  cash: Nullable(Cash),
  availableFrom: Nullable(DateTime),
  availableTo: Nullable(DateTime),
  limit: Nullable(Limit),
  stock: Type.Union([Type.Integer(), Type.Null()], { description: 'Units left to order; null: unlimited. For a voucher pool, the codes not yet given out' }),
  fulfilment: FulfilmentId('The fulfilment provider: manual (an admin ships or hands it over), voucher-pool (a code from the imported pool), supplier (a signed HTTP request to an outside supplier), or a plugin provider'),
  fulfilmentSettings: FulfilmentSettings,
  supplierId: Type.Union([Uuid, Type.Null()], { description: 'The supplier that fulfils it (fulfilment supplier)' }),
  labels: Type.Array(Type.String(), { description: "Tier labels: only partners whose tier's catalogue benefit lists one may order it (empty: every tier)" }),
  segments: Type.Array(Type.String(), { description: 'Partner segments that see and may order it (empty: every partner)' }),
  approvalRequired: Type.Boolean(),
  status: RewardStatusSchema,
  images: Type.Array(ImageSchema, { description: 'In the order shown' }),
  createdAt: DateTime,
  updatedAt: DateTime,
});

const rewardBody = {
  type: RewardTypeSchema,
  name: Localized,
  description: Localized,
  category: Type.String({ minLength: 1, maxLength: 80 }),
  pricePoints: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
  cash: Type.Optional(Nullable(Cash)),
  availableFrom: Type.Optional(Nullable(DateTime)),
  availableTo: Type.Optional(Type.Union([DateTime, Type.Null()], { description: 'Exclusive' })),
  limit: Type.Optional(Nullable(Limit)),
  stock: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 10_000_000 }), Type.Null()], { description: 'null: unlimited; not for voucher pools (their stock is the imported codes)' })),
  labels: Type.Optional(Type.Array(Type.String({ maxLength: 40 }), { maxItems: 20, description: "Only partners whose tier's catalogue benefit lists one of these labels may order it; others see what unlocks it" })),
  segments: Type.Optional(Type.Array(Type.String({ maxLength: 80 }), { maxItems: 20, description: 'Only partners in one of these segments see it' })),
  approvalRequired: Type.Optional(Type.Boolean({ description: 'Every order of it waits for an admin (orders above the program threshold do anyway)' })),
  status: Type.Optional(RewardStatusSchema),
};

const { type: _type, ...patchBody } = rewardBody;

const OrderSchema = Type.Object({
  id: Uuid,
  programId: Uuid,
  partnerId: Uuid,
  userId: Nullable(Uuid),
  rewardId: Uuid,
  sku: Type.String(),
  rewardType: RewardTypeSchema,
  fulfilment: FulfilmentId(),
  quantity: Type.Integer(),
  points: Type.Integer(),
  cash: Nullable(Cash),
  holdId: Type.Union([Type.Integer(), Type.Null()], { description: 'The ledger hold (reservation entry) of the points' }),
  status: OrderStatusSchema,
  pointsState: literals(['reserved', 'captured', 'released'] as const),
  stockState: literals(['reserved', 'consumed', 'released'] as const),
  approvalRequired: Type.Boolean(),
  shipping: Nullable(Type.Record(Type.String(), Type.Unknown())),
  trackingNumber: Nullable(Type.String()),
  carrier: Nullable(Type.String()),
  supplierReference: Type.Union([Type.String(), Type.Null()], { description: "The supplier's own reference of the order (fulfilment supplier)" }),
  reason: Nullable(Type.String()),
  history: Type.Array(Type.Object({ at: DateTime, status: OrderStatusSchema, note: Type.Optional(Type.String()) })),
  workflowId: Type.String(),
  createdAt: DateTime,
  updatedAt: DateTime,
});
const OrderPage = Type.Object({ items: Type.Array(OrderSchema), nextBefore: Nullable(Uuid) });

const OfferItemSchema = Type.Object({
  reward: Type.Object({
    id: Uuid,
    sku: Type.String(),
    type: RewardTypeSchema,
    name: Type.String({ description: 'In the caller language' }),
    description: Type.String(),
    category: Type.String(),
    pricePoints: Type.Integer(),
    cash: Nullable(Cash),
    availableFrom: Nullable(DateTime),
    availableTo: Nullable(DateTime),
    limit: Nullable(Limit),
    stock: Nullable(Type.Integer()),
    fulfilment: FulfilmentId(),
    labels: Type.Array(Type.String()),
    images: Type.Array(Type.Object({ url: Type.String(), alt: Type.String({ description: 'In the caller language, else the reward name' }) }), { description: 'In the order shown' }),
  }),
  orderable: Type.Boolean(),
  reasons: Type.Array(Type.Object({ code: literals(NOT_ORDERABLE_REASONS), message: Type.String() })),
  remainingInPeriod: Nullable(Type.Integer()),
});

const ShippingSchema = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), street: Type.String({ minLength: 1, maxLength: 200 }), postalCode: Type.String({ minLength: 1, maxLength: 20 }), city: Type.String({ minLength: 1, maxLength: 100 }), country: Type.String({ pattern: '^[A-Z]{2}$' }), phone: Type.Optional(Type.String({ maxLength: 40 })) },
  { additionalProperties: false, description: 'Required for physical goods' },
);
const CheckoutSchema = Type.Object({ orders: Type.Array(OrderSchema), points: Type.Integer({ description: 'The points of all its orders' }), replayed: Type.Boolean() });
const OrderIdParams = Type.Object({ orderId: Uuid });
const SupplierIdParams = Type.Object({ supplierId: Uuid });
const SupplierUrl = Type.String({ minLength: 1, maxLength: 2000, description: 'https:// (http:// only to localhost)' });
const SupplierTimeout = Type.Integer({ minimum: 1000, maximum: 60_000, description: 'Milliseconds to wait for an answer (default 10000)' });
const SupplierSchema = Type.Object({
  id: Uuid,
  programId: Uuid,
  name: Type.String(),
  url: Type.String(),
  timeoutMs: Type.Integer(),
  status: literals(SUPPLIER_STATUSES, 'disabled: orders of its rewards fail instead of being sent'),
  createdAt: DateTime,
  updatedAt: DateTime,
});
const SupplierCallSchema = Type.Object({
  attempt: Type.Integer(),
  at: DateTime,
  statusCode: Type.Union([Type.Integer(), Type.Null()], { description: 'null: no HTTP answer (timeout, network)' }),
  durationMs: Type.Integer(),
  outcome: literals(['fulfilled', 'accepted', 'refused', 'failed'] as const),
  detail: Type.Union([Type.String(), Type.Null()], { description: "The supplier's reference, or the start of its error answer" }),
});
const Secret = Type.Object({ secret: Type.String({ description: 'whsec_…: shown once; verify webhook-signature with it (Standard Webhooks)' }) });
const RewardIdParams = Type.Object({ rewardId: Uuid });
const Comment = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false });
const Empty = Type.Object({}, { additionalProperties: false });

export function catalogueRoutes(catalogue: () => CatalogueService) {
  return (router: PluginRouter): void => {
    // ---- Admin: rewards ----
    router.post(
      '/rewards',
      {
        config: { access: 'catalogue:manage' },
        schema: {
          tags: ['catalogue'],
          summary: 'Add a reward (draft unless status says otherwise)',
          body: Type.Object({ programId: Uuid, sku: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }), fulfilment: Type.Optional(FulfilmentId('A provider of GET /fulfilment-providers; default: voucher-pool for vouchers, manual otherwise')), fulfilmentSettings: Type.Optional(FulfilmentSettings), supplierId: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'Required with fulfilment supplier' })), ...rewardBody }, { additionalProperties: false }),
          response: { 201: RewardSchema },
        },
      },
      async (request, reply) => reply.status(201).send(await catalogue().createReward(request.ctx, request.body)),
    );
    router.get(
      '/rewards',
      {
        config: { access: 'catalogue:manage' },
        schema: {
          tags: ['catalogue'],
          summary: 'Rewards of every status, newest first',
          querystring: Type.Object({ programId: Type.Optional(Uuid), status: Type.Optional(RewardStatusSchema), type: Type.Optional(RewardTypeSchema), q: Type.Optional(Type.String({ maxLength: 100 })) }),
          response: { 200: Type.Object({ items: Type.Array(RewardSchema) }) },
        },
      },
      async (request) => ({ items: await catalogue().listRewards(request.ctx, request.query) }),
    );
    router.get(
      '/rewards/:rewardId',
      { config: { access: 'catalogue:manage' }, schema: { tags: ['catalogue'], summary: 'One reward', params: RewardIdParams, response: { 200: RewardSchema } } },
      async (request) => catalogue().getReward(request.ctx, request.params.rewardId),
    );
    router.patch(
      '/rewards/:rewardId',
      {
        config: { access: 'catalogue:manage' },
        schema: {
          tags: ['catalogue'],
          summary: 'Change a reward (texts, price, window, limit, stock, status); SKU, type and fulfilment stay',
          params: RewardIdParams,
          body: Type.Partial(Type.Object(patchBody, { additionalProperties: false })),
          response: { 200: RewardSchema },
        },
      },
      async (request) => catalogue().updateReward(request.ctx, request.params.rewardId, request.body),
    );
    router.post(
      '/rewards/:rewardId/vouchers',
      {
        config: { access: 'catalogue:manage' },
        bodyLimit: 8 * 1024 * 1024,
        schema: {
          tags: ['catalogue'],
          summary: 'Import voucher codes into a reward pool (encrypted at rest; codes already there are skipped)',
          params: RewardIdParams,
          body: Type.Object({ codes: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 50_000 }) }, { additionalProperties: false }),
          response: { 200: Type.Object({ imported: Type.Integer(), duplicates: Type.Integer(), stock: Type.Integer() }) },
        },
      },
      async (request) => catalogue().importVouchers(request.ctx, request.params.rewardId, request.body.codes),
    );

    router.get(
      '/fulfilment-providers',
      {
        config: { access: 'catalogue:manage' },
        schema: { tags: ['catalogue'], summary: 'Fulfilment providers a reward may choose: the built-in ones and those plugins register', response: { 200: Type.Object({ items: Type.Array(ProviderSchema) }) } },
      },
      async (request) => ({ items: catalogue().listProviders(request.ctx) }),
    );

    // ---- Admin: reward images (stored in PostgreSQL, served by content hash) ----
    const ImageParams = Type.Object({ rewardId: Uuid, imageId: Uuid });
    router.post(
      '/rewards/:rewardId/images',
      {
        config: { access: 'catalogue:manage' },
        bodyLimit: 8 * 1024 * 1024,
        schema: {
          tags: ['catalogue'],
          summary: 'Add an image to a reward (PNG, JPEG or WebP by its bytes, at most 5 MiB; after the others). The same bytes again return the image already there (200)',
          params: RewardIdParams,
          body: Type.Object({ data: Type.String({ minLength: 1, maxLength: 7_100_000, description: 'The file, base64' }), alt: Type.Optional(AltText) }, { additionalProperties: false }),
          response: { 200: ImageSchema, 201: ImageSchema },
        },
      },
      async (request, reply) => {
        const { image, created } = await catalogue().images.add(request.ctx, request.params.rewardId, request.body);
        return reply.status(created ? 201 : 200).send(image);
      },
    );
    router.patch(
      '/rewards/:rewardId/images/:imageId',
      {
        config: { access: 'catalogue:manage' },
        schema: {
          tags: ['catalogue'],
          summary: "Change an image's alternative text, or move it (position 0 is first); answers the reward's images in order",
          params: ImageParams,
          body: Type.Object({ alt: Type.Optional(AltText), position: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })) }, { additionalProperties: false }),
          response: { 200: ImageList },
        },
      },
      async (request) => ({ items: await catalogue().images.update(request.ctx, request.params.rewardId, request.params.imageId, request.body) }),
    );
    router.delete(
      '/rewards/:rewardId/images/:imageId',
      { config: { access: 'catalogue:manage' }, schema: { tags: ['catalogue'], summary: "Remove an image; answers the reward's images left, in order", params: ImageParams, response: { 200: ImageList } } },
      async (request) => ({ items: await catalogue().images.remove(request.ctx, request.params.rewardId, request.params.imageId) }),
    );
    router.get(
      '/images/:sha256',
      {
        config: { access: 'signed-in' },
        schema: {
          tags: ['catalogue'],
          summary: "A reward image's bytes by content hash (ETag; cached as immutable). Partner users reach their program's only",
          params: Type.Object({ sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) }),
          response: { 200: Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary' }), 304: Type.Null({ description: 'Not modified (If-None-Match)' }) },
        },
      },
      async (request, reply) => {
        const etag = `"${request.params.sha256}"`;
        const match = request.headers['if-none-match'];
        const fresh = !!match && match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
        // Checked as a full read is (a 404 out of reach), but without reading the bytes when the browser has them.
        const image = await catalogue().readImage(request.ctx, request.params.sha256, !fresh);
        void reply.header('etag', etag).header('cache-control', 'private, max-age=31536000, immutable').header('x-content-type-options', 'nosniff');
        if (fresh) return reply.status(304).send(null);
        return reply.type(image.contentType).send(image.bytes);
      },
    );

    // ---- Admin: suppliers (fulfilment by signed HTTP requests) ----
    router.post(
      '/suppliers',
      {
        config: { access: 'catalogue:manage' },
        schema: {
          tags: ['catalogue'],
          summary: 'Add a supplier; its signing secret is in the answer, once',
          body: Type.Object({ programId: Uuid, name: Type.String({ minLength: 1, maxLength: 120 }), url: SupplierUrl, timeoutMs: Type.Optional(SupplierTimeout) }, { additionalProperties: false }),
          response: { 201: Type.Intersect([SupplierSchema, Secret]) },
        },
      },
      async (request, reply) => reply.status(201).send(await catalogue().suppliers.create(request.ctx, request.body)),
    );
    router.get(
      '/suppliers',
      {
        config: { access: 'catalogue:manage' },
        schema: { tags: ['catalogue'], summary: 'Suppliers by name', querystring: Type.Object({ programId: Type.Optional(Uuid) }), response: { 200: Type.Object({ items: Type.Array(SupplierSchema) }) } },
      },
      async (request) => ({ items: await catalogue().suppliers.list(request.ctx, request.query.programId) }),
    );
    router.patch(
      '/suppliers/:supplierId',
      {
        config: { access: 'catalogue:manage' },
        schema: {
          tags: ['catalogue'],
          summary: 'Change a supplier (name, URL, timeout) or disable it',
          params: SupplierIdParams,
          body: Type.Object(
            { name: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })), url: Type.Optional(SupplierUrl), timeoutMs: Type.Optional(SupplierTimeout), status: Type.Optional(literals(SUPPLIER_STATUSES)) },
            { additionalProperties: false },
          ),
          response: { 200: SupplierSchema },
        },
      },
      async (request) => catalogue().suppliers.update(request.ctx, request.params.supplierId, request.body),
    );
    router.post(
      '/suppliers/:supplierId/secret',
      {
        config: { access: 'catalogue:manage' },
        schema: { tags: ['catalogue'], summary: 'Replace the signing secret (shown once; the old one stops at once)', params: SupplierIdParams, body: Empty, response: { 200: Secret } },
      },
      async (request) => catalogue().suppliers.rotateSecret(request.ctx, request.params.supplierId),
    );
    router.get(
      '/orders/:orderId/supplier-calls',
      {
        config: { access: 'catalogue:manage' },
        schema: { tags: ['catalogue'], summary: "Every request sent to the order's supplier, with its answer", params: OrderIdParams, response: { 200: Type.Object({ items: Type.Array(SupplierCallSchema) }) } },
      },
      async (request) => ({ items: await catalogue().suppliers.calls(request.ctx, request.params.orderId) }),
    );

    // ---- Admin: orders ----
    router.get(
      '/orders',
      {
        config: { access: 'catalogue:manage' },
        schema: {
          tags: ['catalogue'],
          summary: 'Redemption orders, newest first (e.g. status=awaiting-approval or awaiting-shipment)',
          querystring: Type.Object({ status: Type.Optional(OrderStatusSchema), partnerId: Type.Optional(Uuid), programId: Type.Optional(Uuid), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })), before: Type.Optional(Uuid) }),
          response: { 200: OrderPage },
        },
      },
      async (request) => catalogue().listOrders(request.ctx, { ...request.query, limit: request.query.limit ?? 50 }),
    );
    router.get(
      '/orders/:orderId',
      { config: { access: 'catalogue:manage' }, schema: { tags: ['catalogue'], summary: 'One order with its history', params: OrderIdParams, response: { 200: OrderSchema } } },
      async (request) => catalogue().getOrder(request.ctx, request.params.orderId),
    );
    for (const decision of ['approve', 'reject'] as const) {
      router.post(
        `/orders/:orderId/${decision}`,
        {
          config: { access: 'catalogue:manage' },
          schema: { tags: ['catalogue'], summary: `${decision === 'approve' ? 'Approve' : 'Reject'} an order awaiting approval (sent to its workflow)`, params: OrderIdParams, body: Comment, response: { 202: OrderSchema } },
        },
        async (request, reply) => reply.status(202).send(await catalogue().decide(request.ctx, request.params.orderId, { decision, comment: request.body.comment ?? null })),
      );
    }
    router.post(
      '/orders/:orderId/ship',
      {
        config: { access: 'catalogue:manage' },
        schema: {
          tags: ['catalogue'],
          summary: 'Mark a manually fulfilled order shipped (physical goods need a tracking number) or handed over',
          params: OrderIdParams,
          body: Type.Object({ trackingNumber: Type.Optional(Type.String({ maxLength: 100 })), carrier: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false }),
          response: { 202: OrderSchema },
        },
      },
      async (request, reply) => reply.status(202).send(await catalogue().ship(request.ctx, request.params.orderId, request.body)),
    );
    router.post(
      '/orders/:orderId/confirm-delivery',
      { config: { access: 'catalogue:manage' }, schema: { tags: ['catalogue'], summary: 'Confirm a shipped order was delivered (then its points are captured)', params: OrderIdParams, body: Empty, response: { 202: OrderSchema } } },
      async (request, reply) => reply.status(202).send(await catalogue().confirmDelivery(request.ctx, request.params.orderId)),
    );

    // ---- Partner portal ----
    router.get(
      '/offer',
      {
        config: { access: 'catalogue:order' },
        schema: {
          tags: ['catalogue'],
          summary: 'The catalogue as the signed-in partner sees it: what it may order, and why not for the rest',
          querystring: Type.Object({
            q: Type.Optional(Type.String({ maxLength: 100, description: 'Searches name, description, SKU and category' })),
            category: Type.Optional(Type.String({ maxLength: 80 })),
            type: Type.Optional(RewardTypeSchema),
            maxPoints: Type.Optional(Type.Integer({ minimum: 1 })),
            orderableOnly: Type.Optional(Type.Boolean()),
            sort: Type.Optional(literals(['price-asc', 'price-desc', 'name', 'newest'] as const)),
          }),
          response: { 200: Type.Object({ balance: Type.Integer({ description: 'Available points' }), items: Type.Array(OfferItemSchema) }) },
        },
      },
      async (request) => catalogue().offer(request.ctx, request.query),
    );
    router.post(
      '/orders',
      {
        config: { access: 'catalogue:order' },
        schema: {
          tags: ['catalogue'],
          summary: 'Order a reward: reserves the points and the stock at once, then the redemption runs',
          description: 'A replay of idempotencyKey returns the first order (200); the same key with a different body is a 409.',
          body: Type.Object(
            {
              rewardId: Uuid,
              quantity: Type.Integer({ minimum: 1, maximum: 100, default: 1 }),
              idempotencyKey: Type.String({ minLength: 1, maxLength: 200 }),
              shipping: Type.Optional(ShippingSchema),
            },
            { additionalProperties: false },
          ),
          response: { 200: OrderSchema, 201: OrderSchema },
        },
      },
      async (request, reply) => {
        const { order, replayed } = await catalogue().placeOrder(request.ctx, { ...request.body, quantity: request.body.quantity ?? 1 });
        return reply.status(replayed ? 200 : 201).send(order);
      },
    );
    router.post(
      '/checkout',
      {
        config: { access: 'catalogue:order' },
        schema: {
          tags: ['catalogue'],
          summary: 'Check out a cart: one order per line, all placed together or none',
          description:
            'Points and stock of every line are reserved in one transaction; each order then runs its own redemption. A replay of idempotencyKey returns the same orders (200); a different cart under the key is a 409. A problem with a line names it (/body/items/<i>/…).',
          body: Type.Object(
            {
              items: Type.Array(Type.Object({ rewardId: Uuid, quantity: Type.Integer({ minimum: 1, maximum: 100 }) }, { additionalProperties: false }), { minItems: 1, maxItems: 20 }),
              idempotencyKey: Type.String({ minLength: 1, maxLength: 190 }),
              shipping: Type.Optional(ShippingSchema),
            },
            { additionalProperties: false },
          ),
          response: { 200: CheckoutSchema, 201: CheckoutSchema },
        },
      },
      async (request, reply) => {
        const result = await catalogue().checkout(request.ctx, request.body);
        return reply.status(result.replayed ? 200 : 201).send(result);
      },
    );
    router.get(
      '/me/orders',
      {
        config: { access: 'catalogue:order' },
        schema: {
          tags: ['catalogue'],
          summary: "The signed-in partner's orders, newest first",
          querystring: Type.Object({ status: Type.Optional(OrderStatusSchema), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })), before: Type.Optional(Uuid) }),
          response: { 200: OrderPage },
        },
      },
      async (request) => catalogue().listOrders(request.ctx, { ...request.query, limit: request.query.limit ?? 50 }),
    );
    router.get(
      '/me/orders/:orderId',
      { config: { access: 'catalogue:order' }, schema: { tags: ['catalogue'], summary: 'One of the partner’s orders', params: OrderIdParams, response: { 200: OrderSchema } } },
      async (request) => catalogue().getOrder(request.ctx, request.params.orderId),
    );
    router.post(
      '/me/orders/:orderId/cancel',
      { config: { access: 'catalogue:order' }, schema: { tags: ['catalogue'], summary: 'Cancel an order (until its fulfilment starts); points and stock come back', params: OrderIdParams, body: Empty, response: { 202: OrderSchema } } },
      async (request, reply) => reply.status(202).send(await catalogue().requestCancel(request.ctx, request.params.orderId)),
    );
    router.post(
      '/me/orders/:orderId/confirm-delivery',
      { config: { access: 'catalogue:order' }, schema: { tags: ['catalogue'], summary: 'Confirm the parcel arrived', params: OrderIdParams, body: Empty, response: { 202: OrderSchema } } },
      async (request, reply) => reply.status(202).send(await catalogue().confirmDelivery(request.ctx, request.params.orderId)),
    );
    router.post(
      '/me/orders/:orderId/voucher',
      {
        config: { access: 'catalogue:order' },
        schema: { tags: ['catalogue'], summary: 'Reveal the order’s voucher codes, once (a second request is a 409)', params: OrderIdParams, body: Empty, response: { 200: Type.Object({ codes: Type.Array(Type.String()), revealedAt: DateTime }) } },
      },
      async (request) => catalogue().revealVouchers(request.ctx, request.params.orderId),
    );
  };
}
