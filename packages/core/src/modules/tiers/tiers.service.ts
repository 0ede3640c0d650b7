import { AppError, createServiceRef, describeActor, isAppError, type DeliveredEvent, type RequestContext, type TierMetric, type TierMetricRegistry, type TierMetricUnit } from '@laurel/plugin-sdk';
import { uuidv7 } from '../../platform/ids.ts';
import type { AuditService } from '../audit/index.ts';
import type { EventProcessedPayload } from '../earning/index.ts';
import type { PartnerService, PartnerType } from '../partners/index.ts';
import type { ProgramService, ProgramView } from '../programs/index.ts';
import { BUILTIN_METRICS, decideAtReview, decideOnEvent, meets, qualifyingIndex, valueOf, type Condition, type MetricValues, type Qualification, type ReviewSettings, type WindowKind } from './tiers.evaluate.ts';

declare module '@laurel/plugin-sdk' {
  interface LaurelEvents {
    /** A partner's tier went up (a qualifying event, a review, or an override). */
    'tiers.partner.promoted': TierChangedPayload;
    /** A partner's tier went down (a review after its grace period, or an override). */
    'tiers.partner.demoted': TierChangedPayload;
    /** A batch review was asked for over the API: it runs in the background, resumable. */
    'tiers.review.requested': { jobId: string };
  }
}

export interface TierChangedPayload {
  partnerId: string;
  programId: string;
  trackId: string;
  fromTierId: string | null;
  fromTier: string | null;
  toTierId: string | null;
  toTier: string | null;
  historyId: string;
  reason: 'event' | 'review' | 'override' | 'override-ended';
  at: string;
}

export type Localized = { en: string; pl: string; ru: string };

export interface Benefits {
  /** The earning multiplier the earning rules apply (1: none). */
  multiplier: number;
  /** Privileges shown to the partner (priority ordering, a dedicated advisor, access to scarce products …). */
  privileges: { code: string; name: Localized }[];
  /** Rewards catalogue access: whether the partner may order, and the reward labels only this tier sees. */
  catalogue: { access: boolean; labels: string[] };
}

export interface TierView {
  id: string;
  trackId: string;
  programId: string;
  code: string;
  name: Localized;
  rank: number;
  qualification: Qualification;
  benefits: Benefits;
  createdAt: string;
  updatedAt: string;
}

export interface TrackView {
  id: string;
  programId: string;
  code: string;
  name: Localized;
  partnerTypes: PartnerType[];
  position: number;
  review: ReviewSettings;
  strategic: { skus: string[]; categories: string[] };
  tiers: TierView[];
  createdAt: string;
  updatedAt: string;
}

export interface TrackInput {
  programId: string;
  code: string;
  name: Localized;
  partnerTypes?: PartnerType[];
  position?: number;
  review?: Partial<ReviewSettings>;
  strategic?: { skus?: string[]; categories?: string[] };
}

export interface TierInput {
  code: string;
  name: Localized;
  rank: number;
  qualification: Qualification;
  benefits?: { multiplier?: number; privileges?: Benefits['privileges']; catalogue?: Partial<Benefits['catalogue']> };
}

export interface TierRef { id: string; code: string; name: Localized; rank: number }

export interface PartnerTierView {
  partnerId: string;
  programId: string;
  track: { id: string; code: string; name: Localized };
  /** The tier in force: the override's while one runs, else the earned one. */
  tier: TierRef | null;
  earnedTier: TierRef | null;
  benefits: Benefits;
  since: string;
  /** Downgrade protection: failing the tier at a review, kept until this date. */
  graceUntil: string | null;
  override: { tier: TierRef; reason: string; until: string; by: Record<string, unknown>; at: string } | null;
  evaluatedAt: string | null;
}

export interface HistoryView {
  id: string;
  partnerId: string;
  trackId: string;
  from: TierRef | null;
  to: TierRef | null;
  change: 'promoted' | 'demoted' | 'protected' | 'override' | 'override-ended';
  reason: string | null;
  cause: Record<string, unknown>;
  /** The metric values that decided the change: values[window][metric]. */
  metrics: MetricValues;
  at: string;
}

export interface ConditionProgress {
  metric: string;
  metricName: string;
  unit: TierMetricUnit;
  window: WindowKind;
  required: number;
  current: number;
  missing: number;
  /** The last day (program time zone) by which it counts. */
  by: string;
  /** What is missing in a sentence, in the caller's language; null when the condition is met. */
  text: string | null;
}

export interface ProgressView {
  partnerId: string;
  currency: string;
  tier: TierRef | null;
  nextReview: string;
  next: { tier: TierRef; mode: 'all' | 'any'; met: boolean; percent: number; conditions: ConditionProgress[]; text: string | null } | null;
  keep: { tier: TierRef; reviewDate: string; mode: 'all' | 'any'; met: boolean; conditions: ConditionProgress[]; text: string | null; graceUntil: string | null } | null;
}

export interface ReviewJobView {
  id: string;
  programId: string;
  reviewDate: string;
  status: 'running' | 'done';
  total: number;
  done: number;
  promoted: number;
  demoted: number;
  protected: number;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface DistributionView {
  programId: string;
  tracks: { trackId: string; code: string; name: Localized; tiers: { tier: TierRef | null; partners: number }[] }[];
}

export interface TiersDeps {
  partners: () => PartnerService;
  programs: () => ProgramService;
  audit: () => AuditService;
}

interface TrackRow { id: string; program_id: string; code: string; name: Localized; partner_types: PartnerType[]; position: number; review: ReviewSettings; strategic: { skus: string[]; categories: string[] }; created_at: Date; updated_at: Date }
interface TierRow { id: string; track_id: string; program_id: string; code: string; name: Localized; rank: number; qualification: Qualification; benefits: Benefits; created_at: Date; updated_at: Date }
interface Override { tierId: string; reason: string; until: string; by: Record<string, unknown>; at: string }
interface PartnerRow { partner_id: string; program_id: string; track_id: string; tier_id: string | null; since: Date; grace_until: Date | null; override: Override | null; evaluated_at: Date | null; updated_at: Date }
interface JobRow { id: string; program_id: string; review_date: Date; track_ids: string[] | null; status: 'running' | 'done'; total: number; done: number; checkpoint: string | null; promoted: number; demoted: number; protected: number; created_at: Date; updated_at: Date; finished_at: Date | null }

const DEFAULT_REVIEW: ReviewSettings = { every: 'quarter', graceMonths: 3, maxDowngradeSteps: 1, yearStartMonth: 1 };
const DEFAULT_BENEFITS: Benefits = { multiplier: 1, privileges: [], catalogue: { access: true, labels: [] } };
const BUILTIN_UNITS: Record<string, TierMetricUnit> = { 'net-turnover': 'money', 'points-earned': 'points', 'paid-invoices': 'count', 'active-months': 'count', 'strategic-share': 'percent' };
const INTL: Record<string, string> = { en: 'en-GB', pl: 'pl-PL', ru: 'ru-RU' };
const CHUNK = 2000;
/** A JSON array of uuids as a parameter (arrays as parameters are expanded into lists by the driver). */
const UUIDS = `array(select jsonb_array_elements_text(?::jsonb)::uuid)`;

function invalid(code: string, field: string, params: Record<string, unknown> = {}, status = 422): AppError {
  return new AppError(code, status, { params, fields: [{ field, messageKey: `errors.${code}`, params }] });
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());
const ref = (t: TierRow | undefined | null): TierRef | null => (t ? { id: t.id, code: t.code, name: t.name, rank: t.rank } : null);

function tierView(t: TierRow): TierView {
  return { id: t.id, trackId: t.track_id, programId: t.program_id, code: t.code, name: t.name, rank: t.rank, qualification: t.qualification, benefits: { ...DEFAULT_BENEFITS, ...t.benefits }, createdAt: iso(t.created_at)!, updatedAt: iso(t.updated_at)! };
}

function trackView(t: TrackRow, tiers: TierRow[]): TrackView {
  return {
    id: t.id, programId: t.program_id, code: t.code, name: t.name, partnerTypes: t.partner_types, position: t.position, review: { ...DEFAULT_REVIEW, ...t.review }, strategic: t.strategic,
    tiers: tiers.filter((x) => x.track_id === t.id).sort((a, b) => a.rank - b.rank).map(tierView), createdAt: iso(t.created_at)!, updatedAt: iso(t.updated_at)!,
  };
}

function jobView(j: JobRow): ReviewJobView {
  return { id: j.id, programId: j.program_id, reviewDate: iso(j.review_date)!, status: j.status, total: j.total, done: j.done, promoted: j.promoted, demoted: j.demoted, protected: j.protected, createdAt: iso(j.created_at)!, updatedAt: iso(j.updated_at)!, finishedAt: iso(j.finished_at) };
}

/** The net value of the strategic lines of an invoice, in the program currency (the lines' share of its net total). */
function strategicNet(netTotal: number, lines: EventProcessedPayload['lines'], strategic: TrackRow['strategic']): number {
  if (!lines || lines.length === 0 || netTotal === 0) return 0;
  const skus = new Set(strategic.skus);
  const categories = new Set(strategic.categories);
  let all = 0n;
  let mine = 0n;
  for (const l of lines) {
    all += BigInt(l.netAmount);
    if (skus.has(l.sku) || (l.category !== undefined && categories.has(l.category))) mine += BigInt(l.netAmount);
  }
  if (all === 0n) return 0;
  return Number((BigInt(netTotal) * mine) / all);
}

/** Run `work` in one transaction on the context's own entity manager, so raw statements and emitted events commit together. */
async function inTransaction<T>(ctx: RequestContext, work: () => Promise<T>): Promise<T> {
  if (ctx.em.isInTransaction()) {
    const result = await work();
    await ctx.em.flush();
    return result;
  }
  await ctx.em.begin();
  try {
    const result = await work();
    await ctx.em.commit();
    return result;
  } catch (error) {
    await ctx.em.rollback();
    ctx.em.clear();
    throw error;
  }
}

interface Bounds { from: Date; to: Date; /** The window's natural end (quarter, program year; the review after `at` for rolling). */ end: Date }

/**
 * Tiers: tracks and their ordered tiers, qualification over metrics in windows, upgrades as soon as a qualifying event
 * lands, downgrades only at review dates after a grace period, overrides, history, progress and batch reviews.
 */
export function createTiersService(deps: TiersDeps) {
  const metrics = new Map<string, TierMetric>();
  const registry: TierMetricRegistry = {
    register(metric) {
      if ((BUILTIN_METRICS as readonly string[]).includes(metric.code) || metrics.has(metric.code)) throw new Error(`Tier metric "${metric.code}" is registered twice`);
      if (!/^[a-z0-9][a-z0-9.-]{0,79}$/.test(metric.code)) throw new Error(`Tier metric code "${metric.code}" must be lower-case letters, digits, dots and dashes`);
      metrics.set(metric.code, metric);
    },
  };
  const unitOf = (code: string): TierMetricUnit => BUILTIN_UNITS[code] ?? metrics.get(code)?.unit ?? 'number';
  const metricName = (ctx: RequestContext, code: string): string => (BUILTIN_UNITS[code] ? ctx.t(`tiers:metrics.${code}`) : (metrics.get(code)?.name[ctx.locale] ?? code));

  // The multiplier of each partner, shared for two seconds (what another server changed applies within them).
  const multipliers = new Map<string, { at: number; value: number }>();
  const pendingMultipliers = new Map<unknown, { ids: Set<string>; result: Promise<Map<string, number>> }>();

  async function program(ctx: RequestContext, programId: string, field?: string): Promise<ProgramView> {
    try {
      return await deps.programs().get(ctx, programId);
    } catch (error) {
      if (field && isAppError(error) && error.status === 404) throw invalid('TIERS_PROGRAM_UNKNOWN', field, { programId });
      throw error;
    }
  }

  async function loadTrack(ctx: RequestContext, id: string): Promise<TrackRow> {
    const [row] = await ctx.em.execute<TrackRow[]>(`select * from tiers_track where id = ?`, [id]);
    if (!row) throw new AppError('TIERS_TRACK_NOT_FOUND', 404, { params: { id } });
    await program(ctx, row.program_id);
    return row;
  }

  async function tiersOf(ctx: RequestContext, trackIds: string[]): Promise<TierRow[]> {
    if (trackIds.length === 0) return [];
    return ctx.em.execute<TierRow[]>(`select * from tiers_tier where track_id = any(${UUIDS}) order by track_id, rank`, [JSON.stringify(trackIds)]);
  }

  function checkQualification(q: Qualification, prefix: string) {
    q.conditions.forEach((c, i) => {
      if (!BUILTIN_UNITS[c.metric] && !metrics.has(c.metric)) throw invalid('TIERS_METRIC_UNKNOWN', `${prefix}/conditions/${i}/metric`, { metric: c.metric, known: [...BUILTIN_METRICS, ...metrics.keys()].join(', ') });
      if (unitOf(c.metric) === 'percent' && c.min > 100) throw invalid('TIERS_PERCENT_RANGE', `${prefix}/conditions/${i}/min`, { min: c.min });
    });
  }

  /** The window bounds at `at` in a time zone: rolling 12 months, the calendar quarter and the program year `at` closes or runs in. */
  async function boundsAt(ctx: RequestContext, at: Date, timeZone: string, review: ReviewSettings): Promise<Record<WindowKind, Bounds>> {
    const [b] = await ctx.em.execute<{ r_from: Date; q_from: Date; q_end: Date; y_from: Date; y_end: Date }[]>(
      `with l as (select ?::timestamptz as at, ?::text as tz, ?::int as m, (?::timestamptz - interval '1 microsecond') at time zone ?::text as local),
            b as (select at, tz, local, date_trunc('quarter', local) as q, make_timestamp(extract(year from local)::int - case when extract(month from local)::int < m then 1 else 0 end, m, 1, 0, 0, 0) as y from l)
       select at - interval '12 months' as r_from, q at time zone tz as q_from, (q + interval '3 months') at time zone tz as q_end, y at time zone tz as y_from, (y + interval '1 year') at time zone tz as y_end from b`,
      [at, timeZone, review.yearStartMonth, at, timeZone],
    );
    const next = new Date(review.every === 'quarter' ? b!.q_end : b!.y_end);
    return {
      'rolling-12-months': { from: new Date(b!.r_from), to: at, end: next },
      'calendar-quarter': { from: new Date(b!.q_from), to: at, end: new Date(b!.q_end) },
      'program-year': { from: new Date(b!.y_from), to: at, end: new Date(b!.y_end) },
    };
  }

  /** The next review date after `at`: the next quarter or program year start in the program's time zone. */
  async function nextReviewAfter(ctx: RequestContext, at: Date, timeZone: string, review: ReviewSettings): Promise<Date> {
    const b = await boundsAt(ctx, new Date(at.getTime() + 1), timeZone, review);
    return b['rolling-12-months'].end;
  }

  /**
   * Metric values of many partners in the windows the conditions name: the built-in ones in one pass over the
   * activity (a row per window and partner), the plugins' through their `compute`. `clip` ends every window there
   * (what counts so far).
   */
  // Active months are counted as bits of month numbers (mod 60: a window spans at most 13 months, so none collide),
  // which spares a sort per partner that count(distinct …) would need.
  async function measure(ctx: RequestContext, programId: string, timeZone: string, partnerIds: string[], conditions: Pick<Condition, 'metric' | 'window'>[], bounds: Record<WindowKind, Bounds>, clip?: Date): Promise<Map<string, MetricValues>> {
    const out = new Map<string, MetricValues>(partnerIds.map((id) => [id, {}]));
    if (partnerIds.length === 0 || conditions.length === 0) return out;
    const to = (w: WindowKind) => (clip && clip < bounds[w].to ? clip : bounds[w].to);
    const builtinWindows = [...new Set(conditions.filter((c) => BUILTIN_UNITS[c.metric]).map((c) => c.window))];
    if (builtinWindows.length) {
      const rows = await ctx.em.execute<{ partner_id: string; w: WindowKind; turnover: string; strategic: string; points: string; paid: number; months: number }[]>(
        `select a.partner_id, w.name as w,
                coalesce(sum(a.net) filter (where a.kind in ('invoice', 'correction')), 0)::text as turnover,
                coalesce(sum(a.strategic_net) filter (where a.kind in ('invoice', 'correction')), 0)::text as strategic,
                coalesce(sum(a.points) filter (where a.kind in ('invoice', 'correction', 'activity')), 0)::text as points,
                (count(*) filter (where a.kind = 'paid'))::int as paid,
                bit_count(coalesce(bit_or(1::bigint << ((extract(year from a.occurred_at at time zone ?::text) * 12 + extract(month from a.occurred_at at time zone ?::text))::int % 60)) filter (where a.kind = 'invoice' and a.net > 0), 0)::bit(64))::int as months
           from tiers_activity a
           join jsonb_to_recordset(?::jsonb) as w(name text, f timestamptz, t timestamptz) on a.occurred_at >= w.f and a.occurred_at < w.t
          where a.partner_id = any(${UUIDS})
          group by a.partner_id, w.name`,
        [timeZone, timeZone, JSON.stringify(builtinWindows.map((w) => ({ name: w, f: bounds[w].from, t: to(w) }))), JSON.stringify(partnerIds)],
      );
      for (const r of rows) {
        const values = out.get(r.partner_id);
        if (!values) continue;
        const turnover = Number(r.turnover);
        const strategic = Number(r.strategic);
        values[r.w] = {
          ...values[r.w],
          'net-turnover': turnover,
          'points-earned': Number(r.points),
          'paid-invoices': r.paid,
          'active-months': r.months,
          'strategic-share': turnover > 0 ? Math.round((strategic * 10_000) / turnover) / 100 : 0,
        };
      }
      for (const values of out.values()) for (const w of builtinWindows) values[w] ??= { 'net-turnover': 0, 'points-earned': 0, 'paid-invoices': 0, 'active-months': 0, 'strategic-share': 0 };
    }
    const custom = new Map<string, { metric: TierMetric; window: WindowKind }>();
    for (const c of conditions) {
      const metric = metrics.get(c.metric);
      if (metric) custom.set(`${c.metric}\u0000${c.window}`, { metric, window: c.window });
    }
    for (const { metric, window } of custom.values()) {
      const values = await metric.compute(ctx, { programId, partnerIds, from: bounds[window].from, to: to(window) });
      for (const [partnerId, v] of out) v[window] = { ...v[window], [metric.code]: Number(values.get(partnerId) ?? 0) };
    }
    return out;
  }

  const conditionsOf = (tiers: TierRow[]) => tiers.flatMap((t) => t.qualification.conditions);

  /** The partner's tier record, created (in the track its type belongs to) on first use; null when no track takes it. */
  async function enrol(ctx: RequestContext, partnerId: string): Promise<PartnerRow | null> {
    const [row] = await ctx.em.execute<PartnerRow[]>(`select * from tiers_partner where partner_id = ?`, [partnerId]);
    if (row) return row;
    const partner = await deps.partners().get(ctx, partnerId);
    const [track] = await ctx.em.execute<TrackRow[]>(
      `select * from tiers_track where program_id = ? and (partner_types = '[]'::jsonb or partner_types @> jsonb_build_array(?::text)) order by position, code limit 1`,
      [partner.programId, partner.type],
    );
    if (!track) return null;
    await ctx.em.execute(`insert into tiers_partner (partner_id, program_id, track_id, tier_id, since, updated_at) values (?, ?, ?, null, now(), now()) on conflict do nothing`, [partnerId, partner.programId, track.id]);
    const [created] = await ctx.em.execute<PartnerRow[]>(`select * from tiers_partner where partner_id = ?`, [partnerId]);
    return created ?? null;
  }

  async function partnerRow(ctx: RequestContext, partnerId: string): Promise<PartnerRow> {
    await deps.partners().get(ctx, partnerId); // scope: 404 for a partner the caller may not see
    const row = await enrol(ctx, partnerId);
    if (!row) throw new AppError('TIERS_PARTNER_NO_TRACK', 404, { params: { partnerId } });
    return row;
  }

  const overrideActive = (row: PartnerRow, at: Date) => row.override !== null && new Date(row.override.until).getTime() > at.getTime();
  const effectiveTierId = (row: PartnerRow, at: Date) => (overrideActive(row, at) ? row.override!.tierId : row.tier_id);

  interface Change { partnerId: string; programId: string; trackId: string; from: TierRow | null; to: TierRow | null; change: HistoryView['change']; reason: string | null; cause: Record<string, unknown>; metrics: MetricValues; at: Date }

  /** History rows of many changes in one statement, and the promoted/demoted events of those that move the tier in force. */
  async function record(ctx: RequestContext, changes: Change[], moves: (c: Change) => 'up' | 'down' | null, why: (c: Change) => TierChangedPayload['reason']) {
    if (changes.length === 0) return;
    const rows = changes.map((c) => ({ ...c, id: uuidv7() }));
    await ctx.em.execute(
      `insert into tiers_history (id, partner_id, program_id, track_id, from_tier_id, to_tier_id, change, reason, cause, metrics, at)
       select x.id, x.partner_id, x.program_id, x.track_id, x.from_tier_id, x.to_tier_id, x.change, x.reason, x.cause, x.metrics, x.at
         from jsonb_to_recordset(?::jsonb) as x(id uuid, partner_id uuid, program_id uuid, track_id uuid, from_tier_id uuid, to_tier_id uuid, change text, reason text, cause jsonb, metrics jsonb, at timestamptz)`,
      [JSON.stringify(rows.map((c) => ({ id: c.id, partner_id: c.partnerId, program_id: c.programId, track_id: c.trackId, from_tier_id: c.from?.id ?? null, to_tier_id: c.to?.id ?? null, change: c.change, reason: c.reason, cause: c.cause, metrics: c.metrics, at: c.at })))],
    );
    for (const c of rows) {
      multipliers.delete(c.partnerId);
      const move = moves(c);
      if (!move) continue;
      ctx.emit(move === 'up' ? 'tiers.partner.promoted' : 'tiers.partner.demoted', {
        partnerId: c.partnerId, programId: c.programId, trackId: c.trackId, fromTierId: c.from?.id ?? null, fromTier: c.from?.code ?? null, toTierId: c.to?.id ?? null, toTier: c.to?.code ?? null, historyId: c.id, reason: why(c), at: c.at.toISOString(),
      });
    }
  }
  const rankOf = (t: TierRow | null) => t?.rank ?? 0;
  const direction = (c: Change): 'up' | 'down' | null => (rankOf(c.to) > rankOf(c.from) ? 'up' : rankOf(c.to) < rankOf(c.from) ? 'down' : null);

  /** An override that ended by `at`: cleared, and its end recorded (the earned tier is in force again). */
  async function endExpiredOverride(ctx: RequestContext, row: PartnerRow, tiers: TierRow[], at: Date): Promise<Change | null> {
    if (!row.override || overrideActive(row, at)) return null;
    await ctx.em.execute(`update tiers_partner set override = null, updated_at = now() where partner_id = ?`, [row.partner_id]);
    const byId = new Map(tiers.map((t) => [t.id, t]));
    const change: Change = { partnerId: row.partner_id, programId: row.program_id, trackId: row.track_id, from: byId.get(row.override.tierId) ?? null, to: row.tier_id ? (byId.get(row.tier_id) ?? null) : null, change: 'override-ended', reason: row.override.reason, cause: { override: row.override }, metrics: {}, at };
    row.override = null;
    return change;
  }

  /**
   * Upgrade on a qualifying event: the partner's metrics now, promoted to the highest tier it meets when that is
   * above its earned tier. Runs in the caller's transaction with the partner's row locked.
   */
  async function promoteOnEvent(ctx: RequestContext, partnerId: string, cause: Record<string, unknown>, at = new Date()): Promise<Change | null> {
    const [row] = await ctx.em.execute<PartnerRow[]>(`select * from tiers_partner where partner_id = ? for update`, [partnerId]);
    if (!row) return null;
    const prog = await deps.programs().get(ctx, row.program_id);
    const [track] = await ctx.em.execute<TrackRow[]>(`select * from tiers_track where id = ?`, [row.track_id]);
    const tiers = (await tiersOf(ctx, [row.track_id])).sort((a, b) => a.rank - b.rank);
    const ended = await endExpiredOverride(ctx, row, tiers, at);
    // Already at the highest tier (or a track without tiers): nothing to measure for an upgrade.
    if (tiers.length === 0 || row.tier_id === tiers[tiers.length - 1]!.id) {
      if (ended) await record(ctx, [ended], (c) => direction(c), () => 'override-ended');
      return null;
    }
    const review = { ...DEFAULT_REVIEW, ...track!.review };
    const bounds = await boundsAt(ctx, at, prog.timeZone, review);
    const values = (await measure(ctx, row.program_id, prog.timeZone, [partnerId], conditionsOf(tiers), bounds)).get(partnerId)!;
    const current = tiers.findIndex((t) => t.id === row.tier_id);
    const decision = decideOnEvent(current, qualifyingIndex(tiers, values));
    await ctx.em.execute(`update tiers_partner set evaluated_at = ? where partner_id = ?`, [at, partnerId]);
    const changes: Change[] = ended ? [ended] : [];
    let promoted: Change | null = null;
    if (decision) {
      const to = tiers[decision.to]!;
      await ctx.em.execute(`update tiers_partner set tier_id = ?, since = ?, grace_until = null, updated_at = now() where partner_id = ?`, [to.id, at, partnerId]);
      promoted = { partnerId, programId: row.program_id, trackId: row.track_id, from: tiers[current] ?? null, to, change: 'promoted', reason: null, cause, metrics: values, at };
      changes.push(promoted);
    }
    // Events only for what moves the tier in force: not while an override runs.
    const overriding = overrideActive(row, at);
    await record(ctx, changes, (c) => (overriding ? null : c.change === 'override-ended' ? direction(c) : direction(c)), (c) => (c.change === 'override-ended' ? 'override-ended' : 'event'));
    return promoted;
  }

  function kindOf(type: string): 'invoice' | 'paid' | 'correction' | 'activity' {
    if (type === 'invoice.issued') return 'invoice';
    if (type === 'invoice.paid') return 'paid';
    if (type === 'invoice.corrected' || type === 'order.returned') return 'correction';
    return 'activity';
  }

  /** Partners' tier records for many changes at once. */
  async function applyDecisions(ctx: RequestContext, updates: { partnerId: string; tierId: string | null; graceUntil: Date | null; since: boolean }[], at: Date) {
    if (updates.length === 0) return;
    await ctx.em.execute(
      `update tiers_partner p set tier_id = x.tier_id, grace_until = x.grace_until, since = case when x.since then ?::timestamptz else p.since end, evaluated_at = ?::timestamptz, updated_at = now()
         from jsonb_to_recordset(?::jsonb) as x(partner_id uuid, tier_id uuid, grace_until timestamptz, since boolean)
        where p.partner_id = x.partner_id`,
      [at, at, JSON.stringify(updates.map((u) => ({ partner_id: u.partnerId, tier_id: u.tierId, grace_until: u.graceUntil, since: u.since })))],
    );
  }

  /** One chunk of a review: partners after the checkpoint (keyset by id), measured per track in one pass, decided, written. */
  async function reviewChunk(ctx: RequestContext, job: JobRow, prog: ProgramView, tracks: Map<string, { track: TrackRow; tiers: TierRow[] }>): Promise<boolean> {
    const at = new Date(job.review_date);
    return inTransaction(ctx, async () => {
      // The job row locked first: two runners of one job (two replicas, a redelivery) take its chunks one after the
      // other from the checkpoint the previous one left, so no partner is decided twice for one review date.
      const [locked] = await ctx.em.execute<JobRow[]>(`select * from tiers_review_job where id = ? for update`, [job.id]);
      Object.assign(job, locked);
      if (job.status === 'done') return false;
      const rows = await ctx.em.execute<PartnerRow[]>(
        `select * from tiers_partner where program_id = ? and partner_id > coalesce(?::uuid, '00000000-0000-0000-0000-000000000000'::uuid)
           ${job.track_ids ? `and track_id = any(${UUIDS})` : ''} order by partner_id limit ? for update`,
        [job.program_id, job.checkpoint, ...(job.track_ids ? [JSON.stringify(job.track_ids)] : []), CHUNK],
      );
      if (rows.length === 0) return false;
      const changes: Change[] = [];
      const updates: { partnerId: string; tierId: string | null; graceUntil: Date | null; since: boolean }[] = [];
      const counts = { promoted: 0, demoted: 0, protected: 0 };
      const byTrack = new Map<string, PartnerRow[]>();
      for (const r of rows) {
        let list = byTrack.get(r.track_id);
        if (!list) byTrack.set(r.track_id, (list = []));
        list.push(r);
      }
      for (const [trackId, members] of byTrack) {
        const entry = tracks.get(trackId);
        if (!entry) continue;
        const { track, tiers } = entry;
        const review = { ...DEFAULT_REVIEW, ...track.review };
        const bounds = await boundsAt(ctx, at, prog.timeZone, review);
        const values = await measure(ctx, job.program_id, prog.timeZone, members.map((m) => m.partner_id), conditionsOf(tiers), bounds);
        const byId = new Map(tiers.map((t) => [t.id, t]));
        for (const row of members) {
          const ended = await endExpiredOverride(ctx, row, tiers, at);
          if (ended) changes.push(ended);
          if (overrideActive(row, at)) continue;
          const v = values.get(row.partner_id)!;
          const current = tiers.findIndex((t) => t.id === row.tier_id);
          const decision = decideAtReview({ current, qualifying: qualifyingIndex(tiers, v), graceUntil: row.grace_until ? new Date(row.grace_until) : null, reviewDate: at, settings: review });
          const from = row.tier_id ? (byId.get(row.tier_id) ?? null) : null;
          const to = decision.to >= 0 ? tiers[decision.to]! : null;
          const cause = { review: { jobId: job.id, reviewDate: at.toISOString() } };
          if (decision.change === 'kept') {
            if (row.grace_until) updates.push({ partnerId: row.partner_id, tierId: row.tier_id, graceUntil: null, since: false });
            continue;
          }
          if (decision.change === 'protected') {
            counts.protected += 1;
            if (row.grace_until && new Date(row.grace_until).getTime() === decision.graceUntil.getTime()) continue;
            updates.push({ partnerId: row.partner_id, tierId: row.tier_id, graceUntil: decision.graceUntil, since: false });
            changes.push({ partnerId: row.partner_id, programId: row.program_id, trackId, from, to: from, change: 'protected', reason: null, cause: { ...cause, graceUntil: decision.graceUntil.toISOString() }, metrics: v, at });
            continue;
          }
          counts[decision.change] += 1;
          updates.push({ partnerId: row.partner_id, tierId: to?.id ?? null, graceUntil: null, since: true });
          changes.push({ partnerId: row.partner_id, programId: row.program_id, trackId, from, to, change: decision.change, reason: null, cause, metrics: v, at });
        }
      }
      await applyDecisions(ctx, updates, at);
      await record(ctx, changes, (c) => (c.change === 'protected' ? null : direction(c)), (c) => (c.change === 'override-ended' ? 'override-ended' : 'review'));
      const last = rows[rows.length - 1]!.partner_id;
      const [updated] = await ctx.em.execute<JobRow[]>(
        `update tiers_review_job set done = done + ?, checkpoint = ?, promoted = promoted + ?, demoted = demoted + ?, protected = protected + ?, updated_at = now() where id = ? returning *`,
        [rows.length, last, counts.promoted, counts.demoted, counts.protected, job.id],
      );
      Object.assign(job, updated);
      return rows.length === CHUNK;
    });
  }

  async function loadJob(ctx: RequestContext, id: string): Promise<JobRow> {
    const [row] = await ctx.em.execute<JobRow[]>(`select * from tiers_review_job where id = ?`, [id]);
    if (!row) throw new AppError('TIERS_REVIEW_NOT_FOUND', 404, { params: { id } });
    return row;
  }

  /** Create the job of a program's review date, or find it (a review date is reviewed once; asking again resumes it). */
  async function openJob(ctx: RequestContext, programId: string, reviewDate: Date, trackIds: string[] | null = null): Promise<JobRow> {
    await program(ctx, programId, '/body/programId');
    // Partners with activity but no tier record yet (their events came before any track): placed in their tracks first.
    const strays = await ctx.em.execute<{ partner_id: string }[]>(
      `select distinct a.partner_id from tiers_activity a where a.program_id = ? and not exists (select 1 from tiers_partner p where p.partner_id = a.partner_id)`,
      [programId],
    );
    for (const s of strays) await enrol(ctx, s.partner_id);
    const [job] = await ctx.em.execute<JobRow[]>(
      `insert into tiers_review_job (id, program_id, review_date, track_ids, status, total, started_by, created_at, updated_at)
       select ?, ?, ?, ?::jsonb, 'running', (select count(*) from tiers_partner where program_id = ? and (?::jsonb is null or track_id = any(array(select jsonb_array_elements_text(?::jsonb)::uuid)))), ?::jsonb, now(), now()
       on conflict (program_id, review_date) do update set updated_at = tiers_review_job.updated_at returning *`,
      [uuidv7(), programId, reviewDate, trackIds ? JSON.stringify(trackIds) : null, programId, trackIds ? JSON.stringify(trackIds) : null, trackIds ? JSON.stringify(trackIds) : null, JSON.stringify(describeActor(ctx.actor))],
    );
    return job!;
  }

  async function runJob(ctx: RequestContext, job: JobRow): Promise<JobRow> {
    if (job.status === 'done') return job;
    const prog = await deps.programs().get(ctx, job.program_id);
    const trackRows = await ctx.em.execute<TrackRow[]>(`select * from tiers_track where program_id = ?`, [job.program_id]);
    const tiers = await tiersOf(ctx, trackRows.map((t) => t.id));
    const tracks = new Map(trackRows.map((t) => [t.id, { track: t, tiers: tiers.filter((x) => x.track_id === t.id).sort((a, b) => a.rank - b.rank) }]));
    while (await reviewChunk(ctx, job, prog, tracks)) {
      ctx.em.clear();
    }
    const [finished] = await ctx.em.execute<JobRow[]>(`update tiers_review_job set status = 'done', finished_at = now(), updated_at = now() where id = ? and status = 'running' returning *`, [job.id]);
    return finished ?? (await loadJob(ctx, job.id));
  }

  function formatValue(ctx: RequestContext, unit: TierMetricUnit, value: number, currency: string): string {
    const locale = INTL[ctx.locale] ?? 'en-GB';
    if (unit === 'money') {
      const scale = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
      const amount = value / 10 ** scale;
      const whole = value % 10 ** scale === 0;
      return new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: whole ? 0 : scale, maximumFractionDigits: scale }).format(amount);
    }
    if (unit === 'percent') return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(value / 100);
    return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(value);
  }

  /** A calendar day (YYYY-MM-DD, program time zone) of the last moment before `end`. */
  function dayBefore(end: Date, timeZone: string): string {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(end.getTime() - 1));
  }
  function formatDay(ctx: RequestContext, day: string): string {
    return new Intl.DateTimeFormat(INTL[ctx.locale] ?? 'en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
  }

  function conditionProgress(ctx: RequestContext, c: Condition, values: MetricValues, by: string, currency: string): ConditionProgress {
    const current = valueOf(values, c);
    const missing = Math.max(0, Math.round((c.min - current) * 100) / 100);
    const unit = unitOf(c.metric);
    const key = BUILTIN_UNITS[c.metric] ? `tiers:progress.missing.${c.metric}` : 'tiers:progress.missing.custom';
    const plural = BUILTIN_UNITS[c.metric] && (unit === 'count' || unit === 'points') ? { count: missing } : {};
    const text = missing > 0 ? ctx.t(key, { value: formatValue(ctx, unit, missing, currency), date: formatDay(ctx, by), metric: metricName(ctx, c.metric), ...plural }) : null;
    return { metric: c.metric, metricName: metricName(ctx, c.metric), unit, window: c.window, required: c.min, current, missing, by, text };
  }

  function sentence(ctx: RequestContext, mode: 'all' | 'any', conditions: ConditionProgress[]): string | null {
    const texts = conditions.map((c) => c.text).filter((t): t is string => t !== null);
    if (conditions.length === 0 || (mode === 'all' ? texts.length === 0 : texts.length < conditions.length)) return null;
    const text = new Intl.ListFormat(INTL[ctx.locale] ?? 'en-GB', { type: mode === 'all' ? 'conjunction' : 'disjunction' }).format(texts);
    return text.charAt(0).toLocaleUpperCase(INTL[ctx.locale]) + text.slice(1);
  }

  async function partnerView(ctx: RequestContext, row: PartnerRow): Promise<PartnerTierView> {
    const [track] = await ctx.em.execute<TrackRow[]>(`select * from tiers_track where id = ?`, [row.track_id]);
    const tiers = await tiersOf(ctx, [row.track_id]);
    const byId = new Map(tiers.map((t) => [t.id, t]));
    const now = new Date();
    const effective = effectiveTierId(row, now);
    const tier = effective ? (byId.get(effective) ?? null) : null;
    const active = overrideActive(row, now) ? row.override! : null;
    return {
      partnerId: row.partner_id, programId: row.program_id, track: { id: track!.id, code: track!.code, name: track!.name },
      tier: ref(tier), earnedTier: ref(row.tier_id ? byId.get(row.tier_id) : null), benefits: tier ? { ...DEFAULT_BENEFITS, ...tier.benefits } : DEFAULT_BENEFITS,
      since: iso(row.since)!, graceUntil: iso(row.grace_until),
      override: active ? { tier: ref(byId.get(active.tierId))!, reason: active.reason, until: active.until, by: active.by, at: active.at } : null,
      evaluatedAt: iso(row.evaluated_at),
    };
  }

  const service = {
    /** The metric registry plugins extend (`tierMetricsRef`). */
    metrics: registry,

    listMetrics(ctx: RequestContext): { code: string; name: string; unit: TierMetricUnit }[] {
      return [...BUILTIN_METRICS, ...metrics.keys()].map((code) => ({ code, name: metricName(ctx, code), unit: unitOf(code) }));
    },

    async createTrack(ctx: RequestContext, input: TrackInput): Promise<TrackView> {
      await program(ctx, input.programId, '/body/programId');
      const now = new Date();
      const [row] = await ctx.em.execute<TrackRow[]>(
        `insert into tiers_track (id, program_id, code, name, partner_types, position, review, strategic, created_at, updated_at) values (?, ?, ?, ?::jsonb, ?::jsonb, ?, ?::jsonb, ?::jsonb, ?, ?)
         on conflict (program_id, code) do nothing returning *`,
        [uuidv7(), input.programId, input.code, JSON.stringify(input.name), JSON.stringify(input.partnerTypes ?? []), input.position ?? 0, JSON.stringify({ ...DEFAULT_REVIEW, ...input.review }), JSON.stringify({ skus: input.strategic?.skus ?? [], categories: input.strategic?.categories ?? [] }), now, now],
      );
      if (!row) throw invalid('TIERS_TRACK_CODE_TAKEN', '/body/code', { code: input.code }, 409);
      deps.audit().record(ctx, { action: 'tiers.track.created', subjectType: 'tier-track', subjectId: row.id, data: { ...input } });
      await ctx.em.flush();
      return trackView(row, []);
    },

    async updateTrack(ctx: RequestContext, id: string, input: Partial<Omit<TrackInput, 'programId' | 'code'>>): Promise<TrackView> {
      const track = await loadTrack(ctx, id);
      const [row] = await ctx.em.execute<TrackRow[]>(
        `update tiers_track set name = coalesce(?::jsonb, name), partner_types = coalesce(?::jsonb, partner_types), position = coalesce(?, position), review = coalesce(?::jsonb, review), strategic = coalesce(?::jsonb, strategic), updated_at = now() where id = ? returning *`,
        [
          input.name ? JSON.stringify(input.name) : null, input.partnerTypes ? JSON.stringify(input.partnerTypes) : null, input.position ?? null,
          input.review ? JSON.stringify({ ...DEFAULT_REVIEW, ...track.review, ...input.review }) : null,
          input.strategic ? JSON.stringify({ skus: input.strategic.skus ?? track.strategic.skus, categories: input.strategic.categories ?? track.strategic.categories }) : null, id,
        ],
      );
      deps.audit().record(ctx, { action: 'tiers.track.updated', subjectType: 'tier-track', subjectId: id, data: { ...input } });
      await ctx.em.flush();
      return trackView(row!, await tiersOf(ctx, [id]));
    },

    async listTracks(ctx: RequestContext, programId: string): Promise<TrackView[]> {
      await program(ctx, programId, '/querystring/programId');
      const rows = await ctx.em.execute<TrackRow[]>(`select * from tiers_track where program_id = ? order by position, code`, [programId]);
      const tiers = await tiersOf(ctx, rows.map((r) => r.id));
      return rows.map((r) => trackView(r, tiers));
    },

    async getTrack(ctx: RequestContext, id: string): Promise<TrackView> {
      const row = await loadTrack(ctx, id);
      return trackView(row, await tiersOf(ctx, [id]));
    },

    async createTier(ctx: RequestContext, trackId: string, input: TierInput): Promise<TierView> {
      const track = await loadTrack(ctx, trackId);
      checkQualification(input.qualification, '/body/qualification');
      const taken = await ctx.em.execute<{ code: string; rank: number }[]>(`select code, rank from tiers_tier where track_id = ? and (code = ? or rank = ?)`, [trackId, input.code, input.rank]);
      if (taken.some((t) => t.code === input.code)) throw invalid('TIERS_TIER_CODE_TAKEN', '/body/code', { code: input.code }, 409);
      if (taken.length) throw invalid('TIERS_RANK_TAKEN', '/body/rank', { rank: input.rank }, 409);
      const now = new Date();
      const benefits = { ...DEFAULT_BENEFITS, ...input.benefits, catalogue: { ...DEFAULT_BENEFITS.catalogue, ...input.benefits?.catalogue } };
      const [row] = await ctx.em.execute<TierRow[]>(
        `insert into tiers_tier (id, track_id, program_id, code, name, rank, qualification, benefits, created_at, updated_at) values (?, ?, ?, ?, ?::jsonb, ?, ?::jsonb, ?::jsonb, ?, ?) returning *`,
        [uuidv7(), trackId, track.program_id, input.code, JSON.stringify(input.name), input.rank, JSON.stringify(input.qualification), JSON.stringify(benefits), now, now],
      );
      deps.audit().record(ctx, { action: 'tiers.tier.created', subjectType: 'tier', subjectId: row!.id, data: { trackId, ...input } });
      await ctx.em.flush();
      return tierView(row!);
    },

    async updateTier(ctx: RequestContext, id: string, input: Partial<Omit<TierInput, 'code'>>): Promise<TierView> {
      const [tier] = await ctx.em.execute<TierRow[]>(`select * from tiers_tier where id = ?`, [id]);
      if (!tier) throw new AppError('TIERS_TIER_NOT_FOUND', 404, { params: { id } });
      await loadTrack(ctx, tier.track_id);
      if (input.qualification) checkQualification(input.qualification, '/body/qualification');
      if (input.rank !== undefined && input.rank !== tier.rank) {
        const [taken] = await ctx.em.execute(`select 1 from tiers_tier where track_id = ? and rank = ?`, [tier.track_id, input.rank]);
        if (taken) throw invalid('TIERS_RANK_TAKEN', '/body/rank', { rank: input.rank }, 409);
      }
      const benefits = input.benefits ? { ...DEFAULT_BENEFITS, ...tier.benefits, ...input.benefits, catalogue: { ...DEFAULT_BENEFITS.catalogue, ...tier.benefits.catalogue, ...input.benefits.catalogue } } : null;
      const [row] = await ctx.em.execute<TierRow[]>(
        `update tiers_tier set name = coalesce(?::jsonb, name), rank = coalesce(?, rank), qualification = coalesce(?::jsonb, qualification), benefits = coalesce(?::jsonb, benefits), updated_at = now() where id = ? returning *`,
        [input.name ? JSON.stringify(input.name) : null, input.rank ?? null, input.qualification ? JSON.stringify(input.qualification) : null, benefits ? JSON.stringify(benefits) : null, id],
      );
      multipliers.clear();
      deps.audit().record(ctx, { action: 'tiers.tier.updated', subjectType: 'tier', subjectId: id, data: { ...input } });
      await ctx.em.flush();
      return tierView(row!);
    },

    async partnerTier(ctx: RequestContext, partnerId: string): Promise<PartnerTierView> {
      return partnerView(ctx, await partnerRow(ctx, partnerId));
    },

    async history(ctx: RequestContext, partnerId: string, query: { limit: number; before?: string }): Promise<{ items: HistoryView[]; nextBefore: string | null }> {
      await partnerRow(ctx, partnerId);
      const rows = await ctx.em.execute<{ id: string; partner_id: string; track_id: string; from_tier_id: string | null; to_tier_id: string | null; change: HistoryView['change']; reason: string | null; cause: Record<string, unknown>; metrics: MetricValues; at: Date }[]>(
        `select * from tiers_history where partner_id = ? ${query.before ? 'and id < ?' : ''} order by id desc limit ?`,
        [partnerId, ...(query.before ? [query.before] : []), query.limit + 1],
      );
      const tiers = await ctx.em.execute<TierRow[]>(`select * from tiers_tier where id = any(${UUIDS})`, [JSON.stringify([...new Set(rows.flatMap((r) => [r.from_tier_id, r.to_tier_id]).filter((x): x is string => x !== null))])]);
      const byId = new Map(tiers.map((t) => [t.id, t]));
      const page = rows.slice(0, query.limit);
      return {
        items: page.map((r) => ({ id: r.id, partnerId: r.partner_id, trackId: r.track_id, from: ref(r.from_tier_id ? byId.get(r.from_tier_id) : null), to: ref(r.to_tier_id ? byId.get(r.to_tier_id) : null), change: r.change, reason: r.reason, cause: r.cause, metrics: r.metrics, at: iso(r.at)! })),
        nextBefore: rows.length > query.limit ? page[page.length - 1]!.id : null,
      };
    },

    /** An admin sets a partner's tier until a date, with a reason (audited); the earned tier keeps being evaluated underneath. */
    async setOverride(ctx: RequestContext, partnerId: string, input: { tierId: string; reason: string; until: string }): Promise<PartnerTierView> {
      const row = await partnerRow(ctx, partnerId);
      const until = new Date(input.until);
      const now = new Date();
      if (until.getTime() <= now.getTime()) throw invalid('TIERS_OVERRIDE_UNTIL_PAST', '/body/until', { until: input.until });
      const tiers = await tiersOf(ctx, [row.track_id]);
      const to = tiers.find((t) => t.id === input.tierId);
      if (!to) throw invalid('TIERS_OVERRIDE_TIER_UNKNOWN', '/body/tierId', { tierId: input.tierId });
      await inTransaction(ctx, async () => {
        const [locked] = await ctx.em.execute<PartnerRow[]>(`select * from tiers_partner where partner_id = ? for update`, [partnerId]);
        const fromId = effectiveTierId(locked!, now);
        const from = fromId ? (tiers.find((t) => t.id === fromId) ?? null) : null;
        const override: Override = { tierId: to.id, reason: input.reason, until: until.toISOString(), by: describeActor(ctx.actor), at: now.toISOString() };
        await ctx.em.execute(`update tiers_partner set override = ?::jsonb, updated_at = now() where partner_id = ?`, [JSON.stringify(override), partnerId]);
        await record(ctx, [{ partnerId, programId: row.program_id, trackId: row.track_id, from, to, change: 'override', reason: input.reason, cause: { override }, metrics: {}, at: now }], direction, () => 'override');
        deps.audit().record(ctx, { action: 'tiers.override.set', subjectType: 'partner', subjectId: partnerId, data: { tierId: to.id, tier: to.code, fromTierId: from?.id ?? null, reason: input.reason, until: override.until } });
      });
      return partnerView(ctx, (await ctx.em.execute<PartnerRow[]>(`select * from tiers_partner where partner_id = ?`, [partnerId]))[0]!);
    },

    /** End an override now (audited): the earned tier is in force again. */
    async endOverride(ctx: RequestContext, partnerId: string, input: { reason: string }): Promise<PartnerTierView> {
      const row = await partnerRow(ctx, partnerId);
      const now = new Date();
      if (!overrideActive(row, now)) throw new AppError('TIERS_NO_OVERRIDE', 409, { params: { partnerId } });
      const tiers = await tiersOf(ctx, [row.track_id]);
      await inTransaction(ctx, async () => {
        const [locked] = await ctx.em.execute<PartnerRow[]>(`select * from tiers_partner where partner_id = ? for update`, [partnerId]);
        const ended = await endExpiredOverride(ctx, { ...locked!, override: { ...locked!.override!, until: now.toISOString() } }, tiers, now);
        if (ended) await record(ctx, [{ ...ended, reason: input.reason }], direction, () => 'override-ended');
        deps.audit().record(ctx, { action: 'tiers.override.ended', subjectType: 'partner', subjectId: partnerId, data: { reason: input.reason, override: locked!.override } });
      });
      return partnerView(ctx, (await ctx.em.execute<PartnerRow[]>(`select * from tiers_partner where partner_id = ?`, [partnerId]))[0]!);
    },

    /**
     * Listener of `earning.event.processed`: the event's turnover, strategic share, points or payment kept as activity
     * (once per event id), then an upgrade when the partner now qualifies higher — in one transaction, so a redelivery
     * changes nothing and promotes nobody twice.
     */
    async recordActivity(ctx: RequestContext, event: DeliveredEvent<'earning.event.processed'>): Promise<{ recorded: boolean; promoted: boolean }> {
      const p = event.payload;
      const kind = kindOf(p.type);
      const partner = await enrol(ctx, p.partnerId);
      const [track] = partner ? await ctx.em.execute<TrackRow[]>(`select * from tiers_track where id = ?`, [partner.track_id]) : [];
      const strategic = track?.strategic ?? { skus: [], categories: [] };
      return inTransaction(ctx, async () => {
        const net = kind === 'invoice' || kind === 'correction' ? (p.netTotal ?? 0) : 0;
        const points = kind === 'paid' ? 0 : p.points;
        const [inserted] = await ctx.em.execute<{ event_id: string }[]>(
          `insert into tiers_activity (event_id, program_id, partner_id, invoice_id, kind, occurred_at, net, strategic_net, points)
           select ?, ?, ?, ?, ?, ?,
                  ? - case when ? = 'correction' then coalesce((select sum(net) from tiers_activity where invoice_id = ?), 0) else 0 end,
                  ? - case when ? = 'correction' then coalesce((select sum(strategic_net) from tiers_activity where invoice_id = ?), 0) else 0 end,
                  ?
           on conflict (event_id) do nothing returning event_id`,
          [p.eventId, p.programId, p.partnerId, p.invoiceEventId, kind, new Date(p.occurredAt), net, kind, p.invoiceEventId, strategicNet(net, p.lines, strategic), kind, p.invoiceEventId, points],
        );
        if (!inserted || !partner) return { recorded: Boolean(inserted), promoted: false };
        const promoted = await promoteOnEvent(ctx, p.partnerId, { eventId: p.eventId, type: p.type, outboxEventId: event.id });
        return { recorded: true, promoted: promoted !== null };
      });
    },

    /** Evaluate one partner now (upgrades only), e.g. after a plugin metric changed. */
    async evaluatePartner(ctx: RequestContext, partnerId: string): Promise<PartnerTierView> {
      await partnerRow(ctx, partnerId);
      await inTransaction(ctx, () => promoteOnEvent(ctx, partnerId, { manual: describeActor(ctx.actor) }));
      return service.partnerTier(ctx, partnerId);
    },

    /** What is missing for the next tier, and for keeping the current one at the next review, in the caller's language. */
    async progress(ctx: RequestContext, partnerId: string): Promise<ProgressView> {
      const row = await partnerRow(ctx, partnerId);
      const prog = await deps.programs().get(ctx, row.program_id);
      const [track] = await ctx.em.execute<TrackRow[]>(`select * from tiers_track where id = ?`, [row.track_id]);
      const review = { ...DEFAULT_REVIEW, ...track!.review };
      const tiers = (await tiersOf(ctx, [row.track_id])).sort((a, b) => a.rank - b.rank);
      const now = new Date();
      const effective = effectiveTierId(row, now);
      const current = tiers.findIndex((t) => t.id === effective);
      const nextTier = tiers[current + 1] ?? null;
      const earned = tiers.find((t) => t.id === row.tier_id) ?? null;
      const nextReview = await nextReviewAfter(ctx, now, prog.timeZone, review);
      const reviewDay = dayBefore(nextReview, prog.timeZone);
      let next: ProgressView['next'] = null;
      if (nextTier) {
        const bounds = await boundsAt(ctx, now, prog.timeZone, review);
        const values = (await measure(ctx, row.program_id, prog.timeZone, [partnerId], nextTier.qualification.conditions, bounds)).get(partnerId)!;
        const conditions = nextTier.qualification.conditions.map((c) => conditionProgress(ctx, c, values, dayBefore(bounds[c.window].end, prog.timeZone), prog.currency));
        const ratios = conditions.map((c) => (c.required <= 0 ? 1 : Math.min(1, c.current / c.required)));
        const ratio = ratios.length === 0 ? 1 : nextTier.qualification.mode === 'all' ? ratios.reduce((a, b) => a + b, 0) / ratios.length : Math.max(...ratios);
        next = { tier: ref(nextTier)!, mode: nextTier.qualification.mode, met: meets(nextTier.qualification, values), percent: Math.floor(ratio * 100), conditions, text: sentence(ctx, nextTier.qualification.mode, conditions) };
      }
      let keep: ProgressView['keep'] = null;
      if (earned) {
        // Measured as the review will measure it (windows at the review date), counting what happened so far.
        const bounds = await boundsAt(ctx, nextReview, prog.timeZone, review);
        const values = (await measure(ctx, row.program_id, prog.timeZone, [partnerId], earned.qualification.conditions, bounds, now)).get(partnerId)!;
        const conditions = earned.qualification.conditions.map((c) => conditionProgress(ctx, c, values, reviewDay, prog.currency));
        keep = { tier: ref(earned)!, reviewDate: nextReview.toISOString(), mode: earned.qualification.mode, met: meets(earned.qualification, values), conditions, text: sentence(ctx, earned.qualification.mode, conditions), graceUntil: iso(row.grace_until) };
      }
      return { partnerId, currency: prog.currency, tier: ref(tiers[current]), nextReview: nextReview.toISOString(), next, keep };
    },

    /** The review a schedule runs: every partner of the program evaluated for `reviewDate`, resumable, to the end. */
    async review(ctx: RequestContext, input: { programId: string; reviewDate: string }): Promise<ReviewJobView> {
      const job = await openJob(ctx, input.programId, new Date(input.reviewDate));
      return jobView(await runJob(ctx, job));
    },

    /**
     * The review dates due now: for each track, its latest review date (quarter or program year start, program time
     * zone) when it falls after the track was created and has no job yet.
     */
    async dueReviews(ctx: RequestContext, now = new Date()): Promise<{ programId: string; reviewDate: string; trackIds: string[] }[]> {
      const tracks = await ctx.em.execute<TrackRow[]>(`select * from tiers_track order by program_id, position`);
      const due = new Map<string, { programId: string; reviewDate: string; trackIds: string[] }>();
      for (const track of tracks) {
        const prog = await deps.programs().get(ctx, track.program_id);
        const review = { ...DEFAULT_REVIEW, ...track.review };
        const bounds = await boundsAt(ctx, now, prog.timeZone, review);
        const date = review.every === 'quarter' ? bounds['calendar-quarter'].from : bounds['program-year'].from;
        if (date.getTime() <= new Date(track.created_at).getTime()) continue;
        const key = `${track.program_id}\u0000${date.toISOString()}`;
        const entry = due.get(key) ?? { programId: track.program_id, reviewDate: date.toISOString(), trackIds: [] };
        entry.trackIds.push(track.id);
        due.set(key, entry);
      }
      const out: { programId: string; reviewDate: string; trackIds: string[] }[] = [];
      for (const d of due.values()) {
        const [done] = await ctx.em.execute(`select 1 from tiers_review_job where program_id = ? and review_date = ? and status = 'done'`, [d.programId, d.reviewDate]);
        if (!done) out.push(d);
      }
      return out;
    },

    /** What the schedule runs: every due review, to the end (resumed where a previous run stopped). */
    async runDueReviews(ctx: RequestContext, now = new Date()): Promise<ReviewJobView[]> {
      const jobs: ReviewJobView[] = [];
      for (const d of await service.dueReviews(ctx, now)) jobs.push(jobView(await runJob(ctx, await openJob(ctx, d.programId, new Date(d.reviewDate), d.trackIds))));
      return jobs;
    },

    /** Ask for a review in the background (the API): the job is created now and run by the outbox listener. */
    async requestReview(ctx: RequestContext, input: { programId: string; reviewDate: string }): Promise<ReviewJobView> {
      const job = await openJob(ctx, input.programId, new Date(input.reviewDate));
      if (job.status === 'running') ctx.emit('tiers.review.requested', { jobId: job.id });
      deps.audit().record(ctx, { action: 'tiers.review.requested', subjectType: 'tier-review', subjectId: job.id, data: { programId: input.programId, reviewDate: input.reviewDate } });
      await ctx.em.flush();
      return jobView(job);
    },

    /** Outbox listener: carry on a review job from its checkpoint. */
    async resumeReview(ctx: RequestContext, jobId: string): Promise<ReviewJobView> {
      return jobView(await runJob(ctx, await loadJob(ctx, jobId)));
    },

    async getReview(ctx: RequestContext, id: string): Promise<ReviewJobView> {
      const job = await loadJob(ctx, id);
      await program(ctx, job.program_id);
      return jobView(job);
    },

    async listReviews(ctx: RequestContext, programId: string): Promise<ReviewJobView[]> {
      await program(ctx, programId, '/querystring/programId');
      return (await ctx.em.execute<JobRow[]>(`select * from tiers_review_job where program_id = ? order by review_date desc limit 50`, [programId])).map(jobView);
    },

    /** How many partners are in each tier (in force: overrides count) per track. */
    async distribution(ctx: RequestContext, programId: string): Promise<DistributionView> {
      const tracks = await service.listTracks(ctx, programId);
      const rows = await ctx.em.execute<{ track_id: string; tier_id: string | null; n: number }[]>(
        `select track_id, case when override is not null and (override->>'until')::timestamptz > now() then (override->>'tierId')::uuid else tier_id end as tier_id, count(*)::int as n
           from tiers_partner where program_id = ? group by 1, 2`,
        [programId],
      );
      return {
        programId,
        tracks: tracks.map((t) => ({
          trackId: t.id, code: t.code, name: t.name,
          tiers: [null, ...t.tiers].map((tier) => ({ tier: tier ? { id: tier.id, code: tier.code, name: tier.name, rank: tier.rank } : null, partners: rows.filter((r) => r.track_id === t.id && r.tier_id === (tier?.id ?? null)).reduce((s, r) => s + r.n, 0) })),
        })),
      };
    },

    /**
     * The catalogue benefit of a partner's tier in force, in one statement (the catalogue asks it on every offer and
     * order): every partner without a tier gets the default (access, no labels). The caller has checked the partner.
     */
    async catalogueBenefit(ctx: RequestContext, partnerId: string): Promise<Benefits['catalogue']> {
      const [row] = await ctx.em.execute<{ c: Partial<Benefits['catalogue']> | null }[]>(
        `select coalesce(o.benefits, t.benefits)->'catalogue' as c from tiers_partner p
           left join tiers_tier t on t.id = p.tier_id
           left join tiers_tier o on p.override is not null and (p.override->>'until')::timestamptz > now() and o.id = (p.override->>'tierId')::uuid
          where p.partner_id = ?`,
        [partnerId],
      );
      return { ...DEFAULT_BENEFITS.catalogue, ...(row?.c ?? {}) };
    },

    /**
     * The earning multiplier of a partner's tier in force (1 without one); shared for two seconds. Asked for many
     * partners at once (earning asks for every partner of a batch or group together), the questions put on the same
     * entity manager in one turn of the event loop are answered by one statement.
     */
    async multiplierOf(ctx: RequestContext, partnerId: string): Promise<number> {
      const cached = multipliers.get(partnerId);
      if (cached && Date.now() - cached.at < 2000) return cached.value;
      let batch = pendingMultipliers.get(ctx.em);
      if (!batch) {
        const ids = new Set<string>();
        const em = ctx.em;
        const result = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
          pendingMultipliers.delete(em);
          const rows = await em.execute<{ partner_id: string; m: string | null }[]>(
            `select p.partner_id, (coalesce(o.benefits, t.benefits)->>'multiplier') as m from tiers_partner p
               left join tiers_tier t on t.id = p.tier_id
               left join tiers_tier o on p.override is not null and (p.override->>'until')::timestamptz > now() and o.id = (p.override->>'tierId')::uuid
              where p.partner_id in (select jsonb_array_elements_text(?::jsonb)::uuid)`,
            [JSON.stringify([...ids])],
          );
          const found = new Map(rows.map((r) => [r.partner_id, r.m ? Number(r.m) : 1]));
          if (multipliers.size > 100_000) multipliers.clear();
          const at = Date.now();
          for (const id of ids) multipliers.set(id, { at, value: found.get(id) ?? 1 });
          return found;
        });
        batch = { ids, result };
        pendingMultipliers.set(em, batch);
      }
      batch.ids.add(partnerId);
      return (await batch.result).get(partnerId) ?? 1;
    },
  };
  return service;
}

export type TiersService = ReturnType<typeof createTiersService>;
export const tiersServiceRef = createServiceRef<TiersService>('tiers.service');
