import type { Static, TSchema } from 'typebox';
import { createServiceRef } from './plugin.ts';

/**
 * Earning rule extensions: JsonLogic operators a rule's condition may use and effect types a rule may give points
 * with, registered by plugins. Both are pure (no I/O, no clock, no randomness): the same function computes what an
 * event earns when it is posted, simulated and backtested, so the explanation a ledger entry stores is what the
 * simulation shows. Conditions are compiled once per rule version; an operator is called with its evaluated arguments.
 */

/** What a condition and an effect read: the invoice line (or an activity's pseudo-line), the event and the partner. */
export interface EarningEvaluationContext {
  line: { index: number; sku: string; quantity: number; netAmount: number; category: string | null; margin: number | null };
  event: { type: string; source: string; externalId: string; occurredAt: string; number?: string; currency: string; netTotal: number; data?: unknown };
  partner: { id: string; partnerCode: string; type: string; country: string; region: string | null; salesChannel: string | null; segments: string[] } | null;
}

export interface EarningOperator {
  /** `<plugin id>.<name>` (`geo.within_km`): how conditions name it, e.g. `{ "geo.within_km": [{ "var": "partner.region" }, 50] }`. */
  name: string;
  /** Schema of the argument list (an array schema); checked when a rule is saved with constant arguments, and on every call. */
  args: TSchema;
  /** A pure function of the evaluated arguments; what it returns is read as JsonLogic truthiness in a condition. */
  apply(...args: unknown[]): unknown;
}

/** What an effect gives on one line: whole points (a non-negative integer) and the arithmetic in words. */
export interface EarningEffectResult {
  points: number;
  /** One line a partner reads under the entry: `3 seats × 40 = 120`. */
  explanation: string;
}

export interface EarningEffectType<S extends TSchema = TSchema> {
  /** `<plugin id>.<name>` (`training.per-seat`): a rule's effect names it as `type`. */
  id: string;
  /** Shown to admins choosing an effect. */
  label: { en: string; pl: string; ru: string };
  /** The effect's `params` (a TypeBox object schema): a rule whose params do not match it is refused when saved (422 at the field). */
  params: S;
  /**
   * Points of one line: pure. `tierMultiplier` is the partner's tier multiplier (1 without a tiers plugin), to apply
   * or not as the effect states. A throw, or points that are not a non-negative safe integer, skips the rule on that
   * line with reason `effect-error` (nothing is posted for it).
   */
  compute(context: EarningEvaluationContext & { params: Static<S>; tierMultiplier: number }): EarningEffectResult;
}

export interface EarningRuleExtensions {
  /** Add a condition operator; a name already taken (also a JsonLogic one) is an error at start-up. */
  registerOperator(operator: EarningOperator): void;
  /** Add an effect type; an id already taken is an error at start-up. */
  registerEffect<S extends TSchema>(effect: EarningEffectType<S>): void;
}

/**
 * The rule extension registry, provided by the core `earning` module. A plugin lists `earning` in `dependsOn` and calls
 * `ctx.inject(earningRuleExtensionsRef)().registerOperator({...})` / `.registerEffect({...})` in `setup`.
 */
export const earningRuleExtensionsRef = createServiceRef<EarningRuleExtensions>('earning.rule-extensions');
