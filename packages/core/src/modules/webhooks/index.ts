import { Type, definePlugin } from '@laurel/plugin-sdk';
import { CORE_VERSION } from '../../version.ts';
import { accessServiceRef } from '../access/index.ts';
import { auditServiceRef } from '../audit/index.ts';
import { mailServiceRef } from '../mail/index.ts';
import { WebhookAttempt, WebhookDelivery, WebhookSubscription } from './webhooks.entity.ts';
import { webhookRoutes } from './webhooks.routes.ts';
import { createWebhookService, WEBHOOK_EVENT_TYPES, webhookServiceRef } from './webhooks.service.ts';
import { migration as m0001 } from './migrations/0001_webhooks.ts';
import en from './locales/en.json' with { type: 'json' };
import pl from './locales/pl.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };

declare module '@laurel/plugin-sdk' {
  interface LaurelPermissions {
    /** Outbound webhook subscriptions, their secrets, the delivery log and replays. */
    'webhooks:manage': true;
  }
}

/** Options under `plugins.webhooks.options`. */
const WebhooksConfig = Type.Object(
  {
    allowHttp: Type.Boolean({ default: false, description: 'Accept http:// URLs for any host (development only); without it http:// is accepted for loopback hosts only' }),
    allowPrivateTargets: Type.Boolean({ default: false, description: 'Accept loopback, private, link-local and other non-public targets (SSRF guard off)' }),
    timeoutMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 10_000, description: 'One attempt: connect, send and the answer’s headers' }),
    maxAttempts: Type.Integer({ minimum: 1, maximum: 30, default: 12, description: 'Attempts of one delivery before it is failed (a replay starts again)' }),
    retryBaseMs: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 15_000, description: 'First retry delay; doubles per attempt, ±20 % jitter' }),
    retryMaxMs: Type.Integer({ minimum: 1, maximum: 86_400_000, default: 6 * 3_600_000, description: 'Longest retry delay' }),
    disableAfterFailures: Type.Integer({ minimum: 1, maximum: 10_000, default: 20, description: 'Consecutive failed attempts before a subscription may be turned off…' }),
    disableAfterHours: Type.Number({ minimum: 0, maximum: 24 * 30, default: 24, description: '…that span at least this many hours with no success' }),
    pollIntervalMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 1000 }),
    batchSize: Type.Integer({ minimum: 1, maximum: 500, default: 20, description: 'Deliveries sent at once per replica' }),
    retentionDays: Type.Integer({ minimum: 1, maximum: 3650, default: 90, description: 'Delivered and failed deliveries are kept this many days with their attempts (pending ones always)' }),
    secretKey: Type.Union([Type.String({ pattern: '^[0-9a-fA-F]{64}$' }), Type.Null()], { default: null, description: 'Seal signing secrets at rest with AES-256-GCM under this key (32 bytes as 64 hex characters); null stores them as they are' }),
  },
  { additionalProperties: false },
);

/**
 * Core module `webhooks`: outbound webhooks. Subscriptions name event types and a URL; every matching outbox event
 * becomes one delivery per subscription, POSTed signed (Standard Webhooks) by a background worker with retries,
 * logged per attempt, replayable, and a subscription that keeps failing is turned off with a notice to its admins.
 */
export const webhooksModule = definePlugin({
  id: 'webhooks',
  version: CORE_VERSION,
  compatibility: `^${CORE_VERSION}`,
  dependsOn: ['audit', 'mail', 'access'],
  config: WebhooksConfig,
  entities: [WebhookSubscription, WebhookDelivery, WebhookAttempt],
  migrations: [m0001],
  setup(ctx) {
    ctx.grant('webhooks:manage', ['admin']);
    ctx.locales({ en, pl, ru });
    const webhooks = createWebhookService({
      audit: ctx.inject(auditServiceRef),
      mail: ctx.inject(mailServiceRef),
      access: ctx.inject(accessServiceRef),
      canManage: (roles) => ctx.permissions.of(roles as never).includes('webhooks:manage'),
      options: ctx.config,
    });
    ctx.provide(webhookServiceRef, webhooks);
    ctx.routes(webhookRoutes(() => webhooks));
    // Fan-out after commit: cheap (no HTTP), so the outbox's own retries only cover the database being away.
    for (const type of WEBHOOK_EVENT_TYPES) {
      ctx.on(type, async (event, listenerCtx) => {
        await webhooks.fanOut(listenerCtx, event);
      }, { name: `fan-out:${type}` });
    }
    ctx.every('deliver', ctx.config.pollIntervalMs, async (taskCtx) => {
      // Keep going while full batches come back, so a backlog drains at the speed of the receivers.
      for (let round = 0; round < 20; round += 1) {
        const r = await webhooks.deliverDue(taskCtx);
        if (r.delivered + r.retried + r.failed < ctx.config.batchSize) break;
      }
    });
    ctx.every('prune', 3_600_000, async (taskCtx) => {
      const removed = await webhooks.prune(taskCtx);
      if (removed > 0) taskCtx.log.info({ removed, retentionDays: ctx.config.retentionDays }, 'old webhook deliveries removed');
    });
  },
});

export { TEST_EVENT_TYPE, webhookServiceRef, WEBHOOK_EVENT_TYPES } from './webhooks.service.ts';
export type { AttemptView, DeliveryView, SubscriptionView, WebhookEventType, WebhookOptions, WebhookService } from './webhooks.service.ts';
export { sign as signWebhook, verify as verifyWebhook } from '../../platform/standard-webhooks.ts';
