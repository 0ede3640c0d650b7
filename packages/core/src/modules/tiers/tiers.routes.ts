import { AppError, Type, type PluginRouter } from '@laurel/plugin-sdk';
import type { PartnerType } from '../partners/index.ts';
import { BUILTIN_METRICS, WINDOWS } from './tiers.evaluate.ts';
import type { TiersService } from './tiers.service.ts';

const PARTNER_TYPES = ['distributor', 'wholesaler', 'reseller', 'dealer', 'integrator'] as const satisfies readonly PartnerType[];
const Uuid = Type.String({ format: 'uuid' });
const Code = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,39}$', description: 'Lower-case letters, digits and dashes' });
const Text = Type.String({ minLength: 1, maxLength: 120 });
const Localized = Type.Object({ en: Text, pl: Text, ru: Text }, { additionalProperties: false, description: 'The name in English, Polish and Russian' });
const PartnerTypeSchema = Type.Union([Type.Literal(PARTNER_TYPES[0]), Type.Literal(PARTNER_TYPES[1]), Type.Literal(PARTNER_TYPES[2]), Type.Literal(PARTNER_TYPES[3]), Type.Literal(PARTNER_TYPES[4])]);
const WindowSchema = Type.Union([Type.Literal(WINDOWS[0]), Type.Literal(WINDOWS[1]), Type.Literal(WINDOWS[2])], {
  description: "rolling-12-months: the 12 months before the evaluation; calendar-quarter / program-year: the quarter or program year the evaluation falls in (at a review date: the one that just closed), in the program's time zone",
});
const Condition = Type.Object(
  {
    metric: Type.String({ minLength: 1, maxLength: 80, description: `A metric: ${BUILTIN_METRICS.join(', ')}, or one a plugin registered` }),
    min: Type.Number({ minimum: 0, maximum: 1e15, description: 'Met at or above this value: money in minor units of the program currency, percent as 0–100' }),
    window: WindowSchema,
  },
  { additionalProperties: false },
);
const Qualification = Type.Object(
  {
    mode: Type.Union([Type.Literal('all'), Type.Literal('any')], { description: 'all: every condition; any: one is enough' }),
    conditions: Type.Array(Condition, { maxItems: 20, description: 'None: every partner of the track qualifies' }),
  },
  { additionalProperties: false },
);
const Privilege = Type.Object({ code: Code, name: Localized }, { additionalProperties: false });
const Catalogue = Type.Object(
  { access: Type.Boolean({ description: 'May order from the rewards catalogue' }), labels: Type.Array(Type.String({ minLength: 1, maxLength: 60 }), { maxItems: 50, description: 'Reward labels only this tier sees' }) },
  { additionalProperties: false },
);
const Multiplier = Type.Number({ exclusiveMinimum: 0, maximum: 100, description: "The earning multiplier the rules apply to the partner's points (up to 4 decimal places)" });
const BenefitsSchema = Type.Object({ multiplier: Multiplier, privileges: Type.Array(Privilege, { maxItems: 30 }), catalogue: Catalogue }, { additionalProperties: false });
const BenefitsInput = Type.Object(
  { multiplier: Type.Optional(Multiplier), privileges: Type.Optional(Type.Array(Privilege, { maxItems: 30 })), catalogue: Type.Optional(Type.Partial(Catalogue, { additionalProperties: false })) },
  { additionalProperties: false },
);
const Review = Type.Object(
  {
    every: Type.Union([Type.Literal('quarter'), Type.Literal('year')], { description: 'Review dates: each calendar quarter or program year start' }),
    graceMonths: Type.Integer({ minimum: 0, maximum: 36, description: 'Downgrade protection: a partner failing its tier at a review keeps it this many months' }),
    maxDowngradeSteps: Type.Union([Type.Integer({ minimum: 1, maximum: 100 }), Type.Null()], { description: 'At most this many tiers down at one review; null: no limit' }),
    yearStartMonth: Type.Integer({ minimum: 1, maximum: 12, description: 'First month of the program year' }),
  },
  { additionalProperties: false },
);
const Strategic = Type.Object(
  { skus: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 5000 })), categories: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 500 })) },
  { additionalProperties: false, description: 'Strategic products (for the strategic-share metric)' },
);
const TierRef = Type.Object({ id: Uuid, code: Type.String(), name: Localized, rank: Type.Integer() });
const TierSchema = Type.Object({ id: Uuid, trackId: Uuid, programId: Uuid, code: Type.String(), name: Localized, rank: Type.Integer(), qualification: Qualification, benefits: BenefitsSchema, createdAt: Type.String({ format: 'date-time' }), updatedAt: Type.String({ format: 'date-time' }) });
const TrackSchema = Type.Object({
  id: Uuid, programId: Uuid, code: Type.String(), name: Localized, partnerTypes: Type.Array(PartnerTypeSchema), position: Type.Integer(), review: Review,
  strategic: Type.Object({ skus: Type.Array(Type.String()), categories: Type.Array(Type.String()) }), tiers: Type.Array(TierSchema),
  createdAt: Type.String({ format: 'date-time' }), updatedAt: Type.String({ format: 'date-time' }),
});
const TrackBody = {
  name: Localized,
  partnerTypes: Type.Optional(Type.Array(PartnerTypeSchema, { uniqueItems: true, description: 'Partner types the track takes (none: every type); a partner belongs to the first track, by position, that takes its type' })),
  position: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  review: Type.Optional(Type.Partial(Review, { additionalProperties: false })),
  strategic: Type.Optional(Strategic),
};
const TierBody = { name: Localized, rank: Type.Integer({ minimum: 1, maximum: 100, description: '1 is the lowest tier' }), qualification: Qualification, benefits: Type.Optional(BenefitsInput) };
const Metrics = Type.Record(Type.String(), Type.Record(Type.String(), Type.Number()), { description: 'values[window][metric]' });
const PartnerTier = Type.Object({
  partnerId: Uuid, programId: Uuid, track: Type.Object({ id: Uuid, code: Type.String(), name: Localized }),
  tier: Type.Union([TierRef, Type.Null()], { description: 'In force: the override while one runs, else the earned tier' }),
  earnedTier: Type.Union([TierRef, Type.Null()]), benefits: BenefitsSchema, since: Type.String({ format: 'date-time' }),
  graceUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Downgrade protection: failing the tier, kept until then' }),
  override: Type.Union([Type.Object({ tier: TierRef, reason: Type.String(), until: Type.String({ format: 'date-time' }), by: Type.Record(Type.String(), Type.Unknown()), at: Type.String({ format: 'date-time' }) }), Type.Null()]),
  evaluatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const Change = Type.Union([Type.Literal('promoted'), Type.Literal('demoted'), Type.Literal('protected'), Type.Literal('override'), Type.Literal('override-ended')]);
const HistoryPage = Type.Object({
  items: Type.Array(Type.Object({ id: Uuid, partnerId: Uuid, trackId: Uuid, from: Type.Union([TierRef, Type.Null()]), to: Type.Union([TierRef, Type.Null()]), change: Change, reason: Type.Union([Type.String(), Type.Null()]), cause: Type.Record(Type.String(), Type.Unknown()), metrics: Metrics, at: Type.String({ format: 'date-time' }) })),
  nextBefore: Type.Union([Uuid, Type.Null()]),
});
const Unit = Type.Union([Type.Literal('money'), Type.Literal('points'), Type.Literal('count'), Type.Literal('percent'), Type.Literal('number')]);
const ConditionProgress = Type.Object({
  metric: Type.String(), metricName: Type.String(), unit: Unit, window: WindowSchema, required: Type.Number(), current: Type.Number(), missing: Type.Number(),
  by: Type.String({ format: 'date', description: "The last day it counts (program time zone)" }), text: Type.Union([Type.String(), Type.Null()], { description: "What is missing, in the caller's language" }),
});
const Progress = Type.Object({
  partnerId: Uuid, currency: Type.String(), tier: Type.Union([TierRef, Type.Null()]), nextReview: Type.String({ format: 'date-time' }),
  next: Type.Union([Type.Object({ tier: TierRef, mode: Type.Union([Type.Literal('all'), Type.Literal('any')]), met: Type.Boolean(), percent: Type.Integer({ minimum: 0, maximum: 100 }), conditions: Type.Array(ConditionProgress), text: Type.Union([Type.String(), Type.Null()]) }), Type.Null()]),
  keep: Type.Union([Type.Object({ tier: TierRef, reviewDate: Type.String({ format: 'date-time' }), mode: Type.Union([Type.Literal('all'), Type.Literal('any')]), met: Type.Boolean(), conditions: Type.Array(ConditionProgress), text: Type.Union([Type.String(), Type.Null()]), graceUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) }), Type.Null()]),
});
const Job = Type.Object({
  id: Uuid, programId: Uuid, reviewDate: Type.String({ format: 'date-time' }), status: Type.Union([Type.Literal('running'), Type.Literal('done')]),
  total: Type.Integer(), done: Type.Integer(), promoted: Type.Integer(), demoted: Type.Integer(), protected: Type.Integer({ description: 'Failing their tier, kept under downgrade protection' }),
  createdAt: Type.String({ format: 'date-time' }), updatedAt: Type.String({ format: 'date-time' }), finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const Distribution = Type.Object({
  programId: Uuid,
  tracks: Type.Array(Type.Object({ trackId: Uuid, code: Type.String(), name: Localized, tiers: Type.Array(Type.Object({ tier: Type.Union([TierRef, Type.Null()]), partners: Type.Integer() })) })),
});
const Reason = Type.String({ minLength: 1, maxLength: 500 });
const PartnerParams = Type.Object({ partnerId: Uuid });
const HistoryQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })), before: Type.Optional(Uuid) });

function ownPartner(actor: { kind: string; partnerId?: string | null }): string {
  if (actor.kind !== 'user' || !actor.partnerId) throw new AppError('FORBIDDEN', 403);
  return actor.partnerId;
}

export function tiersRoutes(tiers: () => TiersService) {
  return (router: PluginRouter): void => {
    const tags = ['tiers'];
    router.get('/metrics', { config: { access: 'tiers:read' }, schema: { tags, summary: 'Metrics qualification conditions may name (built-in and from plugins)', response: { 200: Type.Object({ items: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), unit: Unit })) }) } } }, async (request) => ({
      items: tiers().listMetrics(request.ctx),
    }));
    router.get('/tracks', { config: { access: 'tiers:read' }, schema: { tags, summary: "A program's tracks with their tiers, lowest first", querystring: Type.Object({ programId: Uuid }), response: { 200: Type.Object({ items: Type.Array(TrackSchema) }) } } }, async (request) => ({
      items: await tiers().listTracks(request.ctx, request.query.programId),
    }));
    router.post(
      '/tracks',
      { config: { access: 'tiers:manage' }, schema: { tags, summary: 'Add a track (e.g. resellers, integrators) to a program', body: Type.Object({ programId: Uuid, code: Code, ...TrackBody }, { additionalProperties: false }), response: { 201: TrackSchema } } },
      async (request, reply) => reply.status(201).send(await tiers().createTrack(request.ctx, request.body)),
    );
    router.get('/tracks/:id', { config: { access: 'tiers:read' }, schema: { tags, summary: 'One track with its tiers', params: Type.Object({ id: Uuid }), response: { 200: TrackSchema } } }, async (request) => tiers().getTrack(request.ctx, request.params.id));
    router.put(
      '/tracks/:id',
      { config: { access: 'tiers:manage' }, schema: { tags, summary: 'Change a track (names, partner types, review settings, strategic products)', params: Type.Object({ id: Uuid }), body: Type.Partial(Type.Object(TrackBody), { additionalProperties: false }), response: { 200: TrackSchema } } },
      async (request) => tiers().updateTrack(request.ctx, request.params.id, request.body),
    );
    router.post(
      '/tracks/:id/tiers',
      { config: { access: 'tiers:manage' }, schema: { tags, summary: 'Add a tier to a track', params: Type.Object({ id: Uuid }), body: Type.Object({ code: Code, ...TierBody }, { additionalProperties: false }), response: { 201: TierSchema } } },
      async (request, reply) => reply.status(201).send(await tiers().createTier(request.ctx, request.params.id, request.body)),
    );
    router.put(
      '/tiers/:id',
      { config: { access: 'tiers:manage' }, schema: { tags, summary: "Change a tier's names, rank, qualification or benefits", params: Type.Object({ id: Uuid }), body: Type.Partial(Type.Object(TierBody), { additionalProperties: false }), response: { 200: TierSchema } } },
      async (request) => tiers().updateTier(request.ctx, request.params.id, request.body),
    );
    router.get('/distribution', { config: { access: 'tiers:read' }, schema: { tags, summary: 'How many partners are in each tier, per track', querystring: Type.Object({ programId: Uuid }), response: { 200: Distribution } } }, async (request) =>
      tiers().distribution(request.ctx, request.query.programId),
    );
    router.get('/partners/:partnerId', { config: { access: 'tiers:read' }, schema: { tags, summary: "A partner's tier, benefits, protection and override", params: PartnerParams, response: { 200: PartnerTier } } }, async (request) =>
      tiers().partnerTier(request.ctx, request.params.partnerId),
    );
    router.get('/partners/:partnerId/history', { config: { access: 'tiers:read' }, schema: { tags, summary: "A partner's tier changes, newest first, with the metric values that decided each", params: PartnerParams, querystring: HistoryQuery, response: { 200: HistoryPage } } }, async (request) =>
      tiers().history(request.ctx, request.params.partnerId, { limit: request.query.limit ?? 50, before: request.query.before }),
    );
    router.get('/partners/:partnerId/progress', { config: { access: 'tiers:read' }, schema: { tags, summary: 'What the partner misses for the next tier and for keeping its tier at the next review', params: PartnerParams, response: { 200: Progress } } }, async (request) =>
      tiers().progress(request.ctx, request.params.partnerId),
    );
    router.post('/partners/:partnerId/evaluate', { config: { access: 'tiers:manage' }, schema: { tags, summary: 'Evaluate a partner now (promotes when it qualifies higher; never demotes)', params: PartnerParams, response: { 200: PartnerTier } } }, async (request) =>
      tiers().evaluatePartner(request.ctx, request.params.partnerId),
    );
    router.put(
      '/partners/:partnerId/override',
      {
        config: { access: 'tiers:manage' },
        schema: { tags, summary: "Set a partner's tier by hand until a date, with a reason (audited)", params: PartnerParams, body: Type.Object({ tierId: Uuid, reason: Reason, until: Type.String({ format: 'date-time', description: 'The override ends then; the earned tier is in force again' }) }, { additionalProperties: false }), response: { 200: PartnerTier } },
      },
      async (request) => tiers().setOverride(request.ctx, request.params.partnerId, request.body),
    );
    router.post(
      '/partners/:partnerId/override/end',
      { config: { access: 'tiers:manage' }, schema: { tags, summary: 'End an override now, with a reason (audited)', params: PartnerParams, body: Type.Object({ reason: Reason }, { additionalProperties: false }), response: { 200: PartnerTier } } },
      async (request) => tiers().endOverride(request.ctx, request.params.partnerId, request.body),
    );
    router.get('/me', { config: { access: 'tiers:read-own' }, schema: { tags, summary: "Your company's tier and benefits (partner users)", response: { 200: PartnerTier } } }, async (request) =>
      tiers().partnerTier(request.ctx, ownPartner(request.ctx.actor as never)),
    );
    router.get('/me/progress', { config: { access: 'tiers:read-own' }, schema: { tags, summary: "Your company's progress to the next tier (partner users)", response: { 200: Progress } } }, async (request) =>
      tiers().progress(request.ctx, ownPartner(request.ctx.actor as never)),
    );
    router.get('/me/history', { config: { access: 'tiers:read-own' }, schema: { tags, summary: "Your company's tier changes (partner users)", querystring: HistoryQuery, response: { 200: HistoryPage } } }, async (request) =>
      tiers().history(request.ctx, ownPartner(request.ctx.actor as never), { limit: request.query.limit ?? 50, before: request.query.before }),
    );
    router.post(
      '/reviews',
      {
        config: { access: 'tiers:manage' },
        schema: { tags, summary: 'Review every partner of a program for a review date, in the background (resumable; asking again for the same date resumes it)', body: Type.Object({ programId: Uuid, reviewDate: Type.String({ format: 'date-time' }) }, { additionalProperties: false }), response: { 202: Job } },
      },
      async (request, reply) => reply.status(202).send(await tiers().requestReview(request.ctx, request.body)),
    );
    router.get('/reviews', { config: { access: 'tiers:read' }, schema: { tags, summary: "A program's reviews, latest review date first", querystring: Type.Object({ programId: Uuid }), response: { 200: Type.Object({ items: Type.Array(Job) }) } } }, async (request) => ({
      items: await tiers().listReviews(request.ctx, request.query.programId),
    }));
    router.get('/reviews/:id', { config: { access: 'tiers:read' }, schema: { tags, summary: 'A review and its progress (done of total)', params: Type.Object({ id: Uuid }), response: { 200: Job } } }, async (request) => tiers().getReview(request.ctx, request.params.id));
  };
}
