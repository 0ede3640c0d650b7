import jsonLogic from 'json-logic-js';
import type { InvoiceIssuedEvent } from './earning.schemas.ts';

/*
 * Rule evaluation: pure, no I/O. The same function computes what an event earns when it is processed and when it is
 * simulated, so the explanation stored with a ledger entry is exactly what the simulation shows.
 */

export interface PerAmountEffect {
  type: 'per-amount';
  /** Points per whole currency unit of net value (up to 4 decimal places). */
  pointsPerUnit: number;
  target: 'pending' | 'available';
  rounding: 'floor';
}
/** A fixed number of points: once per event (per matching line of an invoice). */
export interface FixedEffect {
  type: 'fixed';
  points: number;
  target: 'pending' | 'available';
}
export type RuleEffect = PerAmountEffect | FixedEffect;

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

export interface FiredRule {
  ruleId: string;
  code: string;
  version: number;
  target: 'pending' | 'available';
  /** per-amount: points per currency unit. */
  pointsPerUnit?: number;
  /** fixed: the points the rule gives. */
  fixed?: number;
  points: number;
  /** The arithmetic, as a person checks it: `floor(1234.56 PLN × 1.5) = 1851`. */
  computation: string;
}

export type SkipReason = 'event-type' | 'not-yet-valid' | 'no-longer-valid' | 'condition' | 'condition-error';
export interface SkippedRule {
  ruleId: string;
  code: string;
  version: number;
  reason: SkipReason;
  detail?: string;
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
}

const PPU_SCALE = 10_000n;

/** Decimal places of a currency's minor units (2 for PLN and EUR, 0 for JPY). */
export function currencyScale(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
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

/** Rules in order of application: higher priority first, then by code and version. */
export function orderRules<T extends { priority: number; code: string; version: number }>(rules: T[]): T[] {
  return [...rules].sort((a, b) => b.priority - a.priority || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) || a.version - b.version);
}

/**
 * What an issued invoice earns, line by line: every rule in force at `occurredAt` that answers the event type and
 * whose condition holds for the line adds its points (additive stacking); the others say why they did not.
 */
export function computeInvoice(rules: RuleForEvaluation[], event: Omit<InvoiceIssuedEvent, 'type'> & { type: string }, partner: PartnerFacts | null): Computation {
  const scale = currencyScale(event.currency);
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
  const lines = event.lines.map((l, index): LineResult => {
    const line = { index, sku: l.sku, quantity: l.quantity, netAmount: l.netAmount, category: l.category ?? null, margin: l.margin ?? null };
    const data = { line, event: eventFacts, partner };
    const fired: FiredRule[] = [];
    const skipped: SkippedRule[] = [];
    for (const rule of ordered) {
      const ref = { ruleId: rule.id, code: rule.code, version: rule.version };
      if (!rule.eventTypes.includes(event.type)) {
        skipped.push({ ...ref, reason: 'event-type' });
        continue;
      }
      if (rule.validFrom.getTime() > at) {
        skipped.push({ ...ref, reason: 'not-yet-valid', detail: rule.validFrom.toISOString() });
        continue;
      }
      if (rule.validTo && rule.validTo.getTime() <= at) {
        skipped.push({ ...ref, reason: 'no-longer-valid', detail: rule.validTo.toISOString() });
        continue;
      }
      let holds: boolean;
      try {
        holds = jsonLogic.truthy(jsonLogic.apply(rule.condition as never, data));
      } catch (error) {
        skipped.push({ ...ref, reason: 'condition-error', detail: String((error as Error)?.message ?? error).slice(0, 200) });
        continue;
      }
      if (!holds) {
        skipped.push({ ...ref, reason: 'condition' });
        continue;
      }
      const effect = rule.effect;
      if (effect.type === 'fixed') {
        fired.push({ ...ref, target: effect.target, fixed: effect.points, points: effect.points, computation: `fixed ${effect.points}` });
        continue;
      }
      const points = perAmountPoints(l.netAmount, scale, effect.pointsPerUnit);
      fired.push({ ...ref, target: effect.target, pointsPerUnit: effect.pointsPerUnit, points, computation: `floor(${decimal(l.netAmount, scale)} ${event.currency} × ${effect.pointsPerUnit}) = ${points}` });
    }
    return { line: index, sku: l.sku, quantity: l.quantity, netAmount: l.netAmount, category: l.category ?? null, points: fired.reduce((s, f) => s + f.points, 0), fired, skipped };
  });
  const sum = (target: 'pending' | 'available') => lines.reduce((s, l) => s + l.fired.filter((f) => f.target === target).reduce((t, f) => t + f.points, 0), 0);
  const pending = sum('pending');
  const available = sum('available');
  return { currency: event.currency, lines, points: pending + available, pending, available };
}

/** The explanation a ledger entry stores for one target: the lines that earned toward it, with the rules that fired. */
export function explanationLines(computation: Computation, target: 'pending' | 'available') {
  return computation.lines
    .map((l) => ({ line: l.line, sku: l.sku, quantity: l.quantity, netAmount: l.netAmount, category: l.category, ...(l.original ? { original: l.original } : {}), fired: l.fired.filter((f) => f.target === target) }))
    .filter((l) => l.fired.length > 0)
    .map((l) => ({ ...l, points: l.fired.reduce((s, f) => s + f.points, 0) }));
}
