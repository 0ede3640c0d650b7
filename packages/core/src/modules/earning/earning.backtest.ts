import { AppError, createServiceRef, isAppError, type RequestContext } from '@laurel/plugin-sdk';
import type { AuditService } from '../audit/index.ts';
import type { PartnerService } from '../partners/index.ts';
import type { ProgramService } from '../programs/index.ts';
import { unknownOperatorOf, type RuleCaps, type RuleEffect, type RuleForEvaluation, type Stacking } from './earning.rules.ts';
import type { EarningEventInput } from './earning.schemas.ts';
import type { EarningService, RuleView } from './earning.service.ts';

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
  if (rule.validTo && new Date(rule.validTo) <= new Date(rule.validFrom)) throw invalid('EARNING_RULE_PERIOD', `${prefix}/validTo`, { validFrom: rule.validFrom, validTo: rule.validTo });
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
    for (const [i, a] of drafts.entries()) {
      const other = drafts.slice(0, i).find((b) => b.rule.code === a.rule.code && overlaps(a.rule, b.rule));
      if (other) throw invalid('EARNING_DRAFT_OVERLAP', a.field, { code: a.rule.code, version: a.rule.version, other: other.rule.version });
    }
    const active = (await deps.earning().listRules(ctx, { programId, status: 'active' })).map(forEvaluation);
    const replaced = active.filter((r) => drafts.some((d) => d.rule.code === r.code && overlaps(d.rule, r)));
    return {
      rules: [...active.filter((r) => !replaced.includes(r)), ...drafts.map((d) => d.rule)],
      drafts: drafts.map((d) => d.ref),
      replaced: replaced.map((r) => ({ ruleId: r.id, code: r.code, version: r.version, status: 'active' })),
    };
  }

  const service = {
    ruleSet,
    loadDrafts,

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
