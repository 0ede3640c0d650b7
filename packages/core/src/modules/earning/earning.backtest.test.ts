import { describe, expect, it } from 'vitest';
import { composeRuleSet, costOf, type RuleRef } from './earning.backtest.ts';
import type { RuleForEvaluation } from './earning.rules.ts';

const rule = (code: string, version: number, from: string, to: string | null = null): RuleForEvaluation => ({
  id: `${code}-${version}`,
  code,
  version,
  priority: 0,
  validFrom: new Date(from),
  validTo: to ? new Date(to) : null,
  eventTypes: ['invoice.issued'],
  condition: true,
  effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' },
});
const draft = (r: RuleForEvaluation, field = '/body/ruleIds/0') => ({ rule: r, ref: { ruleId: r.id, code: r.code, version: r.version, status: 'draft' } satisfies RuleRef, field });

describe('draft rule sets', () => {
  it('a draft replaces the active versions of its code it overlaps, keeps the others and adds new codes', () => {
    const active = [rule('base', 1, '2024-01-01', '2025-01-01'), rule('base', 2, '2025-01-01'), rule('cables', 1, '2024-01-01')];
    const set = composeRuleSet(active, [draft(rule('base', 3, '2025-07-01')), draft(rule('bonus', 1, '2025-01-01'), '/body/ruleIds/1')]);
    expect(set.rules.map((r) => r.id)).toEqual(['base-1', 'cables-1', 'base-3', 'bonus-1']);
    expect(set.replaced).toEqual([{ ruleId: 'base-2', code: 'base', version: 2, status: 'active' }]);
    expect(set.drafts.map((d) => d.ruleId)).toEqual(['base-3', 'bonus-1']);
  });

  it('refuses two drafts of one code over overlapping periods, naming the later one', () => {
    expect(() => composeRuleSet([], [draft(rule('base', 3, '2025-01-01', '2025-07-01')), draft(rule('base', 4, '2025-06-01'), '/body/ruleIds/1')])).toThrow(
      expect.objectContaining({ code: 'EARNING_DRAFT_OVERLAP', fields: [expect.objectContaining({ field: '/body/ruleIds/1' })] }),
    );
    expect(composeRuleSet([], [draft(rule('base', 3, '2025-01-01', '2025-07-01')), draft(rule('base', 4, '2025-07-01'))]).rules).toHaveLength(2);
  });
});

describe('cost of points', () => {
  it('is points × the value of 1,000 points / 1,000 in minor units, rounded half to even', () => {
    expect(costOf(1670, 50_000)).toBe(83_500);
    expect(costOf(1, 1000)).toBe(1);
    expect(costOf(1, 1500)).toBe(2); // 1.5 → 2
    expect(costOf(1, 2500)).toBe(2); // 2.5 → 2
    expect(costOf(3, 500)).toBe(2); // 1.5 → 2
    expect(costOf(1, 499)).toBe(0);
    expect(costOf(-1, 1500)).toBe(-2);
    expect(costOf(0, 10_000)).toBe(0);
  });
});
