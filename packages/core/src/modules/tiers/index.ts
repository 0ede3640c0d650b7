import { definePlugin, tierMetricsRef } from '@laurel/plugin-sdk';
import { CORE_VERSION } from '../../version.ts';
import { auditServiceRef } from '../audit/index.ts';
import { earningServiceRef } from '../earning/index.ts';
import { partnerServiceRef } from '../partners/index.ts';
import { programServiceRef } from '../programs/index.ts';
import { seedTiers } from './tiers.seed.ts';
import { tiersRoutes } from './tiers.routes.ts';
import { createTiersService, tiersServiceRef } from './tiers.service.ts';
import { migration as m0001 } from './migrations/0001_tiers.ts';
import { migration as m0002 } from './migrations/0002_review_tracks.ts';
import en from './locales/en.json' with { type: 'json' };
import pl from './locales/pl.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };

declare module '@laurel/plugin-sdk' {
  interface LaurelPermissions {
    /** Tracks, tiers, partners' tiers, history, progress and reviews. */
    'tiers:read': true;
    /** Change tracks and tiers, override a partner's tier, run reviews. */
    'tiers:manage': true;
    /** A partner user's: their own company's tier, benefits and progress. */
    'tiers:read-own': true;
  }
}

/**
 * Core module `tiers`: tracks of ordered tiers per program, qualification over metrics in windows (plugins add
 * metrics through `tierMetricsRef`), upgrades as soon as a qualifying event lands, downgrades at review dates after a
 * grace period, overrides, history, progress, batch reviews, and the tier multiplier earning applies.
 */
export const tiersModule = definePlugin({
  id: 'tiers',
  version: CORE_VERSION,
  compatibility: `^${CORE_VERSION}`,
  dependsOn: ['audit', 'programs', 'partners', 'earning'],
  migrations: [m0001, m0002],
  setup(ctx) {
    ctx.grant('tiers:read', ['admin', 'program-manager', 'finance', 'marketing', 'support'], { apiKeys: true });
    ctx.grant('tiers:manage', ['admin', 'program-manager']);
    ctx.grant('tiers:read-own', ['partner-admin', 'partner-user']);
    ctx.locales({ en, pl, ru });
    const tiers = createTiersService({ partners: ctx.inject(partnerServiceRef), programs: ctx.inject(programServiceRef), audit: ctx.inject(auditServiceRef) });
    ctx.provide(tiersServiceRef, tiers);
    ctx.provide(tierMetricsRef, tiers.metrics);
    ctx.routes(tiersRoutes(() => tiers));
    // Turnover, payments and points as earning processes events; an upgrade as soon as one qualifies the partner.
    ctx.on('earning.event.processed', async (event, listenerCtx) => void (await tiers.recordActivity(listenerCtx, event)), { name: 'record-activity', maxAttempts: 10 });
    ctx.on('tiers.review.requested', async (event, listenerCtx) => void (await tiers.resumeReview(listenerCtx, event.payload.jobId)), { name: 'run-review', maxAttempts: 5 });
    // The scheduled review: each track's review date, once it has come (a Temporal schedule can take this over).
    ctx.every('review', 10 * 60_000, async (taskCtx) => void (await tiers.runDueReviews(taskCtx)));
    // Benefits: earning rules multiply a partner's points by its tier's multiplier.
    const earning = ctx.inject(earningServiceRef);
    ctx.onReady(() => earning().setTierMultiplier((c, partner) => tiers.multiplierOf(c, partner.id)));
    const programs = ctx.inject(programServiceRef);
    const partners = ctx.inject(partnerServiceRef);
    ctx.seed((seedCtx) => seedTiers(seedCtx, { tiers, programs: programs(), partners: partners() }));
  },
});

export { tiersServiceRef };
export type { Benefits, DistributionView, HistoryView, PartnerTierView, ProgressView, ReviewJobView, TierChangedPayload, TierInput, TiersService, TierView, TrackInput, TrackView } from './tiers.service.ts';
