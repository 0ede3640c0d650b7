import { Type, definePlugin, earningInboxRef } from '@laurel/plugin-sdk';
import { CORE_VERSION } from '../../version.ts';
import { accessServiceRef } from '../access/index.ts';
import { auditServiceRef } from '../audit/index.ts';
import { ledgerServiceRef } from '../ledger/index.ts';
import { partnerServiceRef } from '../partners/index.ts';
import { programServiceRef } from '../programs/index.ts';
import { EarningEvent, EarningRule } from './earning.entity.ts';
import { EarningDispute } from './earning.disputes.entity.ts';
import { setupBacktest } from './earning.backtest.routes.ts';
import { setupDisputes } from './earning.disputes.routes.ts';
import { setupRuleExtensions } from './earning.extensions.routes.ts';
import { setupSkuMapping } from './earning.sku.routes.ts';
import { FxFetchConfig } from './earning.fx-fetch.ts';
import { setupFxFetch } from './earning.fx-fetch.routes.ts';
import { setupRelatedCompanies } from './earning.related.routes.ts';
import { createEarningInbox } from './earning.inbox.ts';
import { earningRoutes } from './earning.routes.ts';
import { createEarningService, earningServiceRef } from './earning.service.ts';
import { migration as m0001 } from './migrations/0001_earning.ts';
import { migration as m0002 } from './migrations/0002_fx_rates.ts';
import { migration as m0003 } from './migrations/0003_caps_review.ts';
import { migration as m0004 } from './migrations/0004_invoice_number_idx.ts';
import { migration as m0010 } from './migrations/0010_disputes.ts';
import { migration as m0020 } from './migrations/0020_backtest.ts';
import { migration as m0021 } from './migrations/0021_sku_mapping.ts';
import { migration as m0030 } from './migrations/0030_fx_fetch.ts';
import { migration as m0031 } from './migrations/0031_related_companies.ts';
import en from './locales/en.json' with { type: 'json' };
import pl from './locales/pl.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };

declare module '@laurel/plugin-sdk' {
  interface LaurelPermissions {
    /** Send business events (invoices …) to the earning inbox; meant for API keys of the sending systems. */
    'events:write': true;
    /** Earning rules, the unmatched queue, received events and the simulation. */
    'earning:manage': true;
  }
}

/** Core module `earning`: business events in (an idempotent inbox), rules as data, explained points out to the ledger. */
export const earningModule = definePlugin({
  id: 'earning',
  version: CORE_VERSION,
  compatibility: `^${CORE_VERSION}`,
  dependsOn: ['audit', 'access', 'programs', 'partners', 'ledger'],
  entities: [EarningEvent, EarningRule, EarningDispute],
  migrations: [m0001, m0002, m0003, m0004, m0010, m0020, m0021, m0030, m0031],
  config: Type.Object({ fxFetch: FxFetchConfig }, { additionalProperties: false, default: {} }),
  setup(ctx) {
    ctx.grant('events:write', ['admin'], { apiKeys: true });
    ctx.grant('earning:manage', ['admin', 'program-manager']);
    ctx.locales({ en, pl, ru });
    const related = setupRelatedCompanies(ctx);
    const earning = createEarningService({
      partners: ctx.inject(partnerServiceRef),
      programs: ctx.inject(programServiceRef),
      ledger: ctx.inject(ledgerServiceRef),
      access: ctx.inject(accessServiceRef),
      audit: ctx.inject(auditServiceRef),
      related: () => related,
    });
    ctx.provide(earningServiceRef, earning);
    // The public inbox of the plugin SDK: what connector plugins send canonical events to.
    ctx.provide(earningInboxRef, createEarningInbox(() => earning));
    ctx.routes(earningRoutes(() => earning));
    setupDisputes(ctx);
    setupBacktest(ctx, () => earning);
    setupRuleExtensions(ctx);
    setupSkuMapping(ctx);
    setupFxFetch(ctx, ctx.config.fxFetch, () => earning);
  },
});

export { earningServiceRef };
/**
 * Extension point for a tiers plugin: `ctx.inject(earningServiceRef)().setTierMultiplier((ctx, partner) => m)` gives
 * each partner's multiplier (1 when none); every rule's points are multiplied by it unless its effect says `tier: false`.
 */
export type { EarningService, EventOutcome, EventProcessedPayload, EventView, ReviewReason, ReviewView, RuleInput, RuleView, TierMultiplier } from './earning.service.ts';
export type { EarningEventInput, InvoiceIssuedEvent, InvoicePaidEvent } from './earning.schemas.ts';
