import { Type, type PluginRouter } from '@laurel/plugin-sdk';
import { CONVERSIONS, PRESETS } from './mapping.ts';
import { MAX_WEBHOOK_BYTES, TOLERANCE_SECONDS, type WebhookSourceService } from './sources.service.ts';

const Uuid = Type.String({ format: 'uuid' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Json = Type.Record(Type.String(), Type.Unknown());

const Mapping = Type.Object(
  {
    type: Type.String({ description: 'The canonical event type: deal.won, invoice.paid, invoice.issued, lead.registered, … or custom.<name>' }),
    when: Type.Optional(Type.Array(Type.Object({ pointer: Type.String({ description: 'JSON Pointer (RFC 6901) into the body' }), in: Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean()])) }), { description: 'Every condition must hold, else the delivery is ignored (200, nothing posted)' })),
    fields: Type.Record(Type.String(), Type.Unknown(), {
      description: `Canonical field (dotted for nested, e.g. partner.nip) → { pointer, as?, optional? } | { value } | { template: "deal:{/id}" } | { each: "/items", fields: { … } }. as: ${CONVERSIONS.join(', ')} (minor-units: a decimal in the currency of the mapped currency field, exact). source and programId come from the source.`,
    }),
  },
  { description: 'How the sender’s JSON becomes one canonical event' },
);

const Source = Type.Object({
  id: Uuid,
  programId: Uuid,
  name: Type.String(),
  eventSource: Type.String({ description: 'The canonical events’ source (with externalId, the inbox’s key)' }),
  preset: Nullable(Type.String()),
  mapping: Mapping,
  enabled: Type.Boolean(),
  path: Type.String({ description: 'Where the sender posts (on this installation)' }),
  secretHint: Type.String({ description: 'The first characters of the current secret (never the secret)' }),
  secretRotatedAt: Nullable(Type.String({ format: 'date-time' })),
  previousSecretHint: Nullable(Type.String()),
  previousSecretExpiresAt: Nullable(Type.String({ format: 'date-time', description: 'Until then the previous secret is accepted too' })),
  secretsSealed: Type.Boolean({ description: 'The secret is stored encrypted (secretKey configured)' }),
  lastDeliveryAt: Nullable(Type.String({ format: 'date-time' })),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
const WithSecret = Type.Object({ source: Source, secret: Type.String({ description: 'whsec_<base64>: shown in this answer only' }) });
const Result = Type.Union(
  [Type.Literal('processing'), Type.Literal('posted'), Type.Literal('refused'), Type.Literal('rejected'), Type.Literal('ignored'), Type.Literal('unauthorized'), Type.Literal('replayed'), Type.Literal('failed')],
  { description: 'processing: being posted; posted: the inbox took the event; refused: the inbox refused it (or the source is off); rejected: not JSON, or the mapping or schema failed; ignored: a condition of the mapping does not hold; unauthorized: signature or timestamp wrong; replayed: a webhook-id already posted; failed: a server error' },
);
const DeliveryError = Nullable(
  Type.Object({
    code: Type.String(),
    reason: Type.String(),
    field: Nullable(Type.String({ description: 'The body’s JSON Pointer to blame' })),
    eventField: Nullable(Type.String({ description: 'The canonical event’s field' })),
    problems: Type.Optional(Type.Array(Type.Object({ field: Type.String(), pointer: Nullable(Type.String()), problem: Type.String() }), { description: 'Every field the mapping could not make' })),
    message: Type.Optional(Type.String()),
  }),
);
const Delivery = Type.Object({
  id: Uuid,
  sourceId: Uuid,
  sourceName: Type.String(),
  webhookId: Nullable(Type.String()),
  webhookTimestamp: Nullable(Type.Integer()),
  receivedAt: Type.String({ format: 'date-time' }),
  result: Result,
  httpStatus: Type.Integer(),
  secretUsed: Nullable(Type.Union([Type.Literal('current'), Type.Literal('previous')])),
  error: DeliveryError,
  event: Nullable(Json),
  outcome: Nullable(Json),
  bodySha256: Nullable(Type.String()),
  bodyExcerpt: Nullable(Type.String({ description: 'The first 2,000 bytes of the body' })),
  replayOf: Nullable(Uuid),
});

export function webhookRoutes(sources: () => WebhookSourceService) {
  return (router: PluginRouter): void => {
    // The receiving route reads the body as bytes (the signature is over them), whatever its content type: in a
    // context of its own, so the admin routes keep their JSON.
    router.register(async (hooks: PluginRouter) => {
      hooks.removeAllContentTypeParsers();
      hooks.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_WEBHOOK_BYTES }, (_req, body, done) => done(null, body));
      hooks.post(
        '/webhooks/:sourceId',
        {
          config: { access: 'public' },
          bodyLimit: MAX_WEBHOOK_BYTES,
          schema: {
            tags: ['erp-connectors'],
            summary: 'Receive a signed webhook (Standard Webhooks) from a CRM or ERP',
            description:
              'Headers webhook-id, webhook-timestamp (Unix seconds) and webhook-signature (v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>"> under the source’s secret). ' +
              `401: a header missing, the timestamp more than ${TOLERANCE_SECONDS} s from now, or no signature matching the current secret (or the previous one until its expiry). ` +
              'The JSON body is mapped by the source’s mapping to one canonical event and sent to the earning inbox. 200: posted (result posted, the inbox’s answer in event) or ignored (a condition of the mapping does not hold); ' +
              'the same webhook-id again answers the first answer with replayed: true and posts nothing. 422: the mapping or the canonical schema fails — the problem names the body’s field; 400: not JSON; 409: the source is disabled. Every delivery is logged.',
            params: Type.Object({ sourceId: Uuid }),
            response: { 200: Type.Object({ deliveryId: Uuid, result: Type.Union([Type.Literal('posted'), Type.Literal('ignored')]), replayed: Type.Boolean(), event: Nullable(Json) }) },
          },
        },
        async (request) => {
          const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          const answer = await sources().receive(request.ctx, request.params.sourceId, request.headers as Record<string, string | string[] | undefined>, body);
          return { ...answer, event: answer.event as unknown as Record<string, unknown> | null };
        },
      );
    });

    router.get(
      '/webhook-presets',
      {
        config: { access: 'erp:read' },
        schema: {
          tags: ['erp-connectors'],
          summary: 'Mappings for common shapes (a won deal from HubSpot or Pipedrive, a paid invoice), each with an example body',
          response: { 200: Type.Object({ items: Type.Array(Type.Object({ id: Type.String(), description: Type.String(), mapping: Mapping, example: Json })) }) },
        },
      },
      async () => ({ items: PRESETS }),
    );

    router.post(
      '/webhook-sources',
      {
        config: { access: 'erp:webhooks' },
        schema: {
          tags: ['erp-connectors'],
          summary: 'Add a webhook source: a program, a name, the events’ source, and a preset or a mapping; the answer shows its secret, once',
          body: Type.Object({
            programId: Uuid,
            name: Type.String({ maxLength: 500 }),
            eventSource: Type.String({ maxLength: 200 }),
            preset: Type.Optional(Type.String({ maxLength: 100 })),
            mapping: Type.Optional(Type.Unknown()),
          }),
          response: { 201: WithSecret },
        },
      },
      async (request, reply) => reply.status(201).send(await sources().create(request.ctx, request.body)),
    );

    router.get(
      '/webhook-sources',
      {
        config: { access: 'erp:read' },
        schema: { tags: ['erp-connectors'], summary: 'Webhook sources, newest first', querystring: Type.Object({ programId: Type.Optional(Uuid) }), response: { 200: Type.Object({ items: Type.Array(Source) }) } },
      },
      async (request) => ({ items: await sources().list(request.ctx, request.query) }),
    );

    router.get(
      '/webhook-sources/:id',
      { config: { access: 'erp:read' }, schema: { tags: ['erp-connectors'], summary: 'One webhook source', params: Type.Object({ id: Uuid }), response: { 200: Source } } },
      async (request) => sources().get(request.ctx, request.params.id),
    );

    router.patch(
      '/webhook-sources/:id',
      {
        config: { access: 'erp:webhooks' },
        schema: {
          tags: ['erp-connectors'],
          summary: 'Change a webhook source’s name, events’ source, mapping, or turn it off and on',
          params: Type.Object({ id: Uuid }),
          body: Type.Object({ name: Type.Optional(Type.String({ maxLength: 500 })), eventSource: Type.Optional(Type.String({ maxLength: 200 })), mapping: Type.Optional(Type.Unknown()), enabled: Type.Optional(Type.Boolean()) }),
          response: { 200: Source },
        },
      },
      async (request) => sources().update(request.ctx, request.params.id, request.body),
    );

    const Expiry = Type.String({ maxLength: 40, description: 'date-time, or a date (the start of that day, UTC): until then the previous secret is accepted too (now to 30 days; a time already past ends it at once)' });
    router.post(
      '/webhook-sources/:id/rotate-secret',
      {
        config: { access: 'erp:webhooks' },
        schema: {
          tags: ['erp-connectors'],
          summary: 'A new secret, shown once; the previous one is accepted until previousSecretExpiresAt',
          params: Type.Object({ id: Uuid }),
          body: Type.Object({ previousSecretExpiresAt: Expiry }),
          response: { 200: WithSecret },
        },
      },
      async (request) => sources().rotateSecret(request.ctx, request.params.id, request.body),
    );

    router.post(
      '/webhook-secret-rotations',
      {
        config: { access: 'erp:webhooks' },
        schema: {
          tags: ['erp-connectors'],
          summary: 'The same as /webhook-sources/:id/rotate-secret with the source in the body (for forms)',
          body: Type.Object({ sourceId: Uuid, previousSecretExpiresAt: Expiry }),
          response: { 200: Type.Object({ ...WithSecret.properties, sourceId: Uuid, sourceName: Type.String() }) },
        },
      },
      async (request) => {
        const r = await sources().rotateSecret(request.ctx, request.body.sourceId, request.body);
        return { ...r, sourceId: r.source.id, sourceName: r.source.name };
      },
    );

    router.get(
      '/webhook-deliveries',
      {
        config: { access: 'erp:read' },
        schema: {
          tags: ['erp-connectors'],
          summary: 'The delivery log of every webhook source you see (or of one: sourceId), newest first',
          querystring: Type.Object({ sourceId: Type.Optional(Uuid), result: Type.Optional(Result), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })), before: Type.Optional(Uuid) }),
          response: { 200: Type.Object({ items: Type.Array(Delivery), nextBefore: Nullable(Uuid) }) },
        },
      },
      async (request) => sources().deliveries(request.ctx, request.query.sourceId ?? null, { ...request.query, limit: request.query.limit ?? 50 }),
    );

    router.get(
      '/webhook-sources/:id/deliveries',
      {
        config: { access: 'erp:read' },
        schema: {
          tags: ['erp-connectors'],
          summary: 'The delivery log of a source, newest first: when, the webhook-id, the result and why',
          params: Type.Object({ id: Uuid }),
          querystring: Type.Object({ result: Type.Optional(Result), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })), before: Type.Optional(Uuid) }),
          response: { 200: Type.Object({ items: Type.Array(Delivery), nextBefore: Nullable(Uuid) }) },
        },
      },
      async (request) => sources().deliveries(request.ctx, request.params.id, { ...request.query, limit: request.query.limit ?? 50 }),
    );

    router.post(
      '/webhook-sources/:id/try',
      {
        config: { access: 'erp:read' },
        schema: {
          tags: ['erp-connectors'],
          summary: 'Try the source’s mapping on a body: the event it makes, or why not; nothing is posted',
          params: Type.Object({ id: Uuid }),
          body: Type.Object({ body: Type.Unknown() }),
          response: { 200: Type.Object({ result: Type.Union([Type.Literal('event'), Type.Literal('ignored'), Type.Literal('failed')]), event: Nullable(Json), error: DeliveryError }) },
        },
      },
      async (request) => sources().tryMapping(request.ctx, request.params.id, request.body.body),
    );
  };
}
