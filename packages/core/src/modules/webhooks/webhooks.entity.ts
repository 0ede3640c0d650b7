import { defineEntity, p } from '@laurel/plugin-sdk';

/** `manual`: an admin turned it off; `failing`: turned off automatically after persistent failure. */
export const DISABLED_REASONS = ['manual', 'failing'] as const;
export type DisabledReason = (typeof DISABLED_REASONS)[number];

/**
 * An outbound webhook subscription: where to POST which event types, and the secret that signs them. While a
 * rotation's overlap lasts, `previousSecret` signs too (both signatures go in `webhook-signature`).
 */
export const WebhookSubscription = defineEntity({
  name: 'WebhookSubscription',
  tableName: 'webhook_subscription',
  properties: {
    id: p.uuid().primary(),
    url: p.text(),
    description: p.text(),
    eventTypes: p.array().$type<string[]>(),
    enabled: p.boolean(),
    disabledReason: p.string().$type<DisabledReason>().nullable(),
    disabledAt: p.datetime().nullable(),
    secret: p.text(),
    previousSecret: p.text().nullable(),
    previousSecretExpiresAt: p.datetime().nullable(),
    secretRotatedAt: p.datetime().nullable(),
    /** Failed attempts since the last successful one, and when the first of them was made. */
    consecutiveFailures: p.integer(),
    failingSince: p.datetime().nullable(),
    lastSuccessAt: p.datetime().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One event for one subscription: made once per (event id, subscription), whatever the outbox redelivers. */
export const WebhookDelivery = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_delivery',
  properties: {
    id: p.uuid().primary(),
    subscriptionId: p.uuid(),
    eventId: p.uuid(),
    eventType: p.string(),
    /** The exact JSON body sent on every attempt (the signature covers these bytes). */
    body: p.text(),
    status: p.string().$type<DeliveryStatus>(),
    /** Attempts in the current run (a replay starts a new run); the log keeps every attempt. */
    attempts: p.integer(),
    /** Manual replays so far. */
    replays: p.integer(),
    nextAttemptAt: p.datetime(),
    lastStatusCode: p.integer().nullable(),
    lastError: p.text().nullable(),
    deliveredAt: p.datetime().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});

/** One HTTP attempt of a delivery, as the log shows it. */
export const WebhookAttempt = defineEntity({
  name: 'WebhookAttempt',
  tableName: 'webhook_attempt',
  properties: {
    id: p.uuid().primary(),
    deliveryId: p.uuid(),
    number: p.integer(),
    trigger: p.string().$type<'automatic' | 'replay'>(),
    startedAt: p.datetime(),
    durationMs: p.integer(),
    statusCode: p.integer().nullable(),
    /** `timeout`, `target-refused` (the address guard), `network: …`; null when an HTTP answer came. */
    error: p.text().nullable(),
    responseBody: p.text().nullable(),
    ok: p.boolean(),
  },
});
