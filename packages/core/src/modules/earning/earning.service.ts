import { createHash } from 'node:crypto';
import { AppError, LockMode, createServiceRef, describeActor, isAppError, type InferEntity, type RequestContext } from '@laurel/plugin-sdk';
import { UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { uuidv7 } from '../../platform/ids.ts';
import type { AccessService } from '../access/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { LedgerService } from '../ledger/index.ts';
import type { PartnerService, PartnerView } from '../partners/index.ts';
import type { ProgramService, ProgramView } from '../programs/index.ts';
import { EarningEvent, EarningRule, type EventStatus, type RuleStatus } from './earning.entity.ts';
import { convertMinor, parseRates, rateText, FxParseError, type FxFormat } from './earning.fx.ts';
import { checkRuleExtensions } from './earning.extensions.ts';
import type { RelatedCompanies, RelatedCompanyReason } from './earning.related.ts';
import { computeInvoice, currencyScale, explanationLines, grantKey, isCurrency, periodsOf, unknownOperatorOf, type CapState, type ComputeOptions, type Computation, type Grant, type PartnerFacts, type RuleCaps, type RuleEffect, type RuleForEvaluation, type Stacking } from './earning.rules.ts';
import { alignChanges, createSkuApplier } from './earning.sku.ts';
import { isActivity, type ActivityEvent, type EarningEventInput, type InvoiceCorrectedEvent, type InvoiceIssuedEvent, type InvoicePaidEvent, type OrderReturnedEvent } from './earning.schemas.ts';

declare module '@laurel/plugin-sdk' {
  interface LaurelEvents {
    /** An event was processed for a partner (points posted or none earned); listeners keep their own figures of it. */
    'earning.event.processed': EventProcessedPayload;
  }
}

/** What `earning.event.processed` carries: enough for a listener (the tiers module) to keep turnover and points. */
export interface EventProcessedPayload {
  eventId: string;
  type: string;
  programId: string;
  partnerId: string;
  occurredAt: string;
  /** Points this event posted (issued, corrected: negative when taken back; paid: released to available). */
  points: number;
  /** The invoice.issued event an invoice event belongs to (itself for invoice.issued); null for other events. */
  invoiceEventId: string | null;
  /** Net value of the invoice after this event, in the program currency's minor units (issued, corrected, returned). */
  netTotal: number | null;
  /** The invoice's lines after this event, in the invoice currency (issued, corrected, returned). */
  lines: { sku: string; category?: string; netAmount: number }[] | null;
}

type RuleRow = InferEntity<typeof EarningRule>;
type EventRow = InferEntity<typeof EarningEvent>;
/** The ledger's earning input (not exported by its index). */
type EarnInput = Parameters<LedgerService['earn']>[1];

/** What became of an event, as the inbox answers it (and answers it again on a replay). */
export interface EventOutcome {
  id: string;
  source: string;
  externalId: string;
  type: string;
  status: EventStatus;
  programId: string | null;
  partnerId: string | null;
  /** false on the first answer; true when this answer replays an earlier one. */
  replayed: boolean;
  /** Points earned (invoice.issued) or released to available (invoice.paid). */
  points: number;
  entries: { target: 'pending' | 'available'; entryId: number; points: number }[];
}

export interface EventView extends Omit<EventOutcome, 'replayed'> {
  occurredAt: string;
  payload: Record<string, unknown>;
  result: Record<string, unknown> | null;
  resolution: Record<string, unknown> | null;
  receivedAt: string;
  updatedAt: string;
}

export interface RuleView {
  id: string;
  programId: string;
  code: string;
  version: number;
  name: string;
  status: RuleStatus;
  validFrom: string;
  validTo: string | null;
  priority: number;
  eventTypes: string[];
  condition: unknown;
  effect: RuleEffect;
  stacking: Stacking;
  caps: RuleCaps | null;
  createdAt: string;
  activatedAt: string | null;
}

export interface RuleInput {
  programId: string;
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

/**
 * The tier multiplier hook: a tiers plugin registers a function giving a partner's multiplier (at most 4 decimal
 * places; 1 when it has none). Every rule's points are multiplied by it unless the rule's effect says `tier: false`.
 */
export type TierMultiplier = (ctx: RequestContext, partner: PartnerView) => number | Promise<number>;

/** Why a guardrail held an event back. */
export type ReviewReason =
  | { kind: 'document-number'; number: string; otherEventId: string; otherPartnerId: string }
  | { kind: 'volume'; netTotal: number; average: number; factor: number; invoices: number }
  | { kind: 'cap'; code: string; cap: 'event' | 'period' | 'budget'; limit: number; alreadyGranted: number; grantedNow: number; uncapped: number }
  | RelatedCompanyReason;

export interface ReviewView {
  id: string;
  programId: string;
  eventId: string;
  partnerId: string;
  status: 'open' | 'approved' | 'rejected';
  reasons: ReviewReason[];
  /** What approval posts: exactly what the simulation of the event showed when it was held back. */
  points: number;
  pending: number;
  available: number;
  simulation: Record<string, unknown>;
  decision: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
  createdAt: string;
  decidedAt: string | null;
}

export type ResolveInput = { action: 'map'; partnerId: string } | { action: 'reject'; reason: string };

export interface EarningDeps {
  partners: () => PartnerService;
  programs: () => ProgramService;
  ledger: () => LedgerService;
  access: () => AccessService;
  audit: () => AuditService;
  /** Sales between related companies (earning.related.ts). */
  related?: () => RelatedCompanies;
}

interface EventRecord {
  id: string;
  program_id: string | null;
  source: string;
  external_id: string;
  type: string;
  payload: EarningEventInput;
  payload_hash: string;
  status: EventStatus;
  partner_id: string | null;
  result: Record<string, unknown> | null;
  inserted?: boolean;
}

function canonical(value: unknown): string {
  // Keys sorted, undefined members left out; the same text as mapping Object.entries, in a plain loop (it hashes every
  // entry's request, explanation included).
  if (Array.isArray(value)) {
    let s = '[';
    for (let i = 0; i < value.length; i += 1) {
      if (i > 0) s += ',';
      const c = canonical(value[i]) as string | undefined;
      if (c !== undefined) s += c;
    }
    return `${s}]`;
  }
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    let s = '{';
    let first = true;
    for (const k of keys) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined) continue;
      s += `${first ? '' : ','}${JSON.stringify(k)}:${canonical(v)}`;
      first = false;
    }
    return `${s}}`;
  }
  return JSON.stringify(value);
}

function invalid(code: string, field: string, params: Record<string, unknown> = {}, status = 422): AppError {
  return new AppError(code, status, { params, fields: [{ field, messageKey: `errors.${code}`, params }] });
}

function ruleView(row: RuleRow): RuleView {
  return {
    id: row.id,
    programId: row.programId,
    code: row.code,
    version: row.version,
    name: row.name,
    status: row.status,
    validFrom: row.validFrom.toISOString(),
    validTo: row.validTo?.toISOString() ?? null,
    priority: row.priority,
    eventTypes: row.eventTypes,
    condition: row.condition,
    effect: row.effect as unknown as RuleEffect,
    stacking: (row.stacking as unknown as Stacking | undefined) ?? { mode: 'additive' },
    caps: (row.caps as unknown as RuleCaps | null | undefined) ?? null,
    createdAt: row.createdAt.toISOString(),
    activatedAt: row.activatedAt?.toISOString() ?? null,
  };
}

function entriesOf(result: Record<string, unknown> | null): EventOutcome['entries'] {
  return (result?.entries as EventOutcome['entries'] | undefined) ?? [];
}

function outcomeOf(row: EventRecord, replayed: boolean): EventOutcome {
  return {
    id: row.id,
    source: row.source,
    externalId: row.external_id,
    type: row.type,
    status: row.status,
    programId: row.program_id,
    partnerId: row.partner_id,
    replayed,
    points: Number(row.result?.points ?? 0),
    entries: entriesOf(row.result),
  };
}

function eventView(row: EventRow): EventView {
  return {
    id: row.id,
    source: row.source,
    externalId: row.externalId,
    type: row.type,
    status: row.status,
    programId: row.programId ?? null,
    partnerId: row.partnerId ?? null,
    points: Number(row.result?.points ?? 0),
    entries: entriesOf(row.result ?? null),
    occurredAt: row.occurredAt.toISOString(),
    payload: row.payload,
    result: row.result ?? null,
    resolution: row.resolution ?? null,
    receivedAt: row.receivedAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function partnerFacts(p: PartnerView): PartnerFacts {
  return { id: p.id, partnerCode: p.partnerCode, type: p.type, country: p.country, region: p.region, salesChannel: p.salesChannel, segments: p.segments };
}

/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
const dayFormats = new Map<string, Intl.DateTimeFormat>();
function calendarDay(at: Date, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) dayFormats.set(timeZone, (format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })));
  return format.format(at);
}

const digits = (s: string) => s.replace(/[^0-9]/g, '');
const compact = (s: string) => s.replace(/[\s.-]/g, '').toUpperCase();
const hashOf = (event: EarningEventInput) => createHash('sha256').update(canonical(event)).digest('hex');
const CONDITION_LIMIT = 20_000;
/*
 * "The event is processed", written so that the planner cannot answer a document-number lookup from the status index
 * (program, status): before the table's statistics catch up with a burst of events it estimates one row there and
 * scans every processed event of the program, while the invoice-number index (program, number) finds the few with
 * that number.
 */
const PROCESSED = `(status || '') = 'processed'`;

/**
 * Earning: the event inbox (idempotent by source and external id), partner matching, rules as data, the lifecycle of
 * an invoice's points in the ledger (issued → pending, paid → available) and the simulation of an event.
 */
export function createEarningService(deps: EarningDeps) {
  /** SKU mapping of invoice lines that carry seller codes or GTINs (earning.sku.ts). */
  const skus = createSkuApplier();
  /** The identifier that decides, normalized: the same order as `match`. */
  function identifierOf(who: InvoiceIssuedEvent['partner']): { kind: 'id' | 'nip' | 'euVat' | 'regon' | 'code'; value: string } | null {
    if (who.partnerId) return { kind: 'id', value: who.partnerId };
    const euVat = who.euVat ? compact(who.euVat) : null;
    const nip = who.nip ? digits(who.nip) : euVat?.startsWith('PL') ? digits(euVat) : null;
    if (nip) return nip.length === 10 ? { kind: 'nip', value: nip } : null;
    if (euVat) return { kind: 'euVat', value: euVat };
    if (who.regon) return { kind: 'regon', value: digits(who.regon) };
    return { kind: 'code', value: who.partnerCode! };
  }

  function programOf(ctx: RequestContext, event: { programId?: string }, prefix: string): string | null {
    const keyProgram = ctx.actor.kind === 'api-key' ? ctx.actor.programId : null;
    if (event.programId && keyProgram && event.programId !== keyProgram) throw invalid('EARNING_PROGRAM_MISMATCH', `${prefix}/programId`, { programId: event.programId });
    return event.programId ?? keyProgram ?? null;
  }

  /** The partner an event names, through the partners service; null when none matches. */
  async function match(ctx: RequestContext, programId: string | null, who: InvoiceIssuedEvent['partner'], prefix: string): Promise<PartnerView | null> {
    if (who.partnerId) {
      const p = await deps.partners().get(ctx, who.partnerId).catch((error: unknown) => {
        if (isAppError(error) && error.status === 404) return null;
        throw error;
      });
      return p && (!programId || p.programId === programId) ? p : null;
    }
    if (!programId) throw invalid('EARNING_PROGRAM_REQUIRED', `${prefix}/programId`);
    const euVat = who.euVat ? compact(who.euVat) : null;
    const nip = who.nip ? digits(who.nip) : euVat?.startsWith('PL') ? digits(euVat) : null;
    if (nip) return nip.length === 10 ? deps.partners().findByIdentifier(ctx, programId, { nip }) : null;
    if (euVat) return deps.partners().findByIdentifier(ctx, programId, { euVat });
    if (who.regon) return deps.partners().findByIdentifier(ctx, programId, { regon: digits(who.regon) });
    return deps.partners().findByIdentifier(ctx, programId, { partnerCode: who.partnerCode! });
  }

  /** Programs and rules read once per batch (one event alone gets a fresh cache). */
  interface Cache { programs: Map<string, Promise<ProgramView>>; rules: Map<string, Promise<RuleForEvaluation[]>>; settings: Map<string, Promise<Settings>> }
  /*
   * Programs, active rules and guardrail settings change rarely and are read for every event: one process shares
   * them for at most a second (what another server changed applies within a second) and drops them at once when
   * it changes them itself.
   */
  let shared: { at: number; cache: Cache } | null = null;
  const freshCache = (): Cache => {
    if (!shared || Date.now() - shared.at > 1000) shared = { at: Date.now(), cache: { programs: new Map(), rules: new Map(), settings: new Map() } };
    return shared.cache;
  };
  const invalidate = () => {
    shared = null;
  };

  function programIn(ctx: RequestContext, cache: Cache, programId: string): Promise<ProgramView> {
    let program = cache.programs.get(programId);
    if (!program) cache.programs.set(programId, (program = deps.programs().get(ctx, programId)));
    return program;
  }

  function rulesIn(ctx: RequestContext, cache: Cache, programId: string): Promise<RuleForEvaluation[]> {
    let rules = cache.rules.get(programId);
    if (!rules) cache.rules.set(programId, (rules = rulesOf(ctx, programId)));
    return rules;
  }

  async function rulesOf(ctx: RequestContext, programId: string): Promise<RuleForEvaluation[]> {
    const rows = await ctx.em.find(EarningRule, { programId, status: 'active' });
    return rows.map((r) => {
      const v = ruleView(r);
      return { id: r.id, code: r.code, version: r.version, priority: r.priority, validFrom: r.validFrom, validTo: r.validTo ?? null, eventTypes: r.eventTypes, condition: r.condition, effect: v.effect, stacking: v.stacking, caps: v.caps };
    });
  }

  /** The latest rate of `currency` in `quote` on or before `date` (a calendar day), or null. */
  async function rateOn(ctx: RequestContext, currency: string, quote: string, date: string) {
    const [row] = await ctx.em.execute<{ numerator: string; denominator: string; rate_date: string; source: string }[]>(
      `select numerator::text, denominator::text, to_char(rate_date, 'YYYY-MM-DD') as rate_date, source from earning_fx_rate
        where currency = ? and quote = ? and rate_date <= ?::date order by rate_date desc limit 1`,
      [currency, quote, date],
    );
    return row ? { numerator: BigInt(row.numerator), denominator: BigInt(row.denominator), rateDate: row.rate_date, source: row.source } : null;
  }

  /**
   * What an invoice earns under the program's rules: in another currency, each line (net amount and margin) is first
   * converted to the program currency at the latest rate on or before the invoice date (its calendar day in the
   * program's time zone), in minor units, rounded half to even; no rate is a 422 naming the currency and date.
   */
  async function computeIn(ctx: RequestContext, cache: Cache, program: ProgramView, event: InvoiceIssuedEvent, partner: PartnerFacts | null, prefix: string, options: ComputeOptions = {}): Promise<Computation> {
    const rules = await rulesIn(ctx, cache, program.id);
    if (event.currency === program.currency) return computeInvoice(rules, event, partner, options);
    const date = calendarDay(new Date(event.occurredAt), program.timeZone);
    const rate = await rateOn(ctx, event.currency, program.currency, date);
    if (!rate) throw invalid('EARNING_FX_RATE_MISSING', `${prefix}/currency`, { currency: event.currency, programCurrency: program.currency, date });
    const from = currencyScale(event.currency);
    const to = currencyScale(program.currency);
    const convert = (amount: number) => convertMinor(amount, from, to, rate);
    const converted: InvoiceIssuedEvent = {
      ...event,
      currency: program.currency,
      lines: event.lines.map((l) => ({ ...l, netAmount: convert(l.netAmount), ...(l.margin === undefined ? {} : { margin: convert(l.margin) }) })),
    };
    const computation = computeInvoice(rules, converted, partner, options);
    return {
      ...computation,
      conversion: { from: event.currency, to: program.currency, rate: rateText(rate), numerator: String(rate.numerator), denominator: String(rate.denominator), rateDate: rate.rateDate, source: rate.source, rounding: 'half-even' },
      lines: computation.lines.map((l, i) => ({ ...l, original: { currency: event.currency, netAmount: event.lines[i]!.netAmount } })),
    };
  }

  /** An event without lines (a deal, a lead, a training …) as one line, so the same rules and explanation apply. */
  function linesOf(event: InvoiceIssuedEvent | ActivityEvent, programCurrency: string): InvoiceIssuedEvent {
    if (event.type === 'invoice.issued') return event;
    const amount = 'amount' in event ? (event.amount ?? 0) : 0;
    const currency = ('currency' in event ? event.currency : undefined) ?? programCurrency;
    return { ...(event as unknown as InvoiceIssuedEvent), type: event.type as 'invoice.issued', number: event.externalId, currency, lines: [{ sku: event.type, quantity: 1, netAmount: amount }] };
  }

  /** The partner, program and computation of an issued invoice; refuses what cannot earn. */
  /** The tier multiplier hook (registered by a tiers plugin); without one every partner's multiplier is 1. */
  let tierHook: TierMultiplier | null = null;
  async function tierOf(ctx: RequestContext, partner: PartnerView): Promise<number> {
    if (!tierHook) return 1;
    const m = Number(await tierHook(ctx, partner));
    return Number.isFinite(m) && m > 0 ? Math.round(m * 10_000) / 10_000 : 1;
  }

  /** The guardrail settings of a program (volume outside history), read once per batch. */
  interface Settings { volumeFactor: number | null; volumeMinInvoices: number }
  function settingsIn(ctx: RequestContext, cache: Cache, programId: string): Promise<Settings> {
    let settings = cache.settings.get(programId);
    if (!settings) cache.settings.set(programId, (settings = readSettings(ctx, programId)));
    return settings;
  }
  async function readSettings(ctx: RequestContext, programId: string): Promise<Settings> {
    const [row] = await ctx.em.execute<{ volume_factor: string | null; volume_min_invoices: number }[]>(`select volume_factor::text, volume_min_invoices from earning_settings where program_id = ?`, [programId]);
    return { volumeFactor: row?.volume_factor ? Number(row.volume_factor) : null, volumeMinInvoices: row?.volume_min_invoices ?? 5 };
  }

  /**
   * What the capped rules have granted on some counters. With `lock` (inside the posting transaction) the rows are
   * created when missing and locked in a fixed order, so concurrent events on one counter post one at a time.
   */
  async function grantsOf(ctx: RequestContext, programId: string, keys: Grant[], lock: boolean): Promise<Map<string, number>> {
    const unique = [...new Map(keys.map((k) => [grantKey(k.code, k.scope), { rule_code: k.code, scope: k.scope }])).values()].sort((a, b) => (a.rule_code + '\u0000' + a.scope < b.rule_code + '\u0000' + b.scope ? -1 : 1));
    if (unique.length === 0) return new Map();
    const json = JSON.stringify(unique);
    if (lock) {
      await ctx.em.execute(
        `insert into earning_grant (program_id, rule_code, scope) select ?, x.rule_code, x.scope from jsonb_to_recordset(?::jsonb) as x(rule_code text, scope text) order by 2, 3 on conflict do nothing`,
        [programId, json],
      );
    }
    const rows = await ctx.em.execute<{ rule_code: string; scope: string; points: string }[]>(
      `select g.rule_code, g.scope, g.points::text as points from earning_grant g join jsonb_to_recordset(?::jsonb) as x(rule_code text, scope text) on g.rule_code = x.rule_code and g.scope = x.scope
        where g.program_id = ? order by g.rule_code, g.scope ${lock ? 'for update of g' : ''}`,
      [json, programId],
    );
    return new Map(rows.map((r) => [grantKey(r.rule_code, r.scope), Number(r.points)]));
  }

  /** Add what an event granted to its rules' counters (in the transaction that posts it). */
  async function addGrants(ctx: RequestContext, programId: string, grants: Grant[]) {
    if (grants.length === 0) return;
    await ctx.em.execute(
      `insert into earning_grant (program_id, rule_code, scope, points, updated_at) select ?, x.rule_code, x.scope, x.points, now() from jsonb_to_recordset(?::jsonb) as x(rule_code text, scope text, points bigint)
       order by 2, 3 on conflict (program_id, rule_code, scope) do update set points = earning_grant.points + excluded.points, updated_at = now()`,
      [programId, JSON.stringify(grants.map((g) => ({ rule_code: g.code, scope: g.scope, points: g.points })))],
    );
  }

  async function evaluate(ctx: RequestContext, event: InvoiceIssuedEvent | ActivityEvent, partner: PartnerView, prefix: string, cache: Cache = freshCache(), granted: Map<string, number> = new Map(), skipped = true, tier?: Promise<number>): Promise<Computation> {
    if (partner.status !== 'active') throw new AppError('EARNING_PARTNER_NOT_ACTIVE', 409, { params: { partnerCode: partner.partnerCode, status: partner.status } });
    const program = await programIn(ctx, cache, partner.programId);
    const caps: CapState = { partnerId: partner.id, periods: periodsOf(calendarDay(new Date(event.occurredAt), program.timeZone)), granted };
    const computation = await computeIn(ctx, cache, program, linesOf(event, program.currency), partnerFacts(partner), prefix, { tierMultiplier: await (tier ?? tierOf(ctx, partner)), caps, skipped });
    if (!Number.isSafeInteger(computation.points)) throw new AppError('EARNING_POINTS_TOO_LARGE', 422, { params: { points: String(computation.points) } });
    return computation;
  }

  async function repOf(ctx: RequestContext, partner: PartnerView, event: InvoiceIssuedEvent | ActivityEvent): Promise<{ repUserId: string | null; note: string | null }> {
    if (event.repUserId) return { repUserId: event.repUserId, note: null };
    if (!event.repEmail) return { repUserId: null, note: null };
    const user = await deps.access().findUserByEmail(ctx, event.repEmail);
    if (user && user.kind === 'partner' && user.partnerId === partner.id) return { repUserId: user.id, note: null };
    return { repUserId: null, note: 'rep-unknown' };
  }

  /** `facts`: what `earning.event.processed` tells of the invoice after the event (not stored with the result). */
  type Done = { status: EventStatus; programId: string | null; partnerId: string | null; result: Record<string, unknown>; facts?: { netTotal: number; lines: InvoiceIssuedEvent['lines'] } };
  /** What an issued invoice's result holds besides its entries (kept with a review, so approval answers the same). */
  interface IssuedBase { programId: string; partnerId: string; points: number; pending: number; available: number; netTotal: number; rep: string | null; lines: InvoiceIssuedEvent['lines'] }
  /** What an issued invoice posts: one earning per target, each keyed by the event, and the result once posted. */
  interface IssuedPlan { earnings: (EarnInput & { target: 'pending' | 'available' })[]; computation: Computation; base: IssuedBase; done: (entries: EventOutcome['entries']) => Done }

  function issuedDone(base: IssuedBase, entries: EventOutcome['entries']): Done {
    return {
      status: 'processed',
      programId: base.programId,
      partnerId: base.partnerId,
      result: {
        points: base.points,
        pending: base.pending,
        available: base.available,
        entries,
        ...(base.rep ? { rep: base.rep } : {}),
        netTotal: base.netTotal,
        invoice: { lines: base.lines, entries: entries.map((e) => ({ ...e, taken: 0, pending: e.target === 'pending' })), paid: false } satisfies InvoiceState,
      },
      facts: { netTotal: base.netTotal, lines: base.lines },
    };
  }

  /** The caps of a computation that bound for the rules of one target (what its ledger entry explains). */
  const capsFor = (computation: Computation, target: 'pending' | 'available') => (computation.caps ?? []).filter((c) => c.target === target);

  /** `skipped` false: the plan of an event posted as it is (a held one is planned again, with the rules that did not apply). */
  async function planIssued(ctx: RequestContext, row: EventRecord, event: InvoiceIssuedEvent | ActivityEvent, partner: PartnerView, prefix: string, cache?: Cache, granted?: Map<string, number>, skipped = true, tier?: Promise<number>): Promise<IssuedPlan> {
    event = await skus.apply(ctx, partner.programId, row.id, event);
    const computation = await evaluate(ctx, event, partner, prefix, cache, granted, skipped, tier);
    const rep = await repOf(ctx, partner, event);
    const earnings: IssuedPlan['earnings'] = [];
    for (const target of ['pending', 'available'] as const) {
      const points = computation[target];
      if (points === 0) continue;
      const lines = explanationLines(computation, target);
      const rules = [...new Map(lines.flatMap((l) => l.fired).map((f) => [f.ruleId, { ruleId: f.ruleId, code: f.code, version: f.version }])).values()];
      const caps = capsFor(computation, target);
      earnings.push({
        target,
        partnerId: partner.id,
        points,
        idempotencyKey: `earning:${row.id}:${target}`,
        pending: target === 'pending',
        earnedAt: new Date(event.occurredAt),
        ...(rep.repUserId ? { repUserId: rep.repUserId } : {}),
        explanation: { rule: 'earning', eventId: row.id, eventType: event.type, source: event.source, externalId: event.externalId, invoice: event.type === 'invoice.issued' ? event.number : null, currency: computation.currency, ...(computation.conversion ? { conversion: computation.conversion } : {}), rules, lines, ...(caps.length ? { caps } : {}) },
      });
    }
    const base: IssuedBase = {
      programId: partner.programId,
      partnerId: partner.id,
      points: computation.points,
      pending: computation.pending,
      available: computation.available,
      netTotal: computation.lines.reduce((sum, l) => sum + l.netAmount, 0),
      rep: rep.note,
      lines: event.type === 'invoice.issued' ? event.lines : [],
    };
    return { earnings, computation, base, done: (entries) => issuedDone(base, entries) };
  }

  const unmatched = (row: EventRecord): Done => ({ status: 'unmatched', programId: row.program_id, partnerId: null, result: { points: 0, entries: [] } });

  /** Caps that send the event to review (the rule says onCap: review) instead of posting the capped part. */
  const capReasons = (computation: Computation): ReviewReason[] =>
    (computation.caps ?? []).filter((c) => c.onCap === 'review').map((c): ReviewReason => ({ kind: 'cap', code: c.code, cap: c.kind, limit: c.limit, alreadyGranted: c.alreadyGranted, grantedNow: c.grantedNow, uncapped: c.uncapped }));

  const NO_EVENT = '00000000-0000-0000-0000-000000000000';
  /**
   * The guardrails an event that earns trips: its invoice number already credited to another partner of the program,
   * or its net value above the program's factor × the partner's average invoice of the 12 months before it (when the
   * partner has enough invoices in that time).
   */
  async function guardrailsOf(ctx: RequestContext, cache: Cache, partner: PartnerView, eventId: string, event: InvoiceIssuedEvent | ActivityEvent, computation: Computation): Promise<ReviewReason[]> {
    if (computation.points <= 0 || event.type !== 'invoice.issued') return [];
    const reasons: ReviewReason[] = [];
    const [other] = await ctx.em.execute<{ id: string; partner_id: string }[]>(
      `select id, partner_id from earning_event where program_id = ? and type = 'invoice.issued' and payload->>'number' = ? and ${PROCESSED} and partner_id <> ? and id <> ? limit 1`,
      [partner.programId, event.number, partner.id, eventId],
    );
    if (other) reasons.push({ kind: 'document-number', number: event.number, otherEventId: other.id, otherPartnerId: other.partner_id });
    const related = await deps.related?.().reasonFor(ctx, partner, event.buyer);
    if (related) reasons.push(related);
    const settings = await settingsIn(ctx, cache, partner.programId);
    if (settings.volumeFactor !== null) {
      const netTotal = computation.lines.reduce((sum, l) => sum + l.netAmount, 0);
      const at = new Date(event.occurredAt);
      const [h] = await ctx.em.execute<{ n: number; total: string | null }[]>(
        `select count(*)::int as n, sum(coalesce((result->>'netTotal')::numeric, (select sum((l->>'netAmount')::numeric) from jsonb_array_elements(payload->'lines') l)))::text as total
           from earning_event where partner_id = ? and type = 'invoice.issued' and status = 'processed' and occurred_at >= ?::timestamptz - interval '12 months' and occurred_at < ? and id <> ?`,
        [partner.id, at, at, eventId],
      );
      const n = Number(h?.n ?? 0);
      if (n >= settings.volumeMinInvoices && h?.total) {
        const total = BigInt(h.total.split('.')[0]!);
        if (BigInt(netTotal) * BigInt(n) * 10_000n > BigInt(Math.round(settings.volumeFactor * 10_000)) * total) {
          reasons.push({ kind: 'volume', netTotal, average: Number(total / BigInt(n)), factor: settings.volumeFactor, invoices: n });
        }
      }
    }
    return reasons;
  }

  /** Hold an event back: the review row keeps what it would post (the plan), so approval posts exactly that. */
  async function holdForReview(ctx: RequestContext, row: EventRecord, plan: IssuedPlan, reasons: ReviewReason[]): Promise<Done> {
    const simulation = { ...plan.computation, explanation: { pending: explanationLines(plan.computation, 'pending'), available: explanationLines(plan.computation, 'available') } };
    const [created] = await ctx.em.execute<{ id: string }[]>(
      `insert into earning_review (id, program_id, event_id, partner_id, reasons, computation, status, created_at) values (?, ?, ?, ?, ?::jsonb, ?::jsonb, 'open', now())
       on conflict (event_id) do update set reasons = excluded.reasons, computation = excluded.computation where earning_review.status = 'open' returning id`,
      [uuidv7(), plan.base.programId, row.id, plan.base.partnerId, JSON.stringify(reasons), JSON.stringify({ simulation, earnings: plan.earnings, grants: plan.computation.grants, base: plan.base })],
    );
    return { status: 'review', programId: plan.base.programId, partnerId: plan.base.partnerId, result: { points: 0, entries: [], review: { id: created?.id ?? null, reasons } } };
  }

  /**
   * Post a planned earning. Without capped counters or guardrails tripped it is posted as it is; otherwise in one
   * transaction: the counters locked, the event computed again with what they hold, then posted (counters and status
   * updated with it) or held for review.
   */
  async function postIssued(ctx: RequestContext, cache: Cache, row: EventRecord, event: InvoiceIssuedEvent | ActivityEvent, partner: PartnerView, prefix: string, first: IssuedPlan): Promise<Done> {
    const checks = await guardrailsOf(ctx, cache, partner, row.id, event, first.computation);
    if (first.computation.grants.length === 0 && checks.length === 0 && capReasons(first.computation).length === 0) {
      const entries: EventOutcome['entries'] = [];
      for (const { target, ...input } of first.earnings) {
        const entry = await deps.ledger().earn(ctx, input);
        entries.push({ target, entryId: entry.entryId, points: input.points });
      }
      return first.done(entries);
    }
    return ctx.em.transactional(async (em) => {
      const tx = { ...ctx, em };
      const granted = await grantsOf(tx, partner.programId, first.computation.grants, true);
      const plan = granted.size ? await planIssued(tx, row, event, partner, prefix, cache, granted) : first;
      const reasons = [...checks, ...capReasons(plan.computation)];
      let done: Done;
      if (reasons.length) done = await holdForReview(tx, row, plan, reasons);
      else {
        const entries: EventOutcome['entries'] = [];
        for (const { target, ...input } of plan.earnings) {
          const entry = await deps.ledger().earn(tx, input);
          entries.push({ target, entryId: entry.entryId, points: input.points });
        }
        await addGrants(tx, partner.programId, plan.computation.grants);
        done = plan.done(entries);
      }
      await update(tx, row.id, done.status, done);
      return done;
    });
  }

  async function processIssued(ctx: RequestContext, row: EventRecord, event: InvoiceIssuedEvent | ActivityEvent, prefix: string): Promise<Done> {
    const partner = row.partner_id ? await deps.partners().get(ctx, row.partner_id) : await match(ctx, row.program_id, event.partner, prefix);
    if (!partner) return unmatched(row);
    const cache = freshCache();
    return postIssued(ctx, cache, row, event, partner, prefix, await planIssued(ctx, row, event, partner, prefix, cache));
  }

  /**
   * What the lifecycle of an invoice needs, kept in its invoice.issued event's result (`invoice`), beside the first
   * answer (which replays return unchanged): the lines as corrected so far, and every earning of the invoice — the
   * first ones and those of corrections that increased it — with what has been taken back and what was released.
   */
  interface InvoiceEntry { target: 'pending' | 'available'; entryId: number; points: number; taken: number; pending: boolean; releaseEntryId?: number }
  interface InvoiceState { lines: InvoiceIssuedEvent['lines']; entries: InvoiceEntry[]; paid: boolean }

  function stateOf(issued: EventRecord): InvoiceState {
    const kept = issued.result?.invoice as InvoiceState | undefined;
    if (kept) return kept;
    return {
      lines: (issued.payload as InvoiceIssuedEvent).lines,
      entries: entriesOf(issued.result).map((e) => ({ ...e, taken: 0, pending: e.target === 'pending' })),
      paid: false,
    };
  }

  /** The invoice.issued event an event refers to, locked for the rest of the transaction. */
  async function lockInvoice(ctx: RequestContext, row: EventRecord, source: string, externalId: string, field: string): Promise<EventRecord> {
    const [issued] = await ctx.em.execute<EventRecord[]>(`select * from earning_event where source = ? and external_id = ? and type = 'invoice.issued' for update`, [source, externalId]);
    const params = { source, invoiceExternalId: externalId };
    if (!issued || (row.program_id && issued.program_id && issued.program_id !== row.program_id)) throw invalid('EARNING_INVOICE_UNKNOWN', field, params, 409);
    if (issued.status !== 'processed') throw invalid('EARNING_INVOICE_NOT_PROCESSED', field, { ...params, status: issued.status }, 409);
    return issued;
  }

  async function saveState(ctx: RequestContext, issued: EventRecord, state: InvoiceState) {
    await ctx.em.execute(`update earning_event set result = jsonb_set(result, '{invoice}', ?::jsonb), updated_at = now() where id = ?`, [JSON.stringify(state), issued.id]);
  }

  /** Paid: every earning of the invoice still pending is released to available (the first one and any increase). */
  async function processPaid(ctx: RequestContext, row: EventRecord, event: InvoicePaidEvent, prefix: string): Promise<Done> {
    return ctx.em.transactional(async (em) => {
      const tx = { ...ctx, em };
      const field = `${prefix}/invoiceExternalId`;
      const issued = await lockInvoice(tx, row, event.source, event.invoiceExternalId, field);
      const state = stateOf(issued);
      if (state.paid) throw invalid('EARNING_INVOICE_ALREADY_PAID', field, { source: event.source, invoiceExternalId: event.invoiceExternalId }, 409);
      const base = { status: 'processed' as const, programId: issued.program_id, partnerId: issued.partner_id };
      const entries: EventOutcome['entries'] = [];
      let first = true;
      for (const e of state.entries) {
        if (!e.pending || e.releaseEntryId !== undefined || e.points - e.taken <= 0) continue;
        try {
          const release = await deps.ledger().releasePending(tx, {
            partnerId: issued.partner_id!,
            earnEntryId: e.entryId,
            idempotencyKey: first ? `earning:${row.id}:release` : `earning:${row.id}:release:${e.entryId}`,
            explanation: { rule: 'earning', eventId: row.id, eventType: event.type, source: event.source, externalId: event.externalId, invoiceEventId: issued.id, invoiceExternalId: event.invoiceExternalId, paidAt: event.occurredAt },
          });
          first = false;
          e.releaseEntryId = release.entryId;
          entries.push({ target: 'available', entryId: release.entryId, points: release.postings.filter((p) => p.amount > 0).reduce((sum, p) => sum + p.amount, 0) });
        } catch (error) {
          if (isAppError(error) && error.code === 'LEDGER_RELEASE_EXCEEDS_PENDING') throw invalid('EARNING_INVOICE_ALREADY_PAID', field, { source: event.source, invoiceExternalId: event.invoiceExternalId }, 409);
          throw error;
        }
      }
      state.paid = true;
      await saveState(tx, issued, state);
      return { ...base, result: { points: entries.reduce((sum, e) => sum + e.points, 0), entries, invoiceEventId: issued.id } };
    });
  }

  /** The invoice's lines after a correction, a credit note or a return (by SKU); bad lines are named. */
  function applyChanges(current: InvoiceIssuedEvent['lines'], event: InvoiceCorrectedEvent | OrderReturnedEvent, prefix: string): InvoiceIssuedEvent['lines'] {
    const lines = current.map((l) => ({ ...l }));
    const replace = event.type === 'invoice.corrected' && (event.kind ?? 'correction') === 'correction';
    event.lines.forEach((change, i) => {
      const mine = lines.filter((l) => l.sku === change.sku);
      const had = mine.reduce((sum, l) => sum + l.netAmount, 0);
      let delta = replace ? change.netAmount - had : -change.netAmount;
      if (mine.length === 0) {
        if (!replace) throw invalid('EARNING_CORRECTION_SKU', `${prefix}/lines/${i}/sku`, { sku: change.sku });
        if (change.netAmount > 0) lines.push({ sku: change.sku, quantity: change.quantity ?? 1, netAmount: change.netAmount, ...((change as { category?: string }).category ? { category: (change as { category?: string }).category } : {}) });
        return;
      }
      if (had + delta < 0) throw invalid('EARNING_CORRECTION_EXCEEDS', `${prefix}/lines/${i}/netAmount`, { sku: change.sku, netAmount: had });
      // An increase goes to the SKU's last line; a decrease comes off its last lines first.
      if (delta > 0) mine[mine.length - 1]!.netAmount += delta;
      for (let k = mine.length - 1; k >= 0 && delta < 0; k -= 1) {
        const off = Math.min(mine[k]!.netAmount, -delta);
        mine[k]!.netAmount -= off;
        delta += off;
      }
      if (replace && change.quantity !== undefined) mine[mine.length - 1]!.quantity = change.quantity;
    });
    return lines.filter((l) => l.netAmount > 0 || l.quantity > 0);
  }

  /**
   * A correction, credit note or return: the invoice is computed again on its corrected lines (the rules and the rate
   * of its own date) and the difference per target is posted — taken back from the invoice's earnings, newest first,
   * with partial reversals (a released one is first put back to pending, then reversed), or earned when it grew.
   */
  async function processCorrection(ctx: RequestContext, row: EventRecord, event: InvoiceCorrectedEvent | OrderReturnedEvent, prefix: string): Promise<Done> {
    return ctx.em.transactional(async (em) => {
      const tx = { ...ctx, em };
      const ref = event.type === 'invoice.corrected' ? event.originalExternalId : event.invoiceExternalId;
      const issued = await lockInvoice(tx, row, event.source, ref, `${prefix}/${event.type === 'invoice.corrected' ? 'originalExternalId' : 'invoiceExternalId'}`);
      const state = stateOf(issued);
      const original = issued.payload as InvoiceIssuedEvent;
      const lines = applyChanges(state.lines, alignChanges(state.lines, event), prefix);
      const partner = await deps.partners().get(tx, issued.partner_id!);
      const program = await deps.programs().get(tx, partner.programId);
      const after = await computeIn(tx, freshCache(), program, lines.length ? { ...original, lines } : { ...original, lines: [{ sku: '-', quantity: 0, netAmount: 0 }] }, partnerFacts(partner), prefix);
      const reason = event.type === 'order.returned' ? `Goods of invoice ${original.number} returned` : `Invoice ${original.number} corrected (${event.type === 'invoice.corrected' ? (event.kind ?? 'correction') : 'return'})`;
      const explanation = (target: 'pending' | 'available', before: number) => ({
        rule: 'earning', eventId: row.id, eventType: event.type, source: event.source, externalId: event.externalId, invoiceEventId: issued.id, invoice: original.number,
        before, after: after[target], currency: after.currency, ...(after.conversion ? { conversion: after.conversion } : {}), lines: explanationLines(after, target),
      });
      const entries: EventOutcome['entries'] = [];
      for (const target of ['pending', 'available'] as const) {
        const mine = state.entries.filter((e) => e.target === target);
        const before = mine.reduce((sum, e) => sum + e.points - e.taken, 0);
        let delta = after[target] - before;
        if (delta > 0) {
          const pending = target === 'pending' && !state.paid;
          const entry = await deps.ledger().earn(tx, { partnerId: partner.id, points: delta, idempotencyKey: `earning:${row.id}:${target}`, pending, earnedAt: new Date(original.occurredAt), explanation: explanation(target, before) });
          state.entries.push({ target, entryId: entry.entryId, points: delta, taken: 0, pending });
          entries.push({ target, entryId: entry.entryId, points: delta });
        }
        for (const e of [...mine].reverse()) {
          if (delta >= 0) break;
          const take = Math.min(e.points - e.taken, -delta);
          if (take <= 0) continue;
          if (e.pending && e.releaseEntryId !== undefined) {
            await deps.ledger().reverse(tx, { entryId: e.releaseEntryId, points: take, reason, idempotencyKey: `earning:${row.id}:unrelease:${e.entryId}`, explanation: explanation(target, before) });
          }
          const reversal = await deps.ledger().reverse(tx, { entryId: e.entryId, points: take, reason, idempotencyKey: `earning:${row.id}:reverse:${e.entryId}`, explanation: explanation(target, before) });
          e.taken += take;
          delta += take;
          entries.push({ target, entryId: reversal.entryId, points: -take });
        }
      }
      state.lines = lines;
      await saveState(tx, issued, state);
      const facts = { netTotal: lines.length ? after.lines.reduce((sum, l) => sum + l.netAmount, 0) : 0, lines };
      return { status: 'processed' as const, programId: issued.program_id, partnerId: issued.partner_id, result: { points: entries.reduce((sum, e) => sum + e.points, 0), entries, invoiceEventId: issued.id, pending: after.pending, available: after.available }, facts };
    });
  }

  async function update(ctx: RequestContext, id: string, status: EventStatus, patch: { programId?: string | null; partnerId?: string | null; result: Record<string, unknown> }): Promise<EventRecord> {
    const [row] = await ctx.em.execute<EventRecord[]>(
      `update earning_event set status = ?, program_id = coalesce(?, program_id), partner_id = coalesce(?, partner_id), result = ?::jsonb, updated_at = now()
        where id = ? and status <> 'rejected' returning *`,
      [status, patch.programId ?? null, patch.partnerId ?? null, JSON.stringify(patch.result), id],
    );
    return row!;
  }

  /** Tell listeners (after commit, through the outbox) of events processed for a partner. */
  async function announce(ctx: RequestContext, processed: { row: EventRecord | undefined; done: Done }[]) {
    let any = false;
    for (const { row, done } of processed) {
      if (!row || done.status !== 'processed' || !done.partnerId || !done.programId) continue;
      const invoiceEventId = row.type === 'invoice.issued' ? row.id : ((done.result.invoiceEventId as string | undefined) ?? null);
      ctx.emit('earning.event.processed', {
        eventId: row.id, type: row.type, programId: done.programId, partnerId: done.partnerId, occurredAt: new Date(row.payload.occurredAt).toISOString(),
        points: Number(done.result.points ?? 0), invoiceEventId, netTotal: done.facts?.netTotal ?? null,
        lines: done.facts ? done.facts.lines.map((l) => ({ sku: l.sku, ...(l.category ? { category: l.category } : {}), netAmount: l.netAmount })) : null,
      });
      any = true;
    }
    if (any) await ctx.em.flush();
  }

  /**
   * The events' new status and their `earning.event.processed` outbox events, committed together: a crash between the
   * two would leave an event processed that no listener (tiers, webhooks, plugins) ever hears of, since a replay answers
   * from the stored status without announcing again. One commit instead of two, too.
   */
  async function settle<T>(ctx: RequestContext, write: () => Promise<T>, processed: (written: T) => { row: EventRecord | undefined; done: Done }[]): Promise<T> {
    if (ctx.em.isInTransaction()) {
      const written = await write();
      await announce(ctx, processed(written));
      return written;
    }
    await ctx.em.begin();
    try {
      const written = await write();
      await announce(ctx, processed(written));
      await ctx.em.commit();
      return written;
    } catch (error) {
      await ctx.em.rollback();
      throw error;
    }
  }

  /** Process a stored event (again): idempotent, since every ledger entry's key derives from the event. */
  async function process(ctx: RequestContext, row: EventRecord, prefix: string): Promise<EventOutcome> {
    try {
      const event = row.payload;
      const done =
        event.type === 'invoice.issued' || isActivity(event)
          ? await processIssued(ctx, row, event, prefix)
          : event.type === 'invoice.paid'
            ? await processPaid(ctx, row, event, prefix)
            : await processCorrection(ctx, row, event, prefix);
      const updated = await settle(ctx, () => update(ctx, row.id, done.status, done), (written) => [{ row: written, done }]);
      return outcomeOf(updated, false);
    } catch (error) {
      if (isAppError(error) && error.status < 500) await update(ctx, row.id, 'refused', refusal(error));
      throw error;
    }
  }

  function refusal(error: AppError): Done {
    return { status: 'refused', programId: null, partnerId: null, result: { points: 0, entries: [], problem: { code: error.code, status: error.status, params: error.params, fields: error.fields } } };
  }

  /**
   * Many events' new status and result in one statement. The rows come back as `stored` holds them with what was
   * written (the statement returns only the columns it may change, not every payload and result again).
   */
  async function updateMany(ctx: RequestContext, done: { id: string; done: Done }[], stored: Map<string, EventRecord>): Promise<Map<string, EventRecord>> {
    if (done.length === 0) return new Map();
    const rows = await ctx.em.execute<Pick<EventRecord, 'id' | 'status' | 'program_id' | 'partner_id'>[]>(
      `update earning_event e set status = x.status, program_id = coalesce(x.program_id, e.program_id), partner_id = coalesce(x.partner_id, e.partner_id), result = x.result, updated_at = now()
         from jsonb_to_recordset(?::jsonb) as x(id uuid, status text, program_id uuid, partner_id uuid, result jsonb)
        where e.id = x.id and e.status <> 'rejected' returning e.id, e.status, e.program_id, e.partner_id`,
      [JSON.stringify(done.map((d) => ({ id: d.id, status: d.done.status, program_id: d.done.programId, partner_id: d.done.partnerId, result: d.done.result })))],
    );
    const results = new Map(done.map((d) => [d.id, d.done.result]));
    return new Map(rows.map((r) => [r.id, { ...stored.get(r.id)!, ...r, result: results.get(r.id)! }]));
  }

  /** Many events stored in one statement (or found under their keys in a second). Keys must be distinct. */
  async function claimMany(ctx: RequestContext, items: { event: EarningEventInput; programId: string | null; hash: string }[]): Promise<EventRecord[]> {
    const now = new Date().toISOString();
    const by = JSON.stringify(describeActor(ctx.actor));
    const inserted = await ctx.em.execute<EventRecord[]>(
      `insert into earning_event (id, program_id, source, external_id, type, occurred_at, payload, payload_hash, status, received_by, received_at, updated_at)
       select x.id, x.program_id, x.source, x.external_id, x.type, x.occurred_at, x.payload, x.payload_hash, 'received', ?::jsonb, ?::timestamptz, ?::timestamptz
         from jsonb_to_recordset(?::jsonb) as x(id uuid, program_id uuid, source text, external_id text, type text, occurred_at timestamptz, payload jsonb, payload_hash text)
       on conflict (source, external_id) do nothing returning *`,
      [by, now, now, JSON.stringify(items.map((i) => ({ id: uuidv7(), program_id: i.programId, source: i.event.source, external_id: i.event.externalId, type: i.event.type, occurred_at: i.event.occurredAt, payload: i.event, payload_hash: i.hash })))],
    );
    const key = (source: string, externalId: string) => `${source}\u0000${externalId}`;
    const found = new Map(inserted.map((r) => [key(r.source, r.external_id), { ...r, inserted: true }]));
    const missing = items.filter((i) => !found.has(key(i.event.source, i.event.externalId)));
    if (missing.length > 0) {
      const existing = await ctx.em.execute<EventRecord[]>(
        `select e.* from earning_event e join jsonb_to_recordset(?::jsonb) as x(source text, external_id text) on e.source = x.source and e.external_id = x.external_id`,
        [JSON.stringify(missing.map((i) => ({ source: i.event.source, external_id: i.event.externalId })))],
      );
      for (const r of existing) found.set(key(r.source, r.external_id), { ...r, inserted: false });
    }
    return items.map((i) => found.get(key(i.event.source, i.event.externalId))!);
  }

  /** A stored event met again under its key: the first answer (a replay), a conflict, or null — process it (again). */
  function admit(row: EventRecord, event: EarningEventInput, hash: string): EventOutcome | null {
    if (row.inserted) return null;
    if (row.payload_hash !== hash) throw new AppError('EARNING_EVENT_CONFLICT', 409, { params: { source: event.source, externalId: event.externalId, id: row.id } });
    if (row.status === 'processed' || row.status === 'unmatched' || row.status === 'review') return outcomeOf(row, true);
    if (row.status === 'rejected') throw new AppError('EARNING_EVENT_REJECTED', 409, { params: { id: row.id, reason: String((row as unknown as { resolution?: { reason?: string } }).resolution?.reason ?? '') } });
    return null; // received (interrupted) or refused: process again.
  }

  /** Store the event, or find the one stored under its key. */
  async function claim(ctx: RequestContext, event: EarningEventInput, programId: string | null, hash: string): Promise<EventRecord> {
    const now = new Date();
    const [inserted] = await ctx.em.execute<EventRecord[]>(
      `insert into earning_event (id, program_id, source, external_id, type, occurred_at, payload, payload_hash, status, received_by, received_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?::jsonb, ?, 'received', ?::jsonb, ?, ?)
       on conflict (source, external_id) do nothing returning *`,
      [uuidv7(), programId, event.source, event.externalId, event.type, new Date(event.occurredAt), JSON.stringify(event), hash, JSON.stringify(describeActor(ctx.actor)), now, now],
    );
    if (inserted) return { ...inserted, inserted: true };
    const [existing] = await ctx.em.execute<EventRecord[]>(`select * from earning_event where source = ? and external_id = ?`, [event.source, event.externalId]);
    return { ...existing!, inserted: false };
  }

  function checkIssued(event: EarningEventInput, prefix: string) {
    const currency = 'currency' in event ? event.currency : undefined;
    if (currency !== undefined && !isCurrency(currency)) throw invalid('EARNING_CURRENCY_UNKNOWN', `${prefix}/currency`, { currency });
  }

  async function loadRule(ctx: RequestContext, id: string): Promise<RuleRow> {
    const row = await ctx.em.findOne(EarningRule, { id });
    if (!row) throw new AppError('EARNING_RULE_NOT_FOUND', 404, { params: { id } });
    return row;
  }

  /**
   * An admin request under an optional idempotency key (per actor): the first answer is kept and a replay returns it;
   * the same key for another request is a 409 naming the field; a key still being answered is a 409 too.
   */
  async function once<T>(ctx: RequestContext, key: string | undefined, operation: string, request: unknown, run: () => Promise<T>): Promise<T> {
    if (!key) return run();
    const actor = JSON.stringify(describeActor(ctx.actor));
    const hash = createHash('sha256').update(canonical({ operation, request })).digest('hex');
    const field = '/body/idempotencyKey';
    for (let attempt = 0; ; attempt += 1) {
      const [claimed] = await ctx.em.execute<{ key: string }[]>(
        `insert into earning_request (actor, key, operation, request_hash, created_at) values (?, ?, ?, ?, now()) on conflict (actor, key) do nothing returning key`,
        [actor, key, operation, hash],
      );
      if (claimed) break;
      const [kept] = await ctx.em.execute<{ request_hash: string; response: { value: T } | null; stale: boolean }[]>(
        `select request_hash, response, created_at < now() - interval '1 minute' as stale from earning_request where actor = ? and key = ?`,
        [actor, key],
      );
      if (!kept) continue;
      if (kept.request_hash !== hash) throw invalid('EARNING_IDEMPOTENCY_CONFLICT', field, { key }, 409);
      if (kept.response) return kept.response.value;
      // Claimed by a request that did not finish (a crash): taken over after a minute.
      if (kept.stale && attempt < 2) {
        await ctx.em.execute(`delete from earning_request where actor = ? and key = ? and response is null`, [actor, key]);
        continue;
      }
      throw invalid('EARNING_IDEMPOTENCY_IN_PROGRESS', field, { key }, 409);
    }
    try {
      const value = await run();
      await ctx.em.execute(`update earning_request set response = ?::jsonb where actor = ? and key = ?`, [JSON.stringify({ value }), actor, key]);
      return value;
    } catch (error) {
      await ctx.em.execute(`delete from earning_request where actor = ? and key = ?`, [actor, key]);
      throw error;
    }
  }

  interface ReviewRow { id: string; program_id: string; event_id: string; partner_id: string; status: ReviewView['status']; reasons: ReviewReason[]; computation: { simulation: Record<string, unknown> & { points: number; pending: number; available: number }; earnings: (EarnInput & { target: 'pending' | 'available'; earnedAt: string })[]; grants: Grant[]; base: IssuedBase }; decision: Record<string, unknown> | null; result: Record<string, unknown> | null; created_at: Date; decided_at: Date | null }
  function reviewView(r: ReviewRow): ReviewView {
    const sim = r.computation.simulation;
    return {
      id: r.id, programId: r.program_id, eventId: r.event_id, partnerId: r.partner_id, status: r.status, reasons: r.reasons,
      points: sim.points, pending: sim.pending, available: sim.available, simulation: sim,
      decision: r.decision, result: r.result, createdAt: new Date(r.created_at).toISOString(), decidedAt: r.decided_at ? new Date(r.decided_at).toISOString() : null,
    };
  }
  async function lockReview(ctx: RequestContext, id: string): Promise<ReviewRow> {
    const [row] = await ctx.em.execute<ReviewRow[]>(`select * from earning_review where id = ? for update`, [id]);
    if (!row) throw new AppError('EARNING_REVIEW_NOT_FOUND', 404, { params: { id } });
    return row;
  }

  /**
   * Events taken together, each accepted or refused on its own with the answer it would get alone (see `ingestMany`).
   * `items[i].ctx` is the request an item came in (single events taken together): its partner is matched, its rules
   * evaluated and its problems answered there; `ctx` (the same actor) runs the set-based statements. `single`: the
   * earnings go through the ledger's group commit (shared with other requests), else one set-based `earnMany`.
   */
  async function ingestGroup(ctx: RequestContext, items: { event: EarningEventInput; prefix: string; ctx?: RequestContext }[], single: boolean): Promise<({ ok: true; outcome: EventOutcome } | { ok: false; error: unknown })[]> {
    const own = (i: number) => items[i]!.ctx ?? ctx;
    const answers: ({ ok: true; outcome: EventOutcome } | { ok: false; error: unknown } | undefined)[] = new Array(items.length);
    const fail = (i: number, error: unknown) => (answers[i] = { ok: false, error });
    const seen = new Set<string>();
    const later: number[] = [];
    const first: { i: number; event: EarningEventInput; programId: string | null; hash: string }[] = [];
    items.forEach(({ event, prefix }, i) => {
      try {
        if (event.type === 'invoice.issued' || isActivity(event)) checkIssued(event, prefix);
        const programId = programOf(own(i), event, prefix);
        const key = `${event.source}\u0000${event.externalId}`;
        if (seen.has(key)) return void later.push(i);
        seen.add(key);
        first.push({ i, event, programId, hash: hashOf(event) });
      } catch (error) {
        fail(i, error);
      }
    });
    // The partners named by identifiers are looked up while the events are being stored (one query per program).
    const early = new Map<number, { programId: string; partner: Promise<PartnerView | null> }>();
    {
      const lookups = new Map<string, { k: number; id: NonNullable<ReturnType<typeof identifierOf>> }[]>();
      for (const [k, { event, programId }] of first.entries()) {
        if ((event.type !== 'invoice.issued' && !isActivity(event)) || event.partner.partnerId || !programId) continue;
        const id = identifierOf(event.partner);
        if (!id) continue;
        let list = lookups.get(programId);
        if (!list) lookups.set(programId, (list = []));
        list.push({ k, id });
      }
      for (const [programId, list] of lookups) {
        const found = deps.partners().findByIdentifiers(ctx, programId, list.map(({ id }) => (id.kind === 'code' ? { partnerCode: id.value } : { [id.kind]: id.value })));
        found.catch(() => {}); // awaited below
        list.forEach(({ k }, j) => early.set(k, { programId, partner: found.then((all) => all[j] ?? null) }));
      }
    }
    const rows = first.length ? await claimMany(ctx, first) : [];
    const cache = freshCache();
    const issued: { i: number; row: EventRecord; plan: IssuedPlan | null }[] = [];
    const oneByOne: { i: number; row: EventRecord }[] = [];
    const done: { i: number; id: string; done: Done }[] = [];
    // Partners matched through the partners service, all at once (one query per program), as fresh as for one event.
    const matched = new Map<number, Promise<PartnerView | null>>();
    {
      const lookups = new Map<string, { k: number; id: NonNullable<ReturnType<typeof identifierOf>> }[]>();
      const keep = (k: number, promise: Promise<PartnerView | null>) => {
        promise.catch(() => {}); // awaited below, in item order
        matched.set(k, promise);
      };
      for (const [k, item] of first.entries()) {
        const row = rows[k]!;
        if (!row.inserted && (row.payload_hash !== item.hash || !['received', 'refused'].includes(row.status))) continue; // answered by admit
        const event = row.payload;
        if (event.type !== 'invoice.issued' && !isActivity(event)) continue;
        if (row.partner_id) keep(k, deps.partners().get(own(item.i), row.partner_id));
        else if (event.partner.partnerId || !row.program_id) keep(k, match(own(item.i), row.program_id, event.partner, items[item.i]!.prefix));
        else if (early.get(k)?.programId === row.program_id) keep(k, early.get(k)!.partner);
        else {
          const id = identifierOf(event.partner);
          if (!id) keep(k, Promise.resolve(null));
          else {
            let list = lookups.get(row.program_id);
            if (!list) lookups.set(row.program_id, (list = []));
            list.push({ k, id });
          }
        }
      }
      for (const [programId, list] of lookups) {
        const found = deps.partners().findByIdentifiers(ctx, programId, list.map(({ id }) => (id.kind === 'code' ? { partnerCode: id.value } : { [id.kind]: id.value })));
        list.forEach(({ k }, j) => keep(k, found.then((all) => all[j] ?? null)));
      }
    }
    // Tier multipliers asked for every partner at once (the hook may read the database), not one after another.
    const tiers = new Map<string, Promise<number>>();
    const tierIn = (c: RequestContext, partner: PartnerView) => {
      let tier = tiers.get(partner.id);
      if (!tier) {
        tiers.set(partner.id, (tier = tierOf(c, partner)));
        tier.catch(() => {});
      }
      return tier;
    };
    for (const [k, promise] of matched) {
      promise.then(
        (partner) => {
          if (partner?.status === 'active') void tierIn(own(first[k]!.i), partner);
        },
        () => {},
      );
    }
    const partners = await Promise.allSettled(matched.values());
    // The seller codes and GTINs of every invoice's lines, resolved in one query while the group goes on.
    skus.prepare(ctx, [...matched.keys()].flatMap((k, j) => { const s = partners[j]!; return s.status === 'fulfilled' && s.value ? [{ programId: s.value.programId, row: rows[k]! }] : []; }));
    // Document numbers already credited, asked for every invoice of an active partner while the rules are evaluated.
    const numbersIn = new Map<string, Set<string>>();
    [...matched.keys()].forEach((k, j) => {
      const event = rows[k]!.payload;
      const settled = partners[j]!;
      if (event.type !== 'invoice.issued' || settled.status !== 'fulfilled' || settled.value?.status !== 'active') return;
      let set = numbersIn.get(settled.value.programId);
      if (!set) numbersIn.set(settled.value.programId, (set = new Set()));
      set.add(event.number);
    });
    const takenIn = (programId: string, numbers: string[]) =>
      ctx.em.execute<{ number: string; partner_id: string }[]>(
        `select distinct payload->>'number' as number, partner_id from earning_event
          where program_id = ? and type = 'invoice.issued' and payload->>'number' = any(array(select jsonb_array_elements_text(?::jsonb))) and ${PROCESSED}`,
        [programId, JSON.stringify(numbers)],
      );
    const takenEarly = new Map<string, Promise<{ number: string; partner_id: string }[]>>();
    for (const [programId, set] of numbersIn) {
      const taken = takenIn(programId, [...set]);
      taken.catch(() => {}); // awaited below
      takenEarly.set(programId, taken);
    }
    for (const [k, item] of first.entries()) {
      const row = rows[k]!;
      try {
        const replay = admit(row, item.event, item.hash);
        if (replay) {
          answers[item.i] = { ok: true, outcome: replay };
          continue;
        }
      } catch (error) {
        fail(item.i, error);
        continue;
      }
      if (row.payload.type !== 'invoice.issued' && !isActivity(row.payload)) {
        oneByOne.push({ i: item.i, row });
        continue;
      }
      const prefix = items[item.i]!.prefix;
      try {
        const event = row.payload;
        const early = matched.get(k);
        const partner = early ? await early : row.partner_id ? await deps.partners().get(own(item.i), row.partner_id) : await match(own(item.i), row.program_id, event.partner, prefix);
        if (!partner) {
          done.push({ i: item.i, id: row.id, done: unmatched(row) });
          continue;
        }
        // Posted as planned here, or planned again one by one (capped, or a guardrail tripped): no need to say why rules did not apply.
        issued.push({ i: item.i, row, plan: await planIssued(own(item.i), row, event, partner, prefix, cache, undefined, false, tierIn(own(item.i), partner)) });
      } catch (error) {
        if (isAppError(error) && error.status < 500) done.push({ i: item.i, id: row.id, done: refusal(error) });
        fail(item.i, error);
      }
    }
    // Events that count against capped rules or trip a guardrail are posted one by one (counters locked, or held for
    // review); a document number credited to another partner is looked up for the whole batch in one query per program.
    const serial = new Set<number>();
    const numbers = new Map<string, { k: number; number: string; partnerId: string }[]>();
    for (const [k, item] of issued.entries()) {
      const plan = item.plan!;
      const event = item.row.payload;
      if (plan.computation.grants.length || capReasons(plan.computation).length) serial.add(k);
      else if (plan.computation.points > 0 && event.type === 'invoice.issued') {
        // A named buyer may be a related company (looked up one by one), as the volume check needs the history.
        if (event.buyer || (await settingsIn(ctx, cache, plan.base.programId)).volumeFactor !== null) serial.add(k);
        else {
          let list = numbers.get(plan.base.programId);
          if (!list) numbers.set(plan.base.programId, (list = []));
          list.push({ k, number: event.number, partnerId: plan.base.partnerId });
        }
      }
    }
    for (const [programId, list] of numbers) {
      const asked = numbersIn.get(programId);
      const taken = await (asked && list.every((l) => asked.has(l.number)) ? takenEarly.get(programId)! : takenIn(programId, [...new Set(list.map((l) => l.number))]));
      for (const l of list) if (taken.some((t) => t.number === l.number && t.partner_id !== l.partnerId)) serial.add(l.k);
    }
    if (serial.size) {
      for (const k of serial) oneByOne.push({ i: issued[k]!.i, row: issued[k]!.row });
      issued.splice(0, issued.length, ...issued.filter((_, k) => !serial.has(k)));
    }
    // Every earning of the batch, one earnMany per program; an item refused by the ledger refuses its event.
    const byProgram = new Map<string, { k: number; earning: IssuedPlan['earnings'][number] }[]>();
    issued.forEach((item, k) => {
      const programId = item.plan!.done([]).programId!;
      for (const earning of item.plan!.earnings) {
        let list = byProgram.get(programId);
        if (!list) byProgram.set(programId, (list = []));
        list.push({ k, earning });
      }
    });
    const posted = issued.map(() => ({ entries: [] as EventOutcome['entries'], error: null as unknown }));
    for (const list of byProgram.values()) {
      // Single events: each earning through the ledger's group commit (one round trip for all those arriving now,
      // however many requests they come from); a batch: one set-based earnMany.
      const results = single
        ? await Promise.all(
            list.map(({ k, earning: { target: _t, ...input } }) =>
              deps.ledger().earn(own(issued[k]!.i), input).then(
                (entry) => ({ ok: true as const, entry }),
                (error: unknown) => ({ ok: false as const, error }),
              ),
            ),
          )
        : await deps.ledger().earnMany(ctx, list.map(({ earning: { target: _t, ...input } }) => input));
      results.forEach((r, j) => {
        const { k, earning } = list[j]!;
        if (r.ok) posted[k]!.entries.push({ target: earning.target, entryId: r.entry.entryId, points: earning.points });
        else posted[k]!.error ??= r.error;
      });
    }
    issued.forEach((item, k) => {
      const { entries, error } = posted[k]!;
      if (error) {
        if (isAppError(error) && error.status < 500) done.push({ i: item.i, id: item.row.id, done: refusal(error) });
        fail(item.i, error);
      } else done.push({ i: item.i, id: item.row.id, done: item.plan!.done(entries.sort((a, b) => (a.target === b.target ? 0 : a.target === 'pending' ? -1 : 1))) });
    });
    const updated = await settle(
      ctx,
      () => updateMany(ctx, done.map(({ id, done: d }) => ({ id, done: d })), new Map(rows.map((r) => [r.id, r]))),
      (written) => done.filter((d) => !answers[d.i]).map((d) => ({ row: written.get(d.id), done: d.done })),
    );
    for (const d of done) {
      if (answers[d.i]) continue; // refused: the problem is the answer
      const row = updated.get(d.id);
      if (row) answers[d.i] = { ok: true, outcome: outcomeOf(row, false) };
      else fail(d.i, new AppError('EARNING_EVENT_REJECTED', 409, { params: { id: d.id, reason: '' } }));
    }
    for (const { i, row } of oneByOne) {
      try {
        answers[i] = { ok: true, outcome: await process(own(i), row, items[i]!.prefix) };
      } catch (error) {
        fail(i, error);
      }
    }
    for (const i of later) {
      try {
        // Alone, after the first under its key (not waiting for a group: this one may be holding a place).
        answers[i] = { ok: true, outcome: await ingestAlone(own(i), items[i]!.event, items[i]!.prefix) };
      } catch (error) {
        fail(i, error);
      }
    }
    return answers.map((a) => a!);
  }

  /** One event on its own: stored (or found under its key) and processed. */
  async function ingestAlone(ctx: RequestContext, event: EarningEventInput, prefix: string): Promise<EventOutcome> {
    if (event.type === 'invoice.issued' || isActivity(event)) checkIssued(event, prefix);
    const programId = programOf(ctx, event, prefix);
    const hash = hashOf(event);
    const row = await claim(ctx, event, programId, hash);
    return admit(row, event, hash) ?? process(ctx, row, prefix);
  }

  /*
   * Single events taken together: those that arrive in the same turn of the event loop (from requests of the same
   * actor) are stored, matched, posted and answered through the set-based path of a batch — one statement per step
   * for all of them instead of a handful for each — and each request still gets the answer it would get alone.
   * Their `earning.event.processed` outbox events are written together, under the first request's id.
   */
  interface Waiting { ctx: RequestContext; event: EarningEventInput; prefix: string; resolve: (o: EventOutcome) => void; reject: (e: unknown) => void }
  let waiting: Map<string, Waiting[]> | null = null;
  let scheduled = false;
  let running = 0;
  const TOGETHER_MAX = 200;
  /*
   * At most this many groups are on their way at once: while they are, new events wait and go together in the next
   * group (under load the groups grow, and so does what one statement does; alone an event goes at once).
   */
  const TOGETHER_RUNNING = 2;
  function together(ctx: RequestContext, event: EarningEventInput, prefix: string): Promise<EventOutcome> {
    return new Promise((resolve, reject) => {
      waiting ??= new Map();
      const actor = JSON.stringify(describeActor(ctx.actor));
      let list = waiting.get(actor);
      if (!list) waiting.set(actor, (list = []));
      list.push({ ctx, event, prefix, resolve, reject });
      schedule();
    });
  }
  function schedule() {
    if (scheduled || !waiting || running >= TOGETHER_RUNNING) return;
    scheduled = true;
    setImmediate(flushTogether);
  }
  function flushTogether() {
    scheduled = false;
    if (!waiting) return;
    // One group: the first actor's events, up to TOGETHER_MAX; the rest wait for the next turn.
    const [actor, list] = waiting.entries().next().value!;
    const part = list.splice(0, TOGETHER_MAX);
    if (list.length === 0) waiting.delete(actor);
    if (waiting.size === 0) waiting = null;
    running += 1;
    ingestGroup(part[0]!.ctx, part, true)
      .then(
        (answers) => answers.forEach((a, k) => (a.ok ? part[k]!.resolve(a.outcome) : part[k]!.reject(a.error))),
        (error: unknown) => part.forEach((w) => w.reject(error)),
      )
      .finally(() => {
        running -= 1;
        schedule();
      });
    schedule();
  }

  const service = {
    /**
     * The tier multiplier hook, for a tiers plugin: `fn` gives a partner's multiplier (1 when none). Registering again
     * replaces it; null removes it.
     */
    setTierMultiplier(fn: TierMultiplier | null) {
      tierHook = fn;
    },

    /** An admin request under an optional idempotency key (see `once`). */
    once,

    /** A partner's tier multiplier as postings apply it (1 without a tiers plugin); a backtest reads it too. */
    tierMultiplier: tierOf,

    /** The review queue: events held back by a guardrail, newest first. */
    async listReviews(ctx: RequestContext, query: { programId?: string; status?: ReviewView['status']; limit: number; before?: string }) {
      const filters: [string, unknown][] = [['program_id = ?', query.programId], ['status = ?', query.status], ['id < ?', query.before]];
      const given = filters.filter(([, v]) => v !== undefined);
      const rows = await ctx.em.execute<ReviewRow[]>(
        `select * from earning_review ${given.length ? `where ${given.map(([sql]) => sql).join(' and ')}` : ''} order by id desc limit ?`,
        [...given.map(([, v]) => v), query.limit + 1],
      );
      const page = rows.slice(0, query.limit);
      return { items: page.map(reviewView), nextBefore: rows.length > query.limit ? page[page.length - 1]!.id : null };
    },

    async getReview(ctx: RequestContext, id: string): Promise<ReviewView> {
      const [row] = await ctx.em.execute<ReviewRow[]>(`select * from earning_review where id = ?`, [id]);
      if (!row) throw new AppError('EARNING_REVIEW_NOT_FOUND', 404, { params: { id } });
      return reviewView(row);
    },

    /**
     * Approve a held event: posts exactly what its simulation showed when it was held (the same ledger keys, so at most
     * once), adds it to the capped rules' counters, and the event is processed. Approving again answers the same.
     */
    async approveReview(ctx: RequestContext, id: string): Promise<ReviewView> {
      const approved: { row: EventRecord | undefined; done: Done }[] = [];
      const view = await ctx.em.transactional(async (em) => {
        const tx = { ...ctx, em };
        const row = await lockReview(tx, id);
        if (row.status === 'approved') return reviewView(row);
        if (row.status !== 'open') throw new AppError('EARNING_REVIEW_DECIDED', 409, { params: { id, status: row.status } });
        const entries: EventOutcome['entries'] = [];
        for (const { target, earnedAt, ...input } of row.computation.earnings) {
          const entry = await deps.ledger().earn(tx, { ...input, earnedAt: new Date(earnedAt) });
          entries.push({ target, entryId: entry.entryId, points: input.points });
        }
        await addGrants(tx, row.program_id, row.computation.grants);
        const done = issuedDone(row.computation.base, entries);
        const result = { ...done.result, review: { id, reasons: row.reasons } };
        approved.push({ row: await update(tx, row.event_id, 'processed', { ...done, result }), done: { ...done, result } });
        const decision = { action: 'approve', by: describeActor(ctx.actor), at: new Date().toISOString() };
        const [updated] = await em.execute<ReviewRow[]>(`update earning_review set status = 'approved', decision = ?::jsonb, result = ?::jsonb, decided_at = now() where id = ? returning *`, [JSON.stringify(decision), JSON.stringify({ points: done.result.points, entries }), id]);
        deps.audit().record(tx, { action: 'earning.review.approved', subjectType: 'earning-review', subjectId: id, data: { eventId: row.event_id, partnerId: row.partner_id, points: done.result.points, entries, reasons: row.reasons } });
        return reviewView(updated!);
      });
      await announce(ctx, approved);
      return view;
    },

    /** Reject a held event with a reason: nothing is posted, the event is rejected for good. Audited. */
    async rejectReview(ctx: RequestContext, id: string, reason: string): Promise<ReviewView> {
      return ctx.em.transactional(async (em) => {
        const tx = { ...ctx, em };
        const row = await lockReview(tx, id);
        if (row.status === 'rejected' && row.decision?.reason === reason) return reviewView(row);
        if (row.status !== 'open') throw new AppError('EARNING_REVIEW_DECIDED', 409, { params: { id, status: row.status } });
        const decision = { action: 'reject', reason, by: describeActor(ctx.actor), at: new Date().toISOString() };
        await em.execute(`update earning_event set status = 'rejected', resolution = ?::jsonb, updated_at = now() where id = ?`, [JSON.stringify({ ...decision, reviewId: id }), row.event_id]);
        const [updated] = await em.execute<ReviewRow[]>(`update earning_review set status = 'rejected', decision = ?::jsonb, decided_at = now() where id = ? returning *`, [JSON.stringify(decision), id]);
        deps.audit().record(tx, { action: 'earning.review.rejected', subjectType: 'earning-review', subjectId: id, data: { eventId: row.event_id, partnerId: row.partner_id, reason, reasons: row.reasons } });
        return reviewView(updated!);
      });
    },

    /** A program's guardrail settings. */
    async getSettings(ctx: RequestContext, programId: string) {
      await deps.programs().get(ctx, programId);
      const s = await readSettings(ctx, programId);
      return { programId, ...s };
    },

    /** Set a program's guardrail settings (volumeFactor null turns the volume guardrail off). Audited. */
    async putSettings(ctx: RequestContext, programId: string, input: { volumeFactor: number | null; volumeMinInvoices?: number }) {
      await deps.programs().get(ctx, programId);
      const settings = { volumeFactor: input.volumeFactor, volumeMinInvoices: input.volumeMinInvoices ?? 5 };
      await ctx.em.transactional(async (em) => {
        await em.execute(
          `insert into earning_settings (program_id, volume_factor, volume_min_invoices, updated_by, updated_at) values (?, ?, ?, ?::jsonb, now())
           on conflict (program_id) do update set volume_factor = excluded.volume_factor, volume_min_invoices = excluded.volume_min_invoices, updated_by = excluded.updated_by, updated_at = now()`,
          [programId, settings.volumeFactor, settings.volumeMinInvoices, JSON.stringify(describeActor(ctx.actor))],
        );
        deps.audit().record({ ...ctx, em }, { action: 'earning.settings.updated', subjectType: 'earning-settings', subjectId: programId, data: settings });
      });
      invalidate();
      return { programId, ...settings };
    },

    /**
     * Take one event: store it under (source, externalId) and process it. A replay returns the first result; the
     * same key with a different body is a 409. `prefix` is the JSON path of the event in the request (for errors).
     */
    async ingest(ctx: RequestContext, event: EarningEventInput, prefix = '/body'): Promise<EventOutcome> {
      if (event.type === 'invoice.issued' || isActivity(event)) {
        checkIssued(event, prefix);
        // Outside a caller's transaction, events that earn go through the set-based path with those sent at the same moment.
        if (!ctx.em.isInTransaction()) return together(ctx, event, prefix);
      }
      return ingestAlone(ctx, event, prefix);
    },

    /**
     * Take many events (a batch), each accepted or refused on its own with the answer it would get alone. Stored in
     * one statement, their partners matched with one query per program, rules and programs read once, and the
     * earnings of every issued invoice posted with one `earnMany` per program (one round trip); statuses written in
     * one statement. Other event types, and a key repeated within the batch, go one by one after the rest.
     */
    async ingestMany(ctx: RequestContext, items: { event: EarningEventInput; prefix: string }[]): Promise<({ ok: true; outcome: EventOutcome } | { ok: false; error: unknown })[]> {
      return ingestGroup(ctx, items, false);
    },

    /**
     * What an invoice would earn, line by line, with the rules that fired and why the others did not; posts nothing.
     * `rulesFor`: the rule set to run instead of the program's active rules (a draft's simulation, earning.backtest.ts).
     */
    async simulate(ctx: RequestContext, event: EarningEventInput, prefix = '/body', rulesFor?: (programId: string) => Promise<RuleForEvaluation[]>) {
      const cacheFor = (programId: string): Cache => (rulesFor ? { programs: new Map(), settings: new Map(), rules: new Map([[programId, rulesFor(programId)]]) } : freshCache());
      if (event.type !== 'invoice.issued' && !isActivity(event)) throw invalid('EARNING_SIMULATE_TYPE', `${prefix}/type`, { types: 'invoice.issued, deal.won, lead.*, training.completed, certification.earned, custom.*' });
      checkIssued(event, prefix);
      const programId = programOf(ctx, event, prefix);
      const partner = await match(ctx, programId, event.partner, prefix);
      if (partner || programId) event = await skus.apply(ctx, partner?.programId ?? programId!, null, event); // mapped as posting maps it, nothing recorded
      if (!partner) {
        if (!programId) throw invalid('EARNING_PROGRAM_REQUIRED', `${prefix}/programId`);
        const cache = cacheFor(programId);
        const program = await programIn(ctx, cache, programId);
        const computation = await computeIn(ctx, cache, program, linesOf(event, program.currency), null, prefix);
        return { partner: null, programId, ...computation, explanation: { pending: explanationLines(computation, 'pending'), available: explanationLines(computation, 'available') } };
      }
      // As the posting computes it: with what the capped rules have granted so far, and the guardrails it would trip.
      const cache = cacheFor(partner.programId);
      const first = await evaluate(ctx, event, partner, prefix, cache);
      const granted = await grantsOf(ctx, partner.programId, first.grants, false);
      const computation = granted.size ? await evaluate(ctx, event, partner, prefix, cache, granted) : first;
      const guardrails = [...(await guardrailsOf(ctx, cache, partner, NO_EVENT, event, computation)), ...capReasons(computation)];
      return {
        partner: { id: partner.id, partnerCode: partner.partnerCode, legalName: partner.legalName },
        programId: partner.programId,
        ...computation,
        explanation: { pending: explanationLines(computation, 'pending'), available: explanationLines(computation, 'available') },
        guardrails,
      };
    },

    async getEvent(ctx: RequestContext, id: string): Promise<EventView> {
      const row = await ctx.em.findOne(EarningEvent, { id });
      if (!row) throw new AppError('EARNING_EVENT_NOT_FOUND', 404, { params: { id } });
      return eventView(row);
    },

    /** Events, newest first (keyset by id): by status (the unmatched queue), program, source. */
    async listEvents(ctx: RequestContext, query: { status?: EventStatus; programId?: string; source?: string; limit: number; before?: string }) {
      const where: Record<string, unknown> = {};
      if (query.status) where.status = query.status;
      if (query.programId) where.programId = query.programId;
      if (query.source) where.source = query.source;
      if (query.before) where.id = { $lt: query.before };
      const rows = await ctx.em.find(EarningEvent, where, { orderBy: { id: 'desc' }, limit: query.limit + 1 });
      const page = rows.slice(0, query.limit);
      return { items: page.map(eventView), nextBefore: rows.length > query.limit ? page[page.length - 1]!.id : null };
    },

    /** An admin maps an unmatched event to a partner (then it is processed) or rejects it with a reason; audited. */
    async resolve(ctx: RequestContext, id: string, input: ResolveInput): Promise<EventOutcome> {
      const at = new Date();
      const resolved = await ctx.em.transactional(async (em) => {
        const tx = { ...ctx, em };
        const row = await em.findOne(EarningEvent, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
        if (!row) throw new AppError('EARNING_EVENT_NOT_FOUND', 404, { params: { id } });
        if (row.status !== 'unmatched') throw new AppError('EARNING_EVENT_NOT_UNMATCHED', 409, { params: { id, status: row.status } });
        const by = describeActor(ctx.actor);
        if (input.action === 'reject') {
          row.status = 'rejected';
          row.resolution = { action: 'reject', reason: input.reason, by, at: at.toISOString() };
          row.updatedAt = at;
          deps.audit().record(tx, { action: 'earning.event.rejected', subjectType: 'earning-event', subjectId: id, data: { source: row.source, externalId: row.externalId, reason: input.reason } });
          return row;
        }
        const partner = await deps.partners().get(tx, input.partnerId).catch((error: unknown) => {
          if (isAppError(error) && error.status === 404) throw invalid('EARNING_PARTNER_UNKNOWN', '/body/partnerId', { partnerId: input.partnerId });
          throw error;
        });
        if (row.programId && row.programId !== partner.programId) throw invalid('EARNING_PARTNER_OTHER_PROGRAM', '/body/partnerId', { partnerId: input.partnerId });
        row.status = 'received';
        row.partnerId = partner.id;
        row.programId = partner.programId;
        row.resolution = { action: 'map', partnerId: partner.id, by, at: at.toISOString() };
        row.updatedAt = at;
        deps.audit().record(tx, { action: 'earning.event.mapped', subjectType: 'earning-event', subjectId: id, data: { source: row.source, externalId: row.externalId, partnerId: partner.id, identifiers: (row.payload as { partner?: unknown }).partner ?? null } });
        return row;
      });
      const record: EventRecord = {
        id: resolved.id,
        program_id: resolved.programId ?? null,
        source: resolved.source,
        external_id: resolved.externalId,
        type: resolved.type,
        payload: resolved.payload as unknown as EarningEventInput,
        payload_hash: resolved.payloadHash,
        status: resolved.status,
        partner_id: resolved.partnerId ?? null,
        result: resolved.result ?? null,
      };
      if (input.action === 'reject') return outcomeOf(record, false);
      return process(ctx, record, '/event');
    },

    /**
     * Import exchange rates from an NBP table A (JSON or XML) or the ECB daily XML; for ECB, against `quote` (the
     * program currency). A rate already stored for the same currency, quote and day is replaced. Audited.
     */
    async importRates(ctx: RequestContext, input: { format: FxFormat; content: string; quote?: string }) {
      const quote = input.format === 'ecb-xml' ? (input.quote ?? 'EUR') : 'PLN';
      if (input.quote && input.quote !== quote) throw invalid('EARNING_FX_QUOTE', '/body/quote', { quote: input.quote, expected: quote });
      if (!isCurrency(quote)) throw invalid('EARNING_CURRENCY_UNKNOWN', '/body/quote', { currency: quote });
      let rates;
      try {
        rates = parseRates(input.format, input.content, quote);
      } catch (error) {
        if (error instanceof FxParseError) throw invalid('EARNING_FX_FILE', '/body/content', { format: input.format, detail: error.detail });
        throw error;
      }
      const unknown = rates.find((r) => !isCurrency(r.currency));
      if (unknown) throw invalid('EARNING_FX_FILE', '/body/content', { format: input.format, detail: `${unknown.currency} is not an ISO 4217 currency` });
      const by = JSON.stringify(describeActor(ctx.actor));
      const dates = [...new Set(rates.map((r) => r.date))].sort();
      await ctx.em.transactional(async (em) => {
        await em.execute(
          `insert into earning_fx_rate (currency, quote, rate_date, numerator, denominator, source, imported_by, imported_at)
           select x.currency, x.quote, x.rate_date, x.numerator::numeric, x.denominator::numeric, x.source, ?::jsonb, now()
             from jsonb_to_recordset(?::jsonb) as x(currency text, quote text, rate_date date, numerator text, denominator text, source text)
           on conflict (currency, quote, rate_date) do update set numerator = excluded.numerator, denominator = excluded.denominator, source = excluded.source,
             imported_by = excluded.imported_by, imported_at = excluded.imported_at`,
          [by, JSON.stringify(rates.map((r) => ({ currency: r.currency, quote: r.quote, rate_date: r.date, numerator: String(r.numerator), denominator: String(r.denominator), source: r.source })))],
        );
        deps.audit().record({ ...ctx, em }, { action: 'earning.fx-rates.imported', subjectType: 'earning-fx-rates', subjectId: `${quote}:${dates[0]}`, data: { format: input.format, quote, dates, count: rates.length } });
      });
      return { imported: rates.length, quote, dates, source: rates[0]?.source ?? null };
    },

    /** Stored rates, newest day first, by currency, quote and period. */
    async listRates(ctx: RequestContext, query: { currency?: string; quote?: string; from?: string; to?: string; limit: number }) {
      const filters: [string, string | undefined][] = [['currency = ?', query.currency], ['quote = ?', query.quote], ['rate_date >= ?::date', query.from], ['rate_date <= ?::date', query.to]];
      const given = filters.filter(([, v]) => v !== undefined);
      const where = given.map(([sql]) => sql);
      const params: unknown[] = given.map(([, v]) => v);
      const rows = await ctx.em.execute<{ currency: string; quote: string; rate_date: string; numerator: string; denominator: string; source: string; imported_at: Date }[]>(
        `select currency, quote, to_char(rate_date, 'YYYY-MM-DD') as rate_date, numerator::text, denominator::text, source, imported_at from earning_fx_rate
          ${where.length ? `where ${where.join(' and ')}` : ''} order by rate_date desc, quote, currency limit ?`,
        [...params, query.limit],
      );
      return {
        items: rows.map((r) => ({
          currency: r.currency,
          quote: r.quote,
          date: r.rate_date,
          rate: rateText({ numerator: BigInt(r.numerator), denominator: BigInt(r.denominator) }),
          numerator: r.numerator,
          denominator: r.denominator,
          source: r.source,
          importedAt: new Date(r.imported_at).toISOString(),
        })),
      };
    },

    async createRule(ctx: RequestContext, input: RuleInput): Promise<RuleView> {
      await deps.programs().get(ctx, input.programId);
      const size = JSON.stringify(input.condition ?? null).length;
      if (size > CONDITION_LIMIT) throw invalid('EARNING_CONDITION_TOO_LARGE', '/body/condition', { limit: CONDITION_LIMIT });
      const operator = unknownOperatorOf(input.condition);
      if (operator) throw invalid('EARNING_CONDITION_OPERATOR', '/body/condition', { operator });
      checkRuleExtensions(input, '/body');
      const validFrom = new Date(input.validFrom);
      const validTo = input.validTo ? new Date(input.validTo) : null;
      if (validTo && validTo <= validFrom) throw invalid('EARNING_RULE_PERIOD', '/body/validTo', { validFrom: input.validFrom, validTo: input.validTo });
      for (let attempt = 0; ; attempt += 1) {
        const [last] = await ctx.em.execute<{ v: number | null }[]>(`select max(version) as v from earning_rule where program_id = ? and code = ?`, [input.programId, input.code]);
        const row = ctx.em.create(EarningRule, {
          id: uuidv7(),
          programId: input.programId,
          code: input.code,
          version: Number(last?.v ?? 0) + 1,
          name: input.name,
          status: 'draft',
          validFrom,
          validTo,
          priority: input.priority ?? 0,
          eventTypes: [...new Set(input.eventTypes)],
          condition: input.condition,
          effect: input.effect as unknown as Record<string, unknown>,
          stacking: (input.stacking ?? { mode: 'additive' }) as unknown as Record<string, unknown>,
          caps: (input.caps ?? null) as unknown as Record<string, unknown> | null,
          createdBy: describeActor(ctx.actor),
          createdAt: new Date(),
          activatedAt: null,
        });
        ctx.em.persist(row);
        deps.audit().record(ctx, { action: 'earning.rule.created', subjectType: 'earning-rule', subjectId: row.id, data: { after: ruleView(row) } });
        try {
          await ctx.em.flush();
          return ruleView(row);
        } catch (error) {
          ctx.em.clear();
          if (error instanceof UniqueConstraintViolationException && attempt < 3) continue; // two new versions at once
          throw error;
        }
      }
    },

    async listRules(ctx: RequestContext, query: { programId?: string; status?: RuleStatus; code?: string }): Promise<RuleView[]> {
      const where: Record<string, unknown> = {};
      if (query.programId) where.programId = query.programId;
      if (query.status) where.status = query.status;
      if (query.code) where.code = query.code;
      return (await ctx.em.find(EarningRule, where, { orderBy: { code: 'asc', version: 'desc' }, limit: 1000 })).map(ruleView);
    },

    async getRule(ctx: RequestContext, id: string): Promise<RuleView> {
      return ruleView(await loadRule(ctx, id));
    },

    /** A draft goes live; refused while another active version of the same code covers an overlapping period. */
    async activateRule(ctx: RequestContext, id: string): Promise<RuleView> {
      // Events read the active rules from a shared cache: drop it once the change is committed.
      try {
        return await ctx.em.transactional(async (em) => {
        const row = await em.findOne(EarningRule, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
        if (!row) throw new AppError('EARNING_RULE_NOT_FOUND', 404, { params: { id } });
        if (row.status !== 'draft') throw new AppError('EARNING_RULE_NOT_DRAFT', 409, { params: { code: row.code, version: row.version, status: row.status } });
        const others = await em.find(EarningRule, { programId: row.programId, code: row.code, status: 'active', id: { $ne: row.id } });
        const overlap = others.find((o) => (o.validTo === null || o.validTo === undefined || o.validTo > row.validFrom) && (row.validTo === null || row.validTo === undefined || row.validTo > o.validFrom));
        if (overlap) throw new AppError('EARNING_RULE_OVERLAP', 409, { params: { code: row.code, other: overlap.version } });
        row.status = 'active';
        row.activatedAt = new Date();
        deps.audit().record({ ...ctx, em }, { action: 'earning.rule.activated', subjectType: 'earning-rule', subjectId: row.id, data: { code: row.code, version: row.version } });
        return ruleView(row);
      });
      } finally {
        invalidate();
      }
    },

    /** An active rule stops applying to any event (also to events dated in its period that arrive later). */
    async retireRule(ctx: RequestContext, id: string): Promise<RuleView> {
      // Events read the active rules from a shared cache: drop it once the change is committed.
      try {
        return await ctx.em.transactional(async (em) => {
        const row = await em.findOne(EarningRule, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
        if (!row) throw new AppError('EARNING_RULE_NOT_FOUND', 404, { params: { id } });
        if (row.status !== 'active') throw new AppError('EARNING_RULE_NOT_ACTIVE', 409, { params: { code: row.code, version: row.version, status: row.status } });
        row.status = 'retired';
        deps.audit().record({ ...ctx, em }, { action: 'earning.rule.retired', subjectType: 'earning-rule', subjectId: row.id, data: { code: row.code, version: row.version } });
        return ruleView(row);
      });
      } finally {
        invalidate();
      }
    },
  };
  return service;
}

export type EarningService = ReturnType<typeof createEarningService>;
export const earningServiceRef = createServiceRef<EarningService>('earning.service');
