/*
 * The decisions of tier evaluation, pure (no I/O): does a partner meet a tier's qualification, which tier it
 * qualifies for, and what a qualifying event or a review date does to its tier. The service measures the metrics
 * and stores what is decided here.
 */

export const BUILTIN_METRICS = ['net-turnover', 'points-earned', 'paid-invoices', 'active-months', 'strategic-share'] as const;
export type BuiltinMetric = (typeof BUILTIN_METRICS)[number];
export const WINDOWS = ['rolling-12-months', 'calendar-quarter', 'program-year'] as const;
export type WindowKind = (typeof WINDOWS)[number];

export interface Condition {
  metric: string;
  /** Met when the metric's value in the window is at least this (money in minor units, percent as 0–100). */
  min: number;
  window: WindowKind;
}

export interface Qualification {
  /** all: every condition must hold; any: one is enough. No conditions: every partner of the track qualifies. */
  mode: 'all' | 'any';
  conditions: Condition[];
}

export interface ReviewSettings {
  /** Review dates: the first day of each calendar quarter, or of each program year (program time zone). */
  every: 'quarter' | 'year';
  /** Downgrade protection: a partner failing its tier at a review keeps it this many months (0: none). */
  graceMonths: number;
  /** At most this many tiers down at one review (null: straight to what the partner qualifies for). */
  maxDowngradeSteps: number | null;
  /** First month of the program year (1 = January). */
  yearStartMonth: number;
}

/** Metric values per window: values[window][metric]. A missing value counts as 0. */
export type MetricValues = Partial<Record<WindowKind, Record<string, number>>>;

export const valueOf = (values: MetricValues, c: Pick<Condition, 'metric' | 'window'>): number => values[c.window]?.[c.metric] ?? 0;

export function meets(q: Qualification, values: MetricValues): boolean {
  if (q.conditions.length === 0) return true;
  const held = q.conditions.map((c) => valueOf(values, c) >= c.min);
  return q.mode === 'all' ? held.every(Boolean) : held.some(Boolean);
}

/** The index (in rank order, lowest first) of the highest tier whose qualification is met; -1 when none. */
export function qualifyingIndex(tiers: readonly { qualification: Qualification }[], values: MetricValues): number {
  for (let i = tiers.length - 1; i >= 0; i -= 1) if (meets(tiers[i]!.qualification, values)) return i;
  return -1;
}

/** A qualifying event only ever promotes (to the highest tier met, several steps at once if need be). */
export function decideOnEvent(current: number, qualifying: number): { change: 'promoted'; to: number } | null {
  return qualifying > current ? { change: 'promoted', to: qualifying } : null;
}

export type ReviewDecision =
  | { change: 'promoted'; to: number; graceUntil: null }
  | { change: 'demoted'; to: number; graceUntil: null }
  /** Failing the tier, kept under downgrade protection until `graceUntil`. */
  | { change: 'protected'; to: number; graceUntil: Date }
  | { change: 'kept'; to: number; graceUntil: null };

export function addMonths(at: Date, months: number): Date {
  const d = new Date(at.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d;
}

/**
 * A review date: promote when the partner qualifies higher; keep when it still qualifies; otherwise, with a grace
 * period, the first failing review starts the protection and a review at or after its end demotes — at most
 * `maxDowngradeSteps` tiers, never below what the partner qualifies for. Qualifying again ends the protection.
 */
export function decideAtReview(input: { current: number; qualifying: number; graceUntil: Date | null; reviewDate: Date; settings: ReviewSettings }): ReviewDecision {
  const { current, qualifying, graceUntil, reviewDate, settings } = input;
  if (qualifying > current) return { change: 'promoted', to: qualifying, graceUntil: null };
  if (qualifying === current || current < 0) return { change: 'kept', to: current, graceUntil: null };
  if (settings.graceMonths > 0) {
    if (!graceUntil) return { change: 'protected', to: current, graceUntil: addMonths(reviewDate, settings.graceMonths) };
    if (reviewDate.getTime() < graceUntil.getTime()) return { change: 'protected', to: current, graceUntil };
  }
  const floor = settings.maxDowngradeSteps === null ? -1 : current - settings.maxDowngradeSteps;
  return { change: 'demoted', to: Math.max(qualifying, floor), graceUntil: null };
}
