import { describe, expect, it } from 'vitest';
import { computeInvoice, currencyScale, explanationLines, periodsOf, perAmountPoints, roundRational, unknownOperatorOf, type RuleForEvaluation } from './earning.rules.ts';

const rule = (over: Partial<RuleForEvaluation>): RuleForEvaluation => ({
  id: 'r',
  code: 'r',
  version: 1,
  priority: 0,
  validFrom: new Date('2024-01-01T00:00:00Z'),
  validTo: null,
  eventTypes: ['invoice.issued'],
  condition: true,
  effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending', rounding: 'floor' },
  ...over,
});

const event = {
  type: 'invoice.issued' as const,
  source: 's',
  externalId: 'e',
  occurredAt: '2025-03-01T00:00:00Z',
  partner: { nip: '5260250995' },
  number: 'FV/1',
  currency: 'PLN',
  lines: [{ sku: 'A', quantity: 1, netAmount: 12_345 }],
};

describe('earning rules', () => {
  it('computes points per unit exactly, rounding down, in the currency scale', () => {
    expect(currencyScale('PLN')).toBe(2);
    expect(currencyScale('JPY')).toBe(0);
    expect(perAmountPoints(12_345, 2, 1)).toBe(123);
    expect(perAmountPoints(10, 2, 0.1)).toBe(0);
    expect(perAmountPoints(1000, 2, 0.3)).toBe(3); // 0.3 is not exact in binary; the result is
    expect(perAmountPoints(999_999_999_999, 2, 1000)).toBe(9_999_999_999_990);
    expect(perAmountPoints(12_345, 0, 1.5)).toBe(18_517);
  });

  it('names the first unknown JsonLogic operator, wherever it is', () => {
    expect(unknownOperatorOf(true)).toBeNull();
    expect(unknownOperatorOf({ and: [{ in: [{ var: 'line.sku' }, ['A']] }, { '>=': [{ var: 'line.netAmount' }, 100] }] })).toBeNull();
    expect(unknownOperatorOf({ and: [true, { or: [{ nope: [1] }] }] })).toBe('nope');
  });

  it('applies rules in force at occurredAt and says why the others did not fire', () => {
    const c = computeInvoice(
      [
        rule({ id: 'a', code: 'base' }),
        rule({ id: 'b', code: 'later', validFrom: new Date('2025-06-01T00:00:00Z') }),
        rule({ id: 'c', code: 'over', validTo: new Date('2025-01-01T00:00:00Z') }),
        rule({ id: 'd', code: 'other', eventTypes: ['invoice.paid'] }),
        rule({ id: 'e', code: 'sku-b', condition: { '==': [{ var: 'line.sku' }, 'B'] } }),
        rule({ id: 'f', code: 'cash', priority: 5, effect: { type: 'per-amount', pointsPerUnit: 2, target: 'available', rounding: 'floor' } }),
      ],
      event,
      null,
    );
    expect(c).toMatchObject({ points: 369, pending: 123, available: 246 });
    expect(c.lines[0]!.fired.map((f) => f.code)).toEqual(['cash', 'base']);
    expect(Object.fromEntries(c.lines[0]!.skipped.map((s) => [s.code, s.reason]))).toEqual({ later: 'not-yet-valid', over: 'no-longer-valid', other: 'event-type', 'sku-b': 'condition' });
    expect(explanationLines(c, 'available')).toEqual([expect.objectContaining({ sku: 'A', points: 246, fired: [expect.objectContaining({ code: 'cash', computation: 'floor(123.45 PLN × 2) = 246' })] })]);
  });

  it('rounds down or half to even, exactly', () => {
    expect([5n, 15n, 25n, 7n].map((n) => roundRational(n, 10n, 'half-even'))).toEqual([0n, 2n, 2n, 1n]);
    expect(roundRational(25n, 2n, 'half-even')).toBe(12n);
    expect(roundRational(27n, 2n, 'half-even')).toBe(14n);
    expect(roundRational(29n, 10n, 'floor')).toBe(2n);
    expect(periodsOf('2025-08-31')).toEqual({ month: '2025-08', quarter: '2025-Q3', year: '2025' });
  });

  it('breaks a best-of tie on points and priority by the lower code', () => {
    const bestOf = { mode: 'best-of' as const, group: 'g' };
    const c = computeInvoice([rule({ id: 'b', code: 'b', stacking: bestOf }), rule({ id: 'a', code: 'a', stacking: bestOf })], event, null);
    expect(c.lines[0]!.fired.map((f) => f.code)).toEqual(['a']);
    expect(c.lines[0]!.skipped).toEqual([expect.objectContaining({ code: 'b', reason: 'best-of', lostTo: { code: 'a', version: 1, points: 123 }, detail: expect.stringContaining('later code') })]);
  });

  it('caps a rule per event across lines, in line order, and says what bound', () => {
    const c = computeInvoice([rule({ caps: { perEvent: 150 } })], { ...event, lines: [{ sku: 'A', quantity: 1, netAmount: 10_000 }, { sku: 'B', quantity: 1, netAmount: 10_000 }] }, null);
    expect(c.lines.map((l) => l.points)).toEqual([100, 50]);
    expect(c.lines[1]!.fired[0]!.capped).toEqual({ kind: 'event', limit: 150, alreadyGranted: 0, uncapped: 100 });
    expect(c.caps).toEqual([expect.objectContaining({ kind: 'event', grantedNow: 150, uncapped: 200 })]);
  });
});
