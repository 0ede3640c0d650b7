import { auditTrailRef, earningInboxRef, Type, type PluginSetupContext, type Static } from '@laurel/plugin-sdk';
import { webhookDeliveriesPage, webhookSourcesPage } from './admin-pages.ts';
import { webhookRoutes } from './routes.ts';
import { createWebhookSourceService } from './sources.service.ts';
import en from './locales/en.json' with { type: 'json' };
import pl from './locales/pl.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };

/** Options under `plugins.erp-connectors.options`. */
export const ErpConnectorsConfig = Type.Object(
  {
    webhookSecretKey: Type.Union([Type.String({ pattern: '^[0-9a-fA-F]{64}$' }), Type.Null()], {
      default: null,
      description: 'Seal webhook sources’ signing secrets at rest with AES-256-GCM under this key (32 bytes as 64 hex characters); null stores them as they are',
    }),
    webhookDeliveryRetentionDays: Type.Integer({ minimum: 1, maximum: 3650, default: 90, description: 'Lines of the webhook delivery log are kept this many days' }),
  },
  { additionalProperties: false },
);
export type ErpConnectorsOptions = Static<typeof ErpConnectorsConfig>;

/** The plugin's locales with the webhook texts added (kept in their own files). */
export function withWebhookLocales<T extends { en: object; pl: object; ru: object }>(base: T): T {
  const merge = (a: object, b: object): object => {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b)) out[k] = typeof v === 'object' && v !== null && typeof out[k] === 'object' && out[k] !== null ? merge(out[k] as object, v as object) : v;
    return out;
  };
  return { ...base, en: merge(base.en, en), pl: merge(base.pl, pl), ru: merge(base.ru, ru) };
}

/** Signed webhooks in: the sources' admin routes, the receiving route and the log's pruning. */
export function setupWebhooks(ctx: PluginSetupContext<ErpConnectorsOptions>): void {
  ctx.grant('erp:webhooks', ['admin']);
  const sources = createWebhookSourceService({ inbox: ctx.inject(earningInboxRef), audit: ctx.inject(auditTrailRef), secretKey: ctx.config.webhookSecretKey });
  ctx.routes(webhookRoutes(() => sources));
  ctx.ui.adminPage(webhookSourcesPage);
  ctx.ui.adminPage(webhookDeliveriesPage);
  ctx.every('prune-webhook-deliveries', 3_600_000, async (taskCtx) => {
    const removed = await sources.prune(taskCtx, ctx.config.webhookDeliveryRetentionDays);
    if (removed > 0) taskCtx.log.info({ removed }, 'old webhook deliveries removed');
  });
}
