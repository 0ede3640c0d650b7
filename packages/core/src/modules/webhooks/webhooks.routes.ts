import { Type, type PluginRouter, type TSchema } from '@laurel/plugin-sdk';
import type { TLiteral, TUnion } from 'typebox';
import { DELIVERY_STATUSES, DISABLED_REASONS } from './webhooks.entity.ts';
import { WEBHOOK_EVENT_TYPES, type WebhookService } from './webhooks.service.ts';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
function literals<const T extends readonly string[]>(values: T, description?: string): TUnion<{ -readonly [K in keyof T]: TLiteral<T[K]> }> {
  return Type.Union(values.map((v) => Type.Literal(v)) as TSchema[], description ? { description } : {}) as never;
}

const SubscriptionSchema = Type.Object({
  id: Uuid,
  url: Type.String(),
  description: Type.String(),
  eventTypes: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  disabledReason: Nullable(literals(DISABLED_REASONS, 'manual: an admin turned it off; failing: turned off after persistent failure')),
  disabledAt: Nullable(DateTime),
  secretHint: Type.String({ description: 'The first characters of the current secret (never the secret)' }),
  secretRotatedAt: Nullable(DateTime),
  previousSecretExpiresAt: Type.Union([DateTime, Type.Null()], { description: 'Until then the previous secret signs too' }),
  consecutiveFailures: Type.Integer({ description: 'Failed attempts since the last successful one' }),
  failingSince: Nullable(DateTime),
  lastSuccessAt: Nullable(DateTime),
  createdAt: DateTime,
  updatedAt: DateTime,
});
const WithSecret = Type.Object({
  subscription: SubscriptionSchema,
  secret: Type.String({ description: 'whsec_<base64>: shown in this answer only' }),
});
const DeliveryStatusSchema = literals(DELIVERY_STATUSES, 'pending: to be sent or retried; delivered: a 2xx came; failed: every attempt failed');
const DeliverySchema = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Also the webhook-id header: the same on every attempt and replay' }),
  subscriptionId: Uuid,
  url: Type.String(),
  eventId: Uuid,
  eventType: Type.String(),
  status: DeliveryStatusSchema,
  attempts: Type.Integer({ description: 'Attempts in the current run' }),
  replays: Type.Integer(),
  nextAttemptAt: Nullable(DateTime),
  lastStatusCode: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  deliveredAt: Nullable(DateTime),
  createdAt: DateTime,
  updatedAt: DateTime,
});
const AttemptSchema = Type.Object({
  number: Type.Integer(),
  trigger: literals(['automatic', 'replay'] as const),
  startedAt: DateTime,
  durationMs: Type.Integer(),
  statusCode: Nullable(Type.Integer()),
  error: Type.Union([Type.String(), Type.Null()], { description: 'timeout, target-refused: …, network: …; null when an HTTP answer came' }),
  responseBody: Type.Union([Type.String(), Type.Null()], { description: 'The first 2 KiB of the answer' }),
  ok: Type.Boolean(),
});
const DeliveryDetail = Type.Intersect([DeliverySchema, Type.Object({ body: Type.String({ description: 'The exact JSON body sent' }), attemptLog: Type.Array(AttemptSchema) })]);

const EventTypes = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 100, description: `Event types to receive: ${WEBHOOK_EVENT_TYPES.join(', ')}` });
const Url = Type.String({ minLength: 1, maxLength: 2000, description: 'https:// (http:// only for loopback, or where configured); public addresses only unless configured' });
const Description = Type.String({ maxLength: 500 });
const IdParams = Type.Object({ id: Uuid });

export function webhookRoutes(webhooks: () => WebhookService) {
  return (router: PluginRouter): void => {
    router.get(
      '/event-types',
      {
        config: { access: 'webhooks:manage' },
        schema: { tags: ['webhooks'], summary: 'Event types a subscription may name, described in the caller language', response: { 200: Type.Object({ items: Type.Array(Type.Object({ type: Type.String(), description: Type.String() })) }) } },
      },
      async (request) => ({ items: webhooks().eventTypes(request.ctx) }),
    );
    router.get(
      '/subscriptions',
      { config: { access: 'webhooks:manage' }, schema: { tags: ['webhooks'], summary: 'Subscriptions, newest first (never their secrets)', response: { 200: Type.Object({ items: Type.Array(SubscriptionSchema) }) } } },
      async (request) => ({ items: await webhooks().listSubscriptions(request.ctx) }),
    );
    router.post(
      '/subscriptions',
      {
        config: { access: 'webhooks:manage' },
        schema: {
          tags: ['webhooks'],
          summary: 'Subscribe a URL to event types; the signing secret is in this answer only',
          body: Type.Object({ url: Url, eventTypes: EventTypes, description: Type.Optional(Description), enabled: Type.Optional(Type.Boolean({ default: true })) }, { additionalProperties: false }),
          response: { 201: WithSecret },
        },
      },
      async (request, reply) => reply.status(201).send(await webhooks().createSubscription(request.ctx, request.body)),
    );
    router.get(
      '/subscriptions/:id',
      { config: { access: 'webhooks:manage' }, schema: { tags: ['webhooks'], summary: 'One subscription', params: IdParams, response: { 200: SubscriptionSchema } } },
      async (request) => webhooks().getSubscription(request.ctx, request.params.id),
    );
    router.patch(
      '/subscriptions/:id',
      {
        config: { access: 'webhooks:manage' },
        schema: {
          tags: ['webhooks'],
          summary: 'Change the URL, event types or description; enabled false turns it off, true on again (clearing its failure streak)',
          params: IdParams,
          body: Type.Object({ url: Type.Optional(Url), eventTypes: Type.Optional(EventTypes), description: Type.Optional(Description), enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
          response: { 200: SubscriptionSchema },
        },
      },
      async (request) => webhooks().updateSubscription(request.ctx, request.params.id, request.body),
    );
    router.post(
      '/subscriptions/:id/rotate-secret',
      {
        config: { access: 'webhooks:manage' },
        schema: {
          tags: ['webhooks'],
          summary: 'A new signing secret (in this answer only); the previous one keeps signing for overlapHours',
          params: IdParams,
          body: Type.Object({ overlapHours: Type.Optional(Type.Integer({ minimum: 0, maximum: 168, default: 24, description: 'Hours both secrets sign (0: the old one stops at once)' })) }, { additionalProperties: false }),
          response: { 200: WithSecret },
        },
      },
      async (request) => webhooks().rotateSecret(request.ctx, request.params.id, request.body),
    );
    router.post(
      '/subscriptions/:id/test',
      {
        config: { access: 'webhooks:manage' },
        schema: {
          tags: ['webhooks'],
          summary: 'Send a test message (type webhooks.test) through the worker, signed and logged like any delivery',
          params: IdParams,
          body: Type.Object({}, { additionalProperties: false }),
          response: { 202: DeliverySchema },
        },
      },
      async (request, reply) => reply.status(202).send(await webhooks().sendTest(request.ctx, request.params.id)),
    );
    router.get(
      '/deliveries',
      {
        config: { access: 'webhooks:manage' },
        schema: {
          tags: ['webhooks'],
          summary: 'The delivery log, newest first',
          querystring: Type.Object({
            subscriptionId: Type.Optional(Uuid),
            status: Type.Optional(DeliveryStatusSchema),
            eventType: Type.Optional(Type.String({ maxLength: 200 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            before: Type.Optional(Uuid),
          }),
          response: { 200: Type.Object({ items: Type.Array(DeliverySchema), nextBefore: Nullable(Uuid) }) },
        },
      },
      async (request) => webhooks().listDeliveries(request.ctx, { ...request.query, limit: request.query.limit ?? 50 }),
    );
    router.get(
      '/deliveries/:id',
      { config: { access: 'webhooks:manage' }, schema: { tags: ['webhooks'], summary: 'One delivery with its body and every attempt (response code, time, the start of the answer)', params: IdParams, response: { 200: DeliveryDetail } } },
      async (request) => webhooks().getDelivery(request.ctx, request.params.id),
    );
    router.post(
      '/deliveries/:id/replay',
      {
        config: { access: 'webhooks:manage' },
        schema: {
          tags: ['webhooks'],
          summary: 'Send a delivery again (a new run of attempts, same webhook-id); refused while its subscription is off',
          params: IdParams,
          body: Type.Object({}, { additionalProperties: false }),
          response: { 202: DeliverySchema },
        },
      },
      async (request, reply) => reply.status(202).send(await webhooks().replay(request.ctx, request.params.id)),
    );
  };
}
