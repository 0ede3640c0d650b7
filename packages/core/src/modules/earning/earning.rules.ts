import jsonLogic from 'json-logic-js';
import type { InvoiceIssuedEvent } from './earning.schemas.ts';
import { applyOperator, pluginEffect, pluginOperator } from './earning.extensions.ts';

/*
 * Rule evaluation: pure, no I/O. The same function computes what an event earns when it is processed and when it is
 * simulated, so the explanation stored with a ledger entry is exactly what the simulation shows.
 */

export type Rounding = 'floor' | 'half-even';
export type Target = 'pending' | 'available';

/**
 * Multipliers of an effect: the highest of the strategic items a line matches (by SKU or category), and the
 * partner's tier multiplier (from the hook a tiers plugin registers; 1 without one) unless `tier` is false. Each has at
 * most 4 decimal places; the points are rounded once, after every multiplier.
 */
export interface Multipliers {
  strategic?: { skus?: string[]; categories?: string[]; multiplier: number }[];
  tier?: boolean;
}
interface EffectCommon {
  target: Target;
  /** How the exact product is rounded to whole points; `floor` when left out. */
  rounding?: Rounding;
  multipliers?: Multipliers;
}
/** Points per whole currency unit of a line's net value. */
export interface PerAmountEffect extends EffectCommon {
  type: 'per-amount';
  /** Points per whole currency unit of net value (up to 4 decimal places). */
  pointsPerUnit: number;
}
/** Points per unit of a line's quantity. */
export interface PerQuantityEffect extends EffectCommon {
  type: 'per-quantity';
  pointsPerUnit: number;
}
/** Points per whole currency unit of a line's margin (no margin, or a negative one, earns nothing). */
export interface PerMarginEffect extends EffectCommon {
  type: 'per-margin';
  pointsPerUnit: number;
}
/** A fixed number of points: once per event (per matching line of an invoice). */
export interface FixedEffect extends EffectCommon {
  type: 'fixed';
  points: number;
}
export type BuiltinEffect = PerAmountEffect | PerQuantityEffect | PerMarginEffect | FixedEffect;
/**
 * An effect type a plugin registered (earningRuleExtensionsRef): `type` is its id (`<plugin id>.<name>`), `params`
 * what its schema takes. Its function gives the points of a line and the explanation; caps and stacking apply as to
 * any rule, multipliers and rounding are the effect's own business.
 */
export interface PluginEffect {
  type: `${string}.${string}`;
  params?: Record<string, unknown>;
  target: Target;
}
export type RuleEffect = BuiltinEffect | PluginEffect;
export const isPluginEffect = (effect: RuleEffect): effect is PluginEffect => effect.type.includes('.');

/** How a rule stacks with the others on a line: added, or the best of its group only. */
export type Stacking = { mode: 'additive' } | { mode: 'best-of'; group: string };
export type CapPeriod = 'month' | 'quarter' | 'year';
/**
 * Limits of a rule: per event (across its lines), per partner per calendar period (in the program's time zone, counted
 * from what the rule already granted that partner), and a budget across all partners. `onCap`: `post` the capped part
 * (the default) or send the event to `review`.
 */
export interface RuleCaps {
  perEvent?: number;
  perPartner?: { period: CapPeriod; points: number };
  budget?: number;
  onCap?: 'post' | 'review';
}

export interface RuleForEvaluation {
  id: string;
  code: string;
  version: number;
  priority: number;
  validFrom: Date;
  validTo: Date | null;
  eventTypes: string[];
  condition: unknown;
  effect: RuleEffect;
  stacking?: Stacking;
  caps?: RuleCaps | null;
}

/** What a condition may read of the partner. */
export interface PartnerFacts {
  id: string;
  partnerCode: string;
  type: string;
  country: string;
  region: string | null;
  salesChannel: string | null;
  segments: string[];
}

/** Why a rule gave fewer points than its effect computed: the cap that bound, its limit and what was granted. */
export interface CapNote {
  kind: 'event' | 'period' | 'budget';
  limit: number;
  /** The calendar period of a per-partner cap (`2025-07`, `2025-Q3`, `2025`). */
  period?: string;
  /** What the rule had already granted (the partner in the period, or everyone for a budget) before this event. */
  alreadyGranted: number;
  /** What the effect computed for the line before the cap. */
  uncapped: number;
}

export interface FiredRule {
  ruleId: string;
  code: string;
  version: number;
  target: 'pending' | 'available';
  /** A plugin effect type's id, when the rule's effect is one. */
  effect?: string;
  /** per-amount, per-quantity, per-margin: points per unit. */
  pointsPerUnit?: number;
  /** fixed: the points the rule gives. */
  fixed?: number;
  /** The multipliers applied, when any is not 1: the strategic item's and the tier's. */
  multipliers?: { strategic?: number; tier?: number };
  points: number;
  /** The arithmetic, as a person checks it: `floor(1234.56 PLN × 1.5) = 1851`. */
  computation: string;
  /** Present when a cap took points off this line. */
  capped?: CapNote;
}

export type SkipReason = 'event-type' | 'not-yet-valid' | 'no-longer-valid' | 'condition' | 'condition-error' | 'effect-error' | 'best-of';
export interface SkippedRule {
  ruleId: string;
  code: string;
  version: number;
  reason: SkipReason;
  detail?: string;
  /** best-of: the group, the points the rule would have given, and the rule that won with its points. */
  group?: string;
  points?: number;
  lostTo?: { code: string; version: number; points: number };
}

export interface LineResult {
  line: number;
  sku: string;
  quantity: number;
  netAmount: number;
  category: string | null;
  /** The line as invoiced, when it was converted to the program currency. */
  original?: { currency: string; netAmount: number };
  points: number;
  fired: FiredRule[];
  skipped: SkippedRule[];
}

/** A cap that bound on this event, per rule: kind, limit, what was granted before and what is granted now. */
export interface CapSummary {
  ruleId: string;
  code: string;
  version: number;
  target: Target;
  kind: CapNote['kind'];
  limit: number;
  period?: string;
  alreadyGranted: number;
  grantedNow: number;
  uncapped: number;
  onCap: 'post' | 'review';
}

/** How an invoice in another currency was converted: each line at one rate, in minor units, half to even. */
export interface Conversion {
  from: string;
  to: string;
  /** 1 `from` = rate `to`: the decimal when it terminates, else "numerator/denominator". */
  rate: string;
  numerator: string;
  denominator: string;
  rateDate: string;
  source: string;
  rounding: 'half-even';
}

export interface Computation {
  currency: string;
  conversion?: Conversion;
  lines: LineResult[];
  points: number;
  pending: number;
  available: number;
  /** The caps that bound (absent when none did). */
  caps?: CapSummary[];
  /** What this event adds to each capped rule's counters (per-partner period, budget): kept with the posting. */
  grants: Grant[];
}

/** Points a rule grants against one of its counters: `partner:<id>:<period>` or `budget`. */
export interface Grant {
  code: string;
  scope: string;
  points: number;
}

/** What the capped rules have granted so far, and the calendar periods of the event (program time zone). */
export interface CapState {
  partnerId: string | null;
  periods: Record<CapPeriod, string>;
  /** Keyed by `grantKey(code, scope)`. */
  granted: Map<string, number>;
}
export const grantKey = (code: string, scope: string) => `${code}\u0000${scope}`;

/** The counters a rule's caps keep for an event (none for a per-event cap). */
export function capScopes(caps: RuleCaps | null | undefined, state: Pick<CapState, 'partnerId' | 'periods'>): { period?: string; budget?: string } {
  const scopes: { period?: string; budget?: string } = {};
  if (caps?.perPartner && state.partnerId) scopes.period = `partner:${state.partnerId}:${state.periods[caps.perPartner.period]}`;
  if (caps?.budget !== undefined) scopes.budget = 'budget';
  return scopes;
}

/** The calendar month, quarter and year of a day (YYYY-MM-DD). */
export function periodsOf(day: string): Record<CapPeriod, string> {
  const [y, m] = day.split('-');
  return { month: `${y}-${m}`, quarter: `${y}-Q${Math.floor((Number(m) - 1) / 3) + 1}`, year: y! };
}

const PPU_SCALE = 10_000n;

/** Decimal places of a currency's minor units (2 for PLN and EUR, 0 for JPY). */
const scales = new Map<string, number>();
export function currencyScale(currency: string): number {
  let scale = scales.get(currency);
  if (scale === undefined) {
    scale = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    scales.set(currency, scale);
  }
  return scale;
}

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
export function isCurrency(code: string): boolean {
  return CURRENCIES.has(code);
}

function decimal(minor: number, scale: number): string {
  if (scale === 0) return String(minor);
  const s = String(minor).padStart(scale + 1, '0');
  return `${s.slice(0, -scale)}.${s.slice(-scale)}`;
}

/** floor(netAmount / 10^scale × pointsPerUnit), exactly (BigInt; pointsPerUnit has at most 4 decimal places). */
export function perAmountPoints(netAmount: number, scale: number, pointsPerUnit: number): number {
  const ppu = BigInt(Math.round(pointsPerUnit * Number(PPU_SCALE)));
  return Number((BigInt(netAmount) * ppu) / (10n ** BigInt(scale) * PPU_SCALE));
}

// Operators json-logic-js knows, found by asking it (a plugin's add_operation is seen too).
const knownOps = new Map<string, boolean>();
function isKnownOperator(op: string): boolean {
  if (pluginOperator(op)) return true;
  let known = knownOps.get(op);
  if (known === undefined) {
    try {
      jsonLogic.apply({ [op]: [] } as never, {});
      known = true;
    } catch (error) {
      known = !/Unrecognized operation/.test(String((error as Error)?.message));
    }
    knownOps.set(op, known);
  }
  return known;
}

/** The first unknown operator of a JsonLogic condition, or null when every operator is known. */
export function unknownOperatorOf(condition: unknown): string | null {
  if (Array.isArray(condition)) {
    for (const c of condition) {
      const found = unknownOperatorOf(c);
      if (found) return found;
    }
    return null;
  }
  if (condition === null || typeof condition !== 'object') return null;
  if (jsonLogic.is_logic(condition)) {
    const op = jsonLogic.get_operator(condition);
    if (!isKnownOperator(op)) return op;
    return unknownOperatorOf((condition as Record<string, unknown>)[op]);
  }
  return null;
}

/** A JsonLogic condition compiled to a closure: the same answers as `jsonLogic.apply`, without re-reading the tree. */
export type CompiledCondition = (data: unknown) => unknown;

const truthy = (v: unknown) => !(Array.isArray(v) && v.length === 0) && !!v;
type Args = CompiledCondition[];
/*
 * The operators compiled to plain JavaScript, exactly as json-logic-js 2.0.5 defines them (its logic.js). Any other
 * operator — `filter`, `map`, `reduce`, `all`, `none`, `some`, and those a plugin adds with `add_operation` — is
 * handed to `jsonLogic.apply` for its subtree, so it behaves (and fails) exactly as before.
 */
const compiledOps: Record<string, (args: Args, raw: unknown[]) => CompiledCondition> = {
  '==': ([a, b]) => (d) => a!(d) == b!(d),
  '===': ([a, b]) => (d) => a!(d) === b!(d),
  '!=': ([a, b]) => (d) => a!(d) != b!(d),
  '!==': ([a, b]) => (d) => a!(d) !== b!(d),
  '>': ([a, b]) => (d) => (a!(d) as number) > (b!(d) as number),
  '>=': ([a, b]) => (d) => (a!(d) as number) >= (b!(d) as number),
  '<': ([a, b, c]) =>
    c
      ? (d) => {
          const x = a!(d) as number;
          const y = b!(d) as number;
          const z = c(d) as number | undefined;
          return z === undefined ? x < y : x < y && y < z;
        }
      : (d) => (a!(d) as number) < (b!(d) as number),
  '<=': ([a, b, c]) =>
    c
      ? (d) => {
          const x = a!(d) as number;
          const y = b!(d) as number;
          const z = c(d) as number | undefined;
          return z === undefined ? x <= y : x <= y && y <= z;
        }
      : (d) => (a!(d) as number) <= (b!(d) as number),
  '!!': ([a]) => (d) => truthy(a!(d)),
  '!': ([a]) => (d) => !truthy(a!(d)),
  '%': ([a, b]) => (d) => (a!(d) as number) % (b!(d) as number),
  in: ([a, b], raw) => {
    const list = raw[1];
    // A constant list of strings and numbers: a set (indexOf's strict equality, which never finds NaN).
    if (Array.isArray(list) && list.every((x) => typeof x === 'string' || typeof x === 'number')) {
      const set = new Set<unknown>(list);
      return (d) => {
        const x = a ? a(d) : undefined;
        return x === x && set.has(x);
      };
    }
    return (d) => {
      const x = a ? a(d) : undefined;
      const y = b ? (b(d) as { indexOf?: (v: unknown) => number } | null) : undefined;
      if (!y || typeof y.indexOf === 'undefined') return false;
      return y.indexOf(x) !== -1;
    };
  },
  var: ([a, b], raw) => {
    const lookup = (data: unknown, path: unknown, notFound: unknown) => {
      if (typeof path === 'undefined' || path === '' || path === null) return data;
      const parts = String(path).split('.');
      let v = data as Record<string, unknown> | null | undefined;
      for (const part of parts) {
        if (v === null || v === undefined) return notFound;
        v = (v as Record<string, unknown>)[part] as Record<string, unknown> | null | undefined;
        if (v === undefined) return notFound;
      }
      return v;
    };
    const path = raw[0];
    if (typeof path === 'string' && path !== '' && raw.length === 1) {
      const parts = path.split('.');
      return (data) => {
        let v = data as Record<string, unknown> | null | undefined;
        for (const part of parts) {
          if (v === null || v === undefined) return null;
          v = (v as Record<string, unknown>)[part] as Record<string, unknown> | null | undefined;
          if (v === undefined) return null;
        }
        return v;
      };
    }
    return (d) => {
      const notFound = b ? b(d) : undefined;
      return lookup(d, a ? a(d) : undefined, notFound === undefined ? null : notFound);
    };
  },
};

const compiledConditions = new WeakMap<object, CompiledCondition>();
function compileNode(logic: unknown): CompiledCondition {
  if (Array.isArray(logic)) {
    const items = logic.map(compileNode);
    return (d) => items.map((f) => f(d));
  }
  if (!jsonLogic.is_logic(logic)) return () => logic;
  const op = jsonLogic.get_operator(logic as Record<string, unknown>);
  const given = (logic as Record<string, unknown>)[op];
  const raw = Array.isArray(given) ? given : [given];
  if (op === 'if' || op === '?:') {
    const parts = raw.map(compileNode);
    return (d) => {
      let i = 0;
      for (; i < parts.length - 1; i += 2) if (truthy(parts[i]!(d))) return parts[i + 1]!(d);
      return parts.length === i + 1 ? parts[i]!(d) : null;
    };
  }
  if (op === 'and' || op === 'or') {
    const parts = raw.map(compileNode);
    const and = op === 'and';
    return (d) => {
      let current: unknown;
      for (const part of parts) {
        current = part(d);
        if (truthy(current) !== and) return current;
      }
      return current;
    };
  }
  // A plugin's operator: its arguments compiled like any other, the function called with their values.
  const plugin = pluginOperator(op);
  if (plugin) {
    const args = raw.map(compileNode);
    return (d) => applyOperator(plugin, args.map((f) => f(d)));
  }
  const make = Object.hasOwn(compiledOps, op) ? compiledOps[op] : undefined;
  if (!make) return (d) => jsonLogic.apply(logic as never, d as never);
  const args = raw.map(compileNode);
  // Missing operands read as undefined, as json-logic-js passes them.
  while (args.length < 2) args.push(() => undefined);
  return make(args, raw);
}

/**
 * A rule's condition, compiled once (kept while the condition object lives: the active rules are read again at most
 * every second, so each version is compiled about once a second).
 */
export function compileCondition(condition: unknown): CompiledCondition {
  if (condition === null || typeof condition !== 'object') return () => condition;
  let compiled = compiledConditions.get(condition);
  if (!compiled) compiledConditions.set(condition, (compiled = compileNode(condition)));
  return compiled;
}

/** Rules in order of application: higher priority first, then by code and version. */
export function orderRules<T extends { priority: number; code: string; version: number }>(rules: T[]): T[] {
  return [...rules].sort((a, b) => b.priority - a.priority || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) || a.version - b.version);
}

/** Options of a computation: the partner's tier multiplier (1 without a tiers plugin) and the caps' counters. */
export interface ComputeOptions {
  tierMultiplier?: number;
  caps?: CapState;
  /** false: leave out why rules did not apply (`skipped` stays empty) — for a posting, whose explanation lists the rules that fired. */
  skipped?: boolean;
}

const QTY_SCALE = 1_000_000n;
/** A number given to at most 4 decimal places, as an integer of ten-thousandths. */
const tenThousandths = (n: number) => BigInt(Math.round(n * Number(PPU_SCALE)));

/** num / den rounded down, or half to even (both non-negative). */
export function roundRational(num: bigint, den: bigint, rounding: Rounding): bigint {
  const q = num / den;
  if (rounding === 'floor') return q;
  const twice = 2n * (num % den);
  if (twice > den || (twice === den && q % 2n === 1n)) return q + 1n;
  return q;
}

/** The highest strategic multiplier a line matches, with what it matched; null when none. */
function strategicOf(m: Multipliers | undefined, sku: string, category: string | null): { multiplier: number; label: string } | null {
  let best: { multiplier: number; label: string } | null = null;
  for (const item of m?.strategic ?? []) {
    const label = item.skus?.includes(sku) ? sku : category !== null && item.categories?.includes(category) ? category : null;
    if (label !== null && (!best || item.multiplier > best.multiplier)) best = { multiplier: item.multiplier, label };
  }
  return best;
}

/** The points of one effect on one line, exactly (BigInt), multiplied and rounded once, with the arithmetic in words. */
export function effectPoints(
  effect: BuiltinEffect,
  line: { sku: string; quantity: number; netAmount: number; category: string | null; margin: number | null },
  currency: string,
  tierMultiplier = 1,
): Omit<FiredRule, 'ruleId' | 'code' | 'version' | 'target'> {
  const scale = currencyScale(currency);
  const money = 10n ** BigInt(scale);
  let num: bigint;
  let den: bigint;
  let base: string;
  if (effect.type === 'fixed') {
    num = BigInt(effect.points);
    den = 1n;
    base = String(effect.points);
  } else if (effect.type === 'per-quantity') {
    num = BigInt(Math.round(line.quantity * Number(QTY_SCALE))) * tenThousandths(effect.pointsPerUnit);
    den = QTY_SCALE * PPU_SCALE;
    base = `${line.quantity} × ${effect.pointsPerUnit}`;
  } else if (effect.type === 'per-margin') {
    const margin = Math.max(line.margin ?? 0, 0);
    num = BigInt(margin) * tenThousandths(effect.pointsPerUnit);
    den = money * PPU_SCALE;
    base = `margin ${decimal(margin, scale)} ${currency} × ${effect.pointsPerUnit}`;
  } else {
    num = BigInt(line.netAmount) * tenThousandths(effect.pointsPerUnit);
    den = money * PPU_SCALE;
    base = `${decimal(line.netAmount, scale)} ${currency} × ${effect.pointsPerUnit}`;
  }
  const multipliers: { strategic?: number; tier?: number } = {};
  const strategic = strategicOf(effect.multipliers, line.sku, line.category);
  if (strategic && strategic.multiplier !== 1) {
    multipliers.strategic = strategic.multiplier;
    num *= tenThousandths(strategic.multiplier);
    den *= PPU_SCALE;
    base += ` × ${strategic.multiplier} (${strategic.label})`;
  }
  if (effect.multipliers?.tier !== false && tierMultiplier !== 1) {
    multipliers.tier = tierMultiplier;
    num *= tenThousandths(tierMultiplier);
    den *= PPU_SCALE;
    base += ` × ${tierMultiplier} (tier)`;
  }
  const rounding = effect.rounding ?? 'floor';
  const points = Number(roundRational(num, den, rounding));
  const plain = effect.type === 'fixed' && den === 1n;
  return {
    ...(effect.type === 'fixed' ? { fixed: effect.points } : { pointsPerUnit: effect.pointsPerUnit }),
    ...(Object.keys(multipliers).length ? { multipliers } : {}),
    points,
    computation: plain ? `fixed ${effect.points}` : `${rounding === 'floor' ? 'floor' : 'round-half-even'}(${base}) = ${points}`,
  };
}

/** A plugin effect's points and explanation on one line, or why it gave none (a throw, or not a whole number of points). */
function pluginEffectPoints(effect: PluginEffect, context: { line: LineFacts; event: EventFacts; partner: PartnerFacts | null }, tierMultiplier: number): { points: number; computation: string } | string {
  const type = pluginEffect(effect.type);
  if (!type) return `effect type ${effect.type} is not registered`;
  try {
    const result = type.compute({ ...context, params: effect.params ?? {}, tierMultiplier });
    if (!Number.isSafeInteger(result?.points) || result.points < 0) return `${effect.type} gave ${String(result?.points)} points, not a whole number of at least 0`;
    return { points: result.points, computation: String(result.explanation ?? '').slice(0, 500) };
  } catch (error) {
    return `${effect.type}: ${String((error as Error)?.message ?? error).slice(0, 200)}`;
  }
}
type LineFacts = { index: number; sku: string; quantity: number; netAmount: number; category: string | null; margin: number | null };
type EventFacts = { type: string; source: string; externalId: string; occurredAt: string; number?: string; currency: string; netTotal: number; data?: unknown };

/** True when a's claim beats b's in a best-of group: more points, then higher priority, then lower code. */
function beats(a: { points: number; rule: RuleForEvaluation }, b: { points: number; rule: RuleForEvaluation }): boolean {
  if (a.points !== b.points) return a.points > b.points;
  if (a.rule.priority !== b.rule.priority) return a.rule.priority > b.rule.priority;
  return a.rule.code < b.rule.code || (a.rule.code === b.rule.code && a.rule.version > b.rule.version);
}

/**
 * What an issued invoice earns, line by line: every rule in force at `occurredAt` that answers the event type and
 * whose condition holds for the line computes its points; additive rules add up, and of a best-of group only the rule
 * giving the most points applies (ties: higher priority, then lower code) — the others say who won. Then each rule's
 * caps take off what exceeds them (per event, per partner per period, budget), line by line in order, and say so.
 */
export function computeInvoice(rules: RuleForEvaluation[], event: Omit<InvoiceIssuedEvent, 'type'> & { type: string }, partner: PartnerFacts | null, options: ComputeOptions = {}): Computation {
  const at = new Date(event.occurredAt).getTime();
  const eventFacts = {
    type: event.type,
    source: event.source,
    externalId: event.externalId,
    occurredAt: event.occurredAt,
    number: event.number,
    currency: event.currency,
    netTotal: event.lines.reduce((sum, l) => sum + l.netAmount, 0),
    ...((event as { data?: unknown }).data !== undefined ? { data: (event as { data?: unknown }).data } : {}),
  };
  const ordered = orderRules(rules);
  const explain = options.skipped !== false;
  const byId = new Map(ordered.map((r) => [r.id, r]));
  const lines = event.lines.map((l, index): LineResult => {
    const line = { index, sku: l.sku, quantity: l.quantity, netAmount: l.netAmount, category: l.category ?? null, margin: l.margin ?? null };
    const data = { line, event: eventFacts, partner };
    let fired: FiredRule[] = [];
    const skipped: SkippedRule[] = [];
    for (const rule of ordered) {
      const ref = { ruleId: rule.id, code: rule.code, version: rule.version };
      if (!rule.eventTypes.includes(event.type)) {
        if (explain) skipped.push({ ...ref, reason: 'event-type' });
        continue;
      }
      if (rule.validFrom.getTime() > at) {
        if (explain) skipped.push({ ...ref, reason: 'not-yet-valid', detail: rule.validFrom.toISOString() });
        continue;
      }
      if (rule.validTo && rule.validTo.getTime() <= at) {
        if (explain) skipped.push({ ...ref, reason: 'no-longer-valid', detail: rule.validTo.toISOString() });
        continue;
      }
      let holds: boolean;
      try {
        holds = truthy(compileCondition(rule.condition)(data));
      } catch (error) {
        if (explain) skipped.push({ ...ref, reason: 'condition-error', detail: String((error as Error)?.message ?? error).slice(0, 200) });
        continue;
      }
      if (!holds) {
        if (explain) skipped.push({ ...ref, reason: 'condition' });
        continue;
      }
      const effect = rule.effect;
      if (isPluginEffect(effect)) {
        const result = pluginEffectPoints(effect, { line, event: eventFacts, partner }, options.tierMultiplier ?? 1);
        if (typeof result === 'string') {
          if (explain) skipped.push({ ...ref, reason: 'effect-error', detail: result });
          continue;
        }
        fired.push({ ...ref, target: effect.target, effect: effect.type, ...result });
        continue;
      }
      fired.push({ ...ref, target: effect.target, ...effectPoints(effect, line, event.currency, options.tierMultiplier ?? 1) });
    }
    // Best-of groups: the winner of each group stays, the others are skipped naming it.
    const winners = new Map<string, FiredRule>();
    for (const f of fired) {
      const stacking = byId.get(f.ruleId)!.stacking;
      if (stacking?.mode !== 'best-of') continue;
      const current = winners.get(stacking.group);
      if (!current || beats({ points: f.points, rule: byId.get(f.ruleId)! }, { points: current.points, rule: byId.get(current.ruleId)! })) winners.set(stacking.group, f);
    }
    if (winners.size > 0) {
      fired = fired.filter((f) => {
        const stacking = byId.get(f.ruleId)!.stacking;
        if (stacking?.mode !== 'best-of') return true;
        const winner = winners.get(stacking.group)!;
        if (winner === f) return true;
        const why = winner.points > f.points ? 'fewer points' : byId.get(winner.ruleId)!.priority > byId.get(f.ruleId)!.priority ? 'same points, lower priority' : 'same points and priority, later code';
        if (explain) skipped.push({
          ruleId: f.ruleId, code: f.code, version: f.version, reason: 'best-of', group: stacking.group, points: f.points,
          lostTo: { code: winner.code, version: winner.version, points: winner.points },
          detail: `best-of ${stacking.group}: ${f.points} points lost to ${winner.code} v${winner.version} (${winner.points}): ${why}`,
        });
        return false;
      });
    }
    return { line: index, sku: l.sku, quantity: l.quantity, netAmount: l.netAmount, category: l.category ?? null, points: 0, fired, skipped };
  });
  // Caps, rule by rule, lines in order.
  const caps: CapSummary[] = [];
  const grants: Grant[] = [];
  for (const rule of ordered) {
    const capsOf = rule.caps;
    const mine = lines.flatMap((l) => l.fired.filter((f) => f.ruleId === rule.id));
    if (mine.length === 0) continue;
    const state = options.caps ?? { partnerId: partner?.id ?? null, periods: periodsOf(event.occurredAt.slice(0, 10)), granted: new Map() };
    const scopes = capScopes(capsOf, state);
    const limits: Omit<CapNote, 'uncapped'>[] = [];
    if (capsOf?.perEvent !== undefined) limits.push({ kind: 'event', limit: capsOf.perEvent, alreadyGranted: 0 });
    if (scopes.period) limits.push({ kind: 'period', limit: capsOf!.perPartner!.points, period: state.periods[capsOf!.perPartner!.period], alreadyGranted: state.granted.get(grantKey(rule.code, scopes.period)) ?? 0 });
    if (scopes.budget) limits.push({ kind: 'budget', limit: capsOf!.budget!, alreadyGranted: state.granted.get(grantKey(rule.code, scopes.budget)) ?? 0 });
    let used = 0;
    let uncapped = 0;
    let bound: Omit<CapNote, 'uncapped'> | null = null;
    for (const f of mine) {
      uncapped += f.points;
      let room = Infinity;
      let binding: Omit<CapNote, 'uncapped'> | null = null;
      for (const limit of limits) {
        const left = Math.max(limit.limit - limit.alreadyGranted - used, 0);
        if (left < room) {
          room = left;
          binding = limit;
        }
      }
      if (f.points > room) {
        f.capped = { ...binding!, uncapped: f.points };
        f.points = room;
        f.computation += `, capped to ${room} (${binding!.kind} cap ${binding!.limit}${binding!.period ? ` in ${binding!.period}` : ''}, ${binding!.alreadyGranted + used} already granted)`;
        bound ??= binding;
      }
      used += f.points;
    }
    if (bound) caps.push({ ruleId: rule.id, code: rule.code, version: rule.version, target: rule.effect.target, ...bound, grantedNow: used, uncapped, onCap: capsOf?.onCap ?? 'post' });
    if (used > 0) for (const scope of [scopes.period, scopes.budget]) if (scope) grants.push({ code: rule.code, scope, points: used });
  }
  for (const l of lines) l.points = l.fired.reduce((s, f) => s + f.points, 0);
  const sum = (target: 'pending' | 'available') => lines.reduce((s, l) => s + l.fired.filter((f) => f.target === target).reduce((t, f) => t + f.points, 0), 0);
  const pending = sum('pending');
  const available = sum('available');
  return { currency: event.currency, lines, points: pending + available, pending, available, ...(caps.length ? { caps } : {}), grants };
}

/** The rules whose caps keep counters (per partner per period, budget): their rows are locked while an event posts. */
export function countedRules(rules: RuleForEvaluation[]): RuleForEvaluation[] {
  return rules.filter((r) => r.caps?.perPartner || r.caps?.budget !== undefined);
}

/** The explanation a ledger entry stores for one target: the lines that earned toward it, with the rules that fired. */
export function explanationLines(computation: Computation, target: 'pending' | 'available') {
  return computation.lines
    .map((l) => ({ line: l.line, sku: l.sku, quantity: l.quantity, netAmount: l.netAmount, category: l.category, ...(l.original ? { original: l.original } : {}), fired: l.fired.filter((f) => f.target === target) }))
    .filter((l) => l.fired.length > 0)
    .map((l) => ({ ...l, points: l.fired.reduce((s, f) => s + f.points, 0) }));
}
