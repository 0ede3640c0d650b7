import { Type, definePlugin, fulfilmentProvidersRef } from '@laurel/plugin-sdk';
import { CORE_VERSION } from '../../version.ts';
import { auditServiceRef } from '../audit/index.ts';
import { ledgerServiceRef } from '../ledger/index.ts';
import { partnerServiceRef } from '../partners/index.ts';
import { programServiceRef } from '../programs/index.ts';
import { Order, Reward, Supplier, VoucherCode } from './catalogue.entity.ts';
import { catalogueRoutes } from './catalogue.routes.ts';
import { catalogueServiceRef, catalogueSettingsRef, createCatalogueService } from './catalogue.service.ts';
import { migration as m0001 } from './migrations/0001_catalogue.ts';
import { migration as m0002 } from './migrations/0002_suppliers.ts';
import { migration as m0003 } from './migrations/0003_restrictions.ts';
import { migration as m0004 } from './migrations/0004_providers.ts';
import { migration as m0005 } from './migrations/0005_images.ts';
import { tiersServiceRef } from '../tiers/index.ts';
import { temporalGatewayRef } from '../../platform/temporal.ts';
import en from './locales/en.json' with { type: 'json' };
import pl from './locales/pl.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };

declare module '@laurel/plugin-sdk' {
  interface LaurelPermissions {
    /** Rewards, stock, voucher pools; orders awaiting approval or shipment. */
    'catalogue:manage': true;
    /** A partner user's: browse the catalogue, order rewards, follow and cancel their company's orders. */
    'catalogue:order': true;
  }
}

/** Options under `plugins.catalogue.options`. */
const CatalogueConfig = Type.Object(
  {
    approvalThresholdPoints: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { default: null, description: 'Orders worth at least this many points wait for an admin’s approval' }),
    approvalTimeoutHours: Type.Integer({ minimum: 1, maximum: 24 * 60, default: 168, description: 'No decision by then rejects the order' }),
    maxFulfilmentAttempts: Type.Integer({ minimum: 1, maximum: 50, default: 5 }),
    abandonedOrderHours: Type.Integer({ minimum: 1, maximum: 24 * 365, default: 96, description: 'An order no workflow picked up this long after it was placed gets its points and stock back (status failed)' }),
  },
  { additionalProperties: false },
);

/** Core module `catalogue`: rewards, stock, voucher pools and redemption orders (the saga runs on Temporal). */
export const catalogueModule = definePlugin({
  id: 'catalogue',
  version: CORE_VERSION,
  compatibility: `^${CORE_VERSION}`,
  dependsOn: ['audit', 'programs', 'partners', 'ledger', 'tiers'],
  config: CatalogueConfig,
  entities: [Reward, Order, VoucherCode, Supplier],
  migrations: [m0001, m0002, m0003, m0004, m0005],
  setup(ctx) {
    ctx.grant('catalogue:manage', ['admin', 'program-manager']);
    ctx.grant('catalogue:order', ['partner-admin', 'partner-user']);
    ctx.locales({ en, pl, ru });
    const catalogue = createCatalogueService({
      temporal: ctx.inject(temporalGatewayRef),
      partners: ctx.inject(partnerServiceRef),
      programs: ctx.inject(programServiceRef),
      ledger: ctx.inject(ledgerServiceRef),
      tiers: ctx.inject(tiersServiceRef),
      audit: ctx.inject(auditServiceRef),
      settings: ctx.inject(catalogueSettingsRef),
      options: ctx.config,
    });
    ctx.provide(catalogueServiceRef, catalogue);
    // Plugins register fulfilment providers here (they list `catalogue` in dependsOn); the built-in three are in it.
    ctx.provide(fulfilmentProvidersRef, catalogue.providers);
    ctx.routes(catalogueRoutes(() => catalogue));
    // Orders no workflow picked up (Temporal unreachable past the outbox's retries): points and stock back, audited.
    // Idempotent and per-order locked, so every replica may run it.
    ctx.every('compensate-abandoned', 15 * 60_000, async (taskCtx) => {
      const { compensated } = await catalogue.compensateAbandoned(taskCtx);
      if (compensated.length > 0) taskCtx.log.warn({ orders: compensated.length }, 'catalogue: orders without a workflow compensated');
    });
  },
});

export { catalogueServiceRef, catalogueSettingsRef, orderLedgerKey, REDEMPTION_SIGNALS, REDEMPTION_WORKFLOW_TYPE, redemptionWorkflowId } from './catalogue.service.ts';
export type { CatalogueService, CatalogueSettings, OfferItem, OrderView, RedemptionWorkflowInput, RewardView } from './catalogue.service.ts';
export type { OrderStatus, RewardType, Fulfilment } from './catalogue.entity.ts';
