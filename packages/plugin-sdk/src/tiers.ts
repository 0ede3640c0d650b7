import type { RequestContext } from './context.ts';
import { createServiceRef } from './plugin.ts';

/**
 * Tier metrics: what a tier's qualification conditions are measured on. The core `tiers` module measures net
 * turnover, points earned, paid invoices, active months and the share of strategic products; a plugin adds its own
 * (active certifications, NPS, SLA …) by registering a metric with the registry it injects through `tierMetricsRef`.
 */
export type TierMetricUnit = 'money' | 'points' | 'count' | 'percent' | 'number';

/** The partners and the window a metric is asked for: [from, to). */
export interface TierMetricQuery {
  programId: string;
  /** Many partners at once (a batch review asks for thousands): answer them in one query where you can. */
  partnerIds: string[];
  from: Date;
  to: Date;
}

export interface TierMetric {
  /** Unique, `<plugin id>.<name>` for a plugin's metric (`certifications.active`); conditions name it. */
  code: string;
  /** Shown to admins and partners. */
  name: { en: string; pl: string; ru: string };
  /** How values are shown: money in the program currency's minor units, percent as 0–100. */
  unit: TierMetricUnit;
  /** Values per partner id for the window; a partner left out counts as 0. */
  compute(ctx: RequestContext, query: TierMetricQuery): Promise<Map<string, number>> | Map<string, number>;
}

export interface TierMetricRegistry {
  /** Add a metric; a code already taken is an error at start-up. */
  register(metric: TierMetric): void;
}

/**
 * The tier metric registry, provided by the core `tiers` module. A plugin lists `tiers` in `dependsOn` and calls
 * `ctx.inject(tierMetricsRef)().register({ code, name, unit, compute })` in `setup` (or in `onReady`).
 */
export const tierMetricsRef = createServiceRef<TierMetricRegistry>('tiers.metrics');
