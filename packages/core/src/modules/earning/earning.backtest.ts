import { AppError, createServiceRef, describeActor, isAppError, type RequestContext } from '@laurel/plugin-sdk';
import { uuidv7 } from '../../platform/ids.ts';
import type { AuditService } from '../audit/index.ts';
import type { PartnerService, PartnerView } from '../partners/index.ts';
import type { ProgramService, ProgramView } from '../programs/index.ts';
import { convertMinor } from './earning.fx.ts';
import { checkRuleExtensions } from './earning.extensions.ts';
import { computeInvoice, currencyScale, grantKey, periodsOf, unknownOperatorOf, type PartnerFacts, type RuleCaps, type RuleEffect, type RuleForEvaluation, type Stacking } from './earning.rules.ts';
import { isActivity, type ActivityEvent, type EarningEventInput, type InvoiceIssuedEvent } from './earning.schemas.ts';
import type { EarningService, RuleView } from './earning.service.ts';

declare module '@laurel/plugin-sdk' {
  interface LaurelEvents {
    /** A backtest was started: it runs in the background (the outbox listener), its progress kept on its row. */
    'earning.backtest.requested': { backtestId: string };
  }
}

/*
 * Draft rules before they go live: the simulation of one event under the rule set a draft (saved, or still being
 * typed) would make, and the backtest of a set of drafts over a past period's stored events. Neither posts anything:
 * both run the same pure evaluator (`computeInvoice`) the posting runs.
 */

/** The id an unsaved rule carries in a simulation's explanation (it has none until it is saved). */
export const UNSAVED_RULE_ID = '00000000-0000-0000-0000-000000000000';
const CONDITION_LIMIT = 20_000;

/** A rule as the editor holds it before it is saved: the body of POST /rules without its program. */
export interface UnsavedRule {
  code: string;
  name: string;
  validFrom: string;
  validTo?: string | null;
  priority?: number;
  eventTypes: string[];
  condition: unknown;
  effect: RuleEffect;
  stacking?: Stacking;
  caps?: RuleCaps | null;
}

/** A rule version a draft rule set names: a saved draft, or the unsaved rule of the editor. */
export interface RuleRef {
  ruleId: string;
  code: string;
  version: number;
  status: 'draft' | 'unsaved' | 'active';
}

/** A rule set with drafts: the active rules, less those the drafts replace, plus the drafts. */
export interface DraftRuleSet {
  rules: RuleForEvaluation[];
  drafts: RuleRef[];
  /** Active versions left out: the same code over an overlapping period (activating the draft would need them retired). */
  replaced: RuleRef[];
}

export interface BacktestDeps {
  earning: () => EarningService;
  partners: () => PartnerService;
  programs: () => ProgramService;
  audit: () => AuditService;
}

function invalid(code: string, field: string, params: Record<string, unknown> = {}, status = 422): AppError {
  return new AppError(code, status, { params, fields: [{ field, messageKey: `errors.${code}`, params }] });
}

/** A rule version as the evaluator takes it. */
export function forEvaluation(r: Pick<RuleView, 'id' | 'code' | 'version' | 'priority' | 'validFrom' | 'validTo' | 'eventTypes' | 'condition' | 'effect' | 'stacking' | 'caps'>): RuleForEvaluation {
  return {
    id: r.id,
    code: r.code,
    version: r.version,
    priority: r.priority,
    validFrom: new Date(r.validFrom),
    validTo: r.validTo ? new Date(r.validTo) : null,
    eventTypes: r.eventTypes,
    condition: r.condition,
    effect: r.effect,
    stacking: r.stacking,
    caps: r.caps,
  };
}

const overlaps = (a: { validFrom: Date; validTo: Date | null }, b: { validFrom: Date; validTo: Date | null }) =>
  (a.validTo === null || a.validTo > b.validFrom) && (b.validTo === null || b.validTo > a.validFrom);

/** The checks POST /rules makes of a rule's condition and period, on the fields of `prefix`. */
function checkUnsaved(rule: UnsavedRule, prefix: string) {
  if (rule.condition === undefined) throw invalid('EARNING_CONDITION_REQUIRED', `${prefix}/condition`);
  if (JSON.stringify(rule.condition ?? null).length > CONDITION_LIMIT) throw invalid('EARNING_CONDITION_TOO_LARGE', `${prefix}/condition`, { limit: CONDITION_LIMIT });
  const operator = unknownOperatorOf(rule.condition);
  if (operator) throw invalid('EARNING_CONDITION_OPERATOR', `${prefix}/condition`, { operator });
  checkRuleExtensions(rule, prefix);
  if (rule.validTo && new Date(rule.validTo) <= new Date(rule.validFrom)) throw invalid('EARNING_RULE_PERIOD', `${prefix}/validTo`, { validFrom: rule.validFrom, validTo: rule.validTo });
}

/** The active rules with drafts in force (see `ruleSet`): pure, so a backtest computes it again from its snapshot. */
export function composeRuleSet(active: RuleForEvaluation[], drafts: { rule: RuleForEvaluation; ref: RuleRef; field: string }[]): DraftRuleSet {
  for (const [i, a] of drafts.entries()) {
    const other = drafts.slice(0, i).find((b) => b.rule.code === a.rule.code && overlaps(a.rule, b.rule));
    if (other) throw invalid('EARNING_DRAFT_OVERLAP', a.field, { code: a.rule.code, version: a.rule.version, other: other.rule.version });
  }
  const replaced = active.filter((r) => drafts.some((d) => d.rule.code === r.code && overlaps(d.rule, r)));
  return {
    rules: [...active.filter((r) => !replaced.includes(r)), ...drafts.map((d) => d.rule)],
    drafts: drafts.map((d) => d.ref),
    replaced: replaced.map((r) => ({ ruleId: r.id, code: r.code, version: r.version, status: 'active' })),
  };
}

/*
 * Backtests.
 */

/** Events a backtest evaluates: of its period, with a partner, processed or held for review, that earn (issued invoices and activities). */
const EVENTS_OF_PERIOD = `occurred_at >= ? and occurred_at < ? and partner_id is not null and status in ('processed', 'review') and type not in ('invoice.paid', 'invoice.corrected', 'order.returned')`;
const CHUNK = 2000;

export interface BacktestTotals {
  events: number;
  partners: number;
  /** Points under the rules in force. */
  live: number;
  /** Points with the drafts in force. */
  draft: number;
  difference: number;
  /** draft / live, to 4 decimal places; null when live is 0. */
  ratio: number | null;
  /** What the points are worth in the program currency's minor units (at the program's point value), rounded half to even. */
  liveCost: number;
  draftCost: number;
  costDifference: number;
}

export interface BacktestResult {
  currency: string;
  pointValueMinorPerThousand: number;
  total: BacktestTotals;
  /** A partner in several segments counts in each; `segment: null` for partners in none. */
  segments: ({ segment: string | null } & BacktestTotals)[];
  types: ({ type: string } & BacktestTotals)[];
  rules: { code: string; live: number; draft: number; difference: number }[];
  /** Events left out, by reason (no rate for their currency, a partner no longer found). */
  skipped: { code: string; count: number }[];
  millis: number;
  eventsPerSecond: number;
}

export interface BacktestView {
  id: string;
  programId: string;
  from: string;
  to: string;
  status: 'running' | 'done' | 'failed';
  total: number;
  done: number;
  drafts: RuleRef[];
  replaced: RuleRef[];
  result: BacktestResult | null;
  error: { code: string; params: Record<string, unknown> } | null;
  startedBy: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

interface BacktestRow {
  id: string;
  program_id: string;
  period_from: Date;
  period_to: Date;
  snapshot: { active: RuleView[]; drafts: RuleView[] };
  drafts: RuleRef[];
  replaced: RuleRef[];
  status: BacktestView['status'];
  total: number;
  done: number;
  result: BacktestResult | null;
  error: BacktestView['error'];
  started_by: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

const iso = (d: Date | string) => new Date(d).toISOString();
function backtestView(r: BacktestRow): BacktestView {
  return {
    id: r.id,
    programId: r.program_id,
    from: iso(r.period_from),
    to: iso(r.period_to),
    status: r.status,
    total: r.total,
    done: Math.min(r.done, r.total),
    drafts: r.drafts,
    replaced: r.replaced,
    result: r.result,
    error: r.error,
    startedBy: r.started_by,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    finishedAt: r.finished_at ? iso(r.finished_at) : null,
  };
}

/** The calendar day (YYYY-MM-DD) of an instant in a time zone (as the posting dates caps' periods). */
const dayFormats = new Map<string, Intl.DateTimeFormat>();
function calendarDay(at: Date, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) dayFormats.set(timeZone, (format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })));
  return format.format(at);
}

/** An event without lines (a deal, a lead …) as one line, as the posting takes it. */
function linesOf(event: EarningEventInput, programCurrency: string): InvoiceIssuedEvent {
  if (event.type === 'invoice.issued' || !isActivity(event)) return event as InvoiceIssuedEvent;
  const activity = event as ActivityEvent;
  const amount = 'amount' in activity ? (activity.amount ?? 0) : 0;
  const currency = ('currency' in activity ? activity.currency : undefined) ?? programCurrency;
  return { ...(activity as unknown as InvoiceIssuedEvent), type: activity.type as 'invoice.issued', number: activity.externalId, currency, lines: [{ sku: activity.type, quantity: 1, netAmount: amount }] };
}

/** The invoice in the program currency (each line converted at the latest rate on or before its day, as posted); null without a rate. */
async function programCurrency(ctx: RequestContext, program: ProgramView, event: InvoiceIssuedEvent, rates: Map<string, Promise<{ numerator: bigint; denominator: bigint } | null>>): Promise<InvoiceIssuedEvent | null> {
  if (event.currency === program.currency) return event;
  const day = calendarDay(new Date(event.occurredAt), program.timeZone);
  const key = `${event.currency}\u0000${day}`;
  let rate = rates.get(key);
  if (!rate) {
    rate = ctx.em
      .execute<{ numerator: string; denominator: string }[]>(
        `select numerator::text, denominator::text from earning_fx_rate where currency = ? and quote = ? and rate_date <= ?::date order by rate_date desc limit 1`,
        [event.currency, program.currency, day],
      )
      .then(([r]) => (r ? { numerator: BigInt(r.numerator), denominator: BigInt(r.denominator) } : null));
    rates.set(key, rate);
  }
  const found = await rate;
  if (!found) return null;
  const from = currencyScale(event.currency);
  const to = currencyScale(program.currency);
  const convert = (amount: number) => convertMinor(amount, from, to, found);
  return { ...event, currency: program.currency, lines: event.lines.map((l) => ({ ...l, netAmount: convert(l.netAmount), ...(l.margin === undefined ? {} : { margin: convert(l.margin) }) })) };
}

/** Points worth in minor units: points × value of 1000 points / 1000, rounded half to even. */
export function costOf(points: number, perThousand: number): number {
  const n = BigInt(points) * BigInt(perThousand);
  const q = n / 1000n;
  const r = n % 1000n;
  const twice = 2n * (r < 0n ? -r : r);
  if (twice > 1000n || (twice === 1000n && q % 2n !== 0n)) return Number(q + (n < 0n ? -1n : 1n));
  return Number(q);
}

/** The running totals of a backtest: overall, per segment, type and rule, and the events left out. */
function createTally() {
  type Sum = { events: number; partners: Set<string>; live: number; draft: number };
  const fresh = (): Sum => ({ events: 0, partners: new Set(), live: 0, draft: 0 });
  const total = fresh();
  const segments = new Map<string | null, Sum>();
  const types = new Map<string, Sum>();
  const rules = new Map<string, { live: number; draft: number }>();
  const skipped = new Map<string, number>();
  const into = <K>(map: Map<K, Sum>, key: K, partnerId: string, live: number, draft: number) => {
    let sum = map.get(key);
    if (!sum) map.set(key, (sum = fresh()));
    sum.events += 1;
    sum.partners.add(partnerId);
    sum.live += live;
    sum.draft += draft;
  };
  const byRule = (c: ReturnType<typeof computeInvoice>, side: 'live' | 'draft') => {
    for (const l of c.lines) for (const f of l.fired) {
      let r = rules.get(f.code);
      if (!r) rules.set(f.code, (r = { live: 0, draft: 0 }));
      r[side] += f.points;
    }
  };
  return {
    problem(code: string) {
      skipped.set(code, (skipped.get(code) ?? 0) + 1);
    },
    add(partner: PartnerView, live: ReturnType<typeof computeInvoice>, draft: ReturnType<typeof computeInvoice>) {
      into(new Map([[null, total]]), null, partner.id, live.points, draft.points);
      for (const segment of partner.segments.length ? partner.segments : [null]) into(segments, segment, partner.id, live.points, draft.points);
      into(types, partner.type, partner.id, live.points, draft.points);
      byRule(live, 'live');
      byRule(draft, 'draft');
    },
    result(program: ProgramView, millis: number): BacktestResult {
      const value = program.pointValueMinorPerThousand;
      const totals = (s: Sum): BacktestTotals => {
        const liveCost = costOf(s.live, value);
        const draftCost = costOf(s.draft, value);
        return {
          events: s.events,
          partners: s.partners.size,
          live: s.live,
          draft: s.draft,
          difference: s.draft - s.live,
          ratio: s.live === 0 ? null : Math.round((s.draft / s.live) * 10_000) / 10_000,
          liveCost,
          draftCost,
          costDifference: draftCost - liveCost,
        };
      };
      const byKey = <K extends string | null>(a: K, b: K) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);
      return {
        currency: program.currency,
        pointValueMinorPerThousand: value,
        total: totals(total),
        segments: [...segments].sort(([a], [b]) => byKey(a, b)).map(([segment, s]) => ({ segment, ...totals(s) })),
        types: [...types].sort(([a], [b]) => byKey(a, b)).map(([type, s]) => ({ type, ...totals(s) })),
        rules: [...rules].sort(([a], [b]) => byKey(a, b)).map(([code, r]) => ({ code, live: r.live, draft: r.draft, difference: r.draft - r.live })),
        skipped: [...skipped].map(([code, count]) => ({ code, count })),
        millis,
        eventsPerSecond: millis > 0 ? Math.round((total.events / millis) * 1000) : total.events,
      };
    },
  };
}

export function createBacktestService(deps: BacktestDeps) {
  /** Saved drafts by id, each checked to be a draft (a 422 naming its place in `ruleIds` otherwise). */
  async function loadDrafts(ctx: RequestContext, ruleIds: string[], field: string): Promise<RuleView[]> {
    const seen = new Set<string>();
    const drafts: RuleView[] = [];
    for (const [i, id] of ruleIds.entries()) {
      if (seen.has(id)) continue;
      seen.add(id);
      const rule = await deps
        .earning()
        .getRule(ctx, id)
        .catch((error: unknown) => {
          if (isAppError(error) && error.status === 404) throw invalid('EARNING_DRAFT_UNKNOWN', `${field}/${i}`, { id });
          throw error;
        });
      if (rule.status !== 'draft') throw invalid('EARNING_DRAFT_NOT_DRAFT', `${field}/${i}`, { code: rule.code, version: rule.version, status: rule.status });
      drafts.push(rule);
    }
    return drafts;
  }

  /**
   * The rule set of a program with drafts in force: every active rule except the versions a draft of the same code
   * overlaps (those activation would refuse until they are retired), and the drafts. Two drafts of one code over
   * overlapping periods are refused, as activating both would be.
   */
  async function ruleSet(ctx: RequestContext, programId: string, saved: RuleView[], unsaved: UnsavedRule | null, fields: { ruleIds: string; rule: string }): Promise<DraftRuleSet> {
    saved.forEach((d, i) => {
      if (d.programId !== programId) throw invalid('EARNING_DRAFT_OTHER_PROGRAM', `${fields.ruleIds}/${i}`, { code: d.code, version: d.version });
    });
    const drafts: { rule: RuleForEvaluation; ref: RuleRef; field: string }[] = saved.map((d, i) => ({ rule: forEvaluation(d), ref: { ruleId: d.id, code: d.code, version: d.version, status: 'draft' }, field: `${fields.ruleIds}/${i}` }));
    if (unsaved) {
      const versions = await deps.earning().listRules(ctx, { programId, code: unsaved.code });
      const version = Math.max(0, ...versions.map((v) => v.version)) + 1;
      const rule = forEvaluation({ id: UNSAVED_RULE_ID, version, priority: unsaved.priority ?? 0, validTo: unsaved.validTo ?? null, stacking: unsaved.stacking ?? { mode: 'additive' }, caps: unsaved.caps ?? null, ...unsaved, eventTypes: [...new Set(unsaved.eventTypes)] });
      drafts.push({ rule, ref: { ruleId: UNSAVED_RULE_ID, code: unsaved.code, version, status: 'unsaved' }, field: fields.rule });
    }
    return composeRuleSet((await deps.earning().listRules(ctx, { programId, status: 'active' })).map(forEvaluation), drafts);
  }

  /** Every partner of a program (through the partners service), by id. */
  async function partnersOf(ctx: RequestContext, programId: string): Promise<Map<string, PartnerView>> {
    const all = new Map<string, PartnerView>();
    let cursor: string | undefined;
    do {
      const page = await deps.partners().list(ctx, { programId, limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const p of page.items) all.set(p.id, p);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return all;
  }

  async function loadBacktest(ctx: RequestContext, id: string): Promise<BacktestRow> {
    const [row] = await ctx.em.execute<BacktestRow[]>(`select * from earning_backtest where id = ?`, [id]);
    if (!row) throw new AppError('EARNING_BACKTEST_NOT_FOUND', 404, { params: { id } });
    return row;
  }

  /**
   * Run a backtest: the stored events of its period, in chunks of CHUNK (keyset by id, the order they were received
   * and posted in), each evaluated under the rules in force and under the draft rule set with the same evaluator the
   * posting runs; totals per partner segment, type and rule. Reads only: nothing is posted, no counter is touched. A
   * second delivery starts it over (it is a pure computation). A run that cannot finish is marked failed.
   */
  async function run(ctx: RequestContext, id: string): Promise<BacktestView> {
    const row = await loadBacktest(ctx, id);
    if (row.status !== 'running') return backtestView(row);
    const started = performance.now();
    try {
      await ctx.em.execute(`update earning_backtest set done = 0, updated_at = now() where id = ?`, [id]);
      const program = await deps.programs().get(ctx, row.program_id);
      const live = row.snapshot.active.map(forEvaluation);
      const drafts = composeRuleSet(
        live,
        row.snapshot.drafts.map((d) => ({ rule: forEvaluation(d), ref: { ruleId: d.id, code: d.code, version: d.version, status: 'draft' as const }, field: '/body/ruleIds' })),
      ).rules;
      const partners = await partnersOf(ctx, program.id);
      const tiers = new Map<string, number>();
      await Promise.all([...partners.values()].map(async (p) => tiers.set(p.id, await deps.earning().tierMultiplier(ctx, p))));
      const tally = createTally();
      const granted = { live: new Map<string, number>(), draft: new Map<string, number>() };
      const rates = new Map<string, Promise<{ numerator: bigint; denominator: bigint } | null>>();
      const chunkAfter = (after: string) => {
        const chunk = ctx.em.execute<{ id: string; partner_id: string; occurred_at: Date; payload: EarningEventInput }[]>(
          `select id, partner_id, occurred_at, payload from earning_event
            where program_id = ? and id > ? and ${EVENTS_OF_PERIOD} order by id limit ?`,
          [program.id, after, row.period_from, row.period_to, CHUNK],
        );
        chunk.catch(() => {}); // awaited in turn
        return chunk;
      };
      const factsOf = new Map<string, PartnerFacts>();
      let next = chunkAfter('00000000-0000-0000-0000-000000000000');
      for (;;) {
        const events = await next;
        if (events.length === 0) break;
        // The next chunk is read while this one is evaluated.
        const more = events.length === CHUNK;
        if (more) next = chunkAfter(events[events.length - 1]!.id);
        for (const e of events) {
          const partner = partners.get(e.partner_id);
          if (!partner) {
            tally.problem('EARNING_PARTNER_UNKNOWN');
            continue;
          }
          const lines = linesOf(e.payload, program.currency);
          const invoice = lines.currency === program.currency ? lines : await programCurrency(ctx, program, lines, rates);
          if (!invoice) {
            tally.problem('EARNING_FX_RATE_MISSING');
            continue;
          }
          let facts = factsOf.get(partner.id);
          if (!facts) factsOf.set(partner.id, (facts = { id: partner.id, partnerCode: partner.partnerCode, type: partner.type, country: partner.country, region: partner.region, salesChannel: partner.salesChannel, segments: partner.segments }));
          const periods = periodsOf(calendarDay(new Date(e.occurred_at), program.timeZone));
          const points = (rules: RuleForEvaluation[], counters: Map<string, number>) => {
            const c = computeInvoice(rules, invoice, facts, { tierMultiplier: tiers.get(partner.id) ?? 1, caps: { partnerId: partner.id, periods, granted: counters }, skipped: false });
            for (const g of c.grants) counters.set(grantKey(g.code, g.scope), (counters.get(grantKey(g.code, g.scope)) ?? 0) + g.points);
            return c;
          };
          tally.add(partner, points(live, granted.live), points(drafts, granted.draft));
        }
        await ctx.em.execute(`update earning_backtest set done = done + ?, updated_at = now() where id = ?`, [events.length, id]);
        if (!more) break;
      }
      const millis = Math.round(performance.now() - started);
      const result = tally.result(program, millis);
      const [done] = await ctx.em.execute<BacktestRow[]>(
        `update earning_backtest set status = 'done', result = ?::jsonb, updated_at = now(), finished_at = now() where id = ? and status = 'running' returning *`,
        [JSON.stringify(result), id],
      );
      return backtestView(done ?? (await loadBacktest(ctx, id)));
    } catch (error) {
      ctx.log.error({ err: error, backtestId: id }, 'backtest failed');
      const problem = isAppError(error) ? { code: error.code, params: error.params } : { code: 'INTERNAL_ERROR', params: {} };
      const [failed] = await ctx.em.execute<BacktestRow[]>(
        `update earning_backtest set status = 'failed', error = ?::jsonb, updated_at = now(), finished_at = now() where id = ? and status = 'running' returning *`,
        [JSON.stringify(problem), id],
      );
      return backtestView(failed ?? (await loadBacktest(ctx, id)));
    }
  }

  const service = {
    ruleSet,
    loadDrafts,
    run,

    /**
     * Start a backtest of draft rules over a period of a program's stored events: checked, its rules kept as they are
     * now (the active ones and the drafts), counted, audited, and run in the background (`earning.backtest.requested`).
     */
    async start(ctx: RequestContext, input: { programId: string; from: string; to: string; ruleIds: string[] }): Promise<BacktestView> {
      if (input.ruleIds.length === 0) throw invalid('EARNING_BACKTEST_DRAFTS_REQUIRED', '/body/ruleIds');
      const from = new Date(input.from);
      const to = new Date(input.to);
      if (to <= from) throw invalid('EARNING_BACKTEST_PERIOD', '/body/to', { from: input.from, to: input.to });
      const program = await deps.programs().get(ctx, input.programId);
      const drafts = await loadDrafts(ctx, input.ruleIds, '/body/ruleIds');
      drafts.forEach((d, i) => {
        if (d.programId !== program.id) throw invalid('EARNING_DRAFT_OTHER_PROGRAM', `/body/ruleIds/${i}`, { code: d.code, version: d.version });
      });
      const active = await deps.earning().listRules(ctx, { programId: program.id, status: 'active' });
      const set = composeRuleSet(
        active.map(forEvaluation),
        drafts.map((d, i) => ({ rule: forEvaluation(d), ref: { ruleId: d.id, code: d.code, version: d.version, status: 'draft' as const }, field: `/body/ruleIds/${i}` })),
      );
      const [{ n }] = (await ctx.em.execute<{ n: number }[]>(`select count(*)::int as n from earning_event where program_id = ? and ${EVENTS_OF_PERIOD}`, [program.id, from, to])) as [{ n: number }];
      const id = uuidv7();
      const [row] = await ctx.em.execute<BacktestRow[]>(
        `insert into earning_backtest (id, program_id, period_from, period_to, rule_ids, snapshot, drafts, replaced, status, total, started_by, created_at, updated_at)
         values (?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?::jsonb, 'running', ?, ?::jsonb, now(), now()) returning *`,
        [id, program.id, from, to, JSON.stringify(drafts.map((d) => d.id)), JSON.stringify({ active, drafts }), JSON.stringify(set.drafts), JSON.stringify(set.replaced), n, JSON.stringify(describeActor(ctx.actor))],
      );
      ctx.emit('earning.backtest.requested', { backtestId: id });
      deps.audit().record(ctx, {
        action: 'earning.backtest.started',
        subjectType: 'earning-backtest',
        subjectId: id,
        data: { programId: program.id, from: from.toISOString(), to: to.toISOString(), drafts: set.drafts, replaced: set.replaced, events: n },
      });
      await ctx.em.flush();
      return backtestView(row!);
    },

    async get(ctx: RequestContext, id: string): Promise<BacktestView> {
      const row = await loadBacktest(ctx, id);
      await deps.programs().get(ctx, row.program_id);
      return backtestView(row);
    },

    /** A program's backtests, newest first (without their results: see `get`). */
    async list(ctx: RequestContext, query: { programId: string; limit: number }): Promise<BacktestView[]> {
      await deps.programs().get(ctx, query.programId);
      const rows = await ctx.em.execute<BacktestRow[]>(`select * from earning_backtest where program_id = ? order by id desc limit ?`, [query.programId, query.limit]);
      return rows.map((r) => ({ ...backtestView(r), result: null }));
    },

    /**
     * What an event would earn with drafts in force — saved drafts (`ruleIds`) and the rule being edited (`rule`) —
     * exactly as the simulation of the live rules shows it (and a posting stores it), with the rule set it ran.
     * Posts nothing.
     */
    async simulateDraft(ctx: RequestContext, event: EarningEventInput, input: { ruleIds?: string[]; rule?: UnsavedRule | null }) {
      if (input.rule) checkUnsaved(input.rule, '/body/rule');
      const saved = await loadDrafts(ctx, input.ruleIds ?? [], '/body/ruleIds');
      let set: DraftRuleSet | null = null;
      const rulesFor = (programId: string) => {
        const rules = ruleSet(ctx, programId, saved, input.rule ?? null, { ruleIds: '/body/ruleIds', rule: '/body/rule' }).then((s) => (set = s).rules);
        rules.catch(() => {}); // awaited by the simulation (or not needed when it stops earlier)
        return rules;
      };
      const simulation = await deps.earning().simulate(ctx, event, '/body/event', rulesFor);
      const ruleSetOf = set as DraftRuleSet | null;
      return { ...simulation, ruleSet: { drafts: ruleSetOf?.drafts ?? [], replaced: ruleSetOf?.replaced ?? [] } };
    },
  };
  return service;
}

export type BacktestService = ReturnType<typeof createBacktestService>;
export const backtestServiceRef = createServiceRef<BacktestService>('earning.backtest');
