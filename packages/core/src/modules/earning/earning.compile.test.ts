import jsonLogic from 'json-logic-js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileCondition } from './earning.rules.ts';

/** Compiled conditions answer exactly as json-logic-js does, for the operators it compiles and those it hands over. */
describe('compiled JsonLogic conditions', () => {
  const data = { line: { index: 0, sku: 'SKU-1', quantity: 3, netAmount: 120_000, category: 'cables', margin: null }, event: { type: 'invoice.issued', number: 'FV/1', netTotal: 5, data: { tags: ['a', 'b'] } }, partner: { type: 'dealer', segments: ['gold'], region: null } };
  const same = (logic: unknown, d: unknown = data) => {
    let expected: unknown;
    let failed: string | null = null;
    try {
      expected = jsonLogic.apply(logic as never, d as never);
    } catch (error) {
      failed = String((error as Error).message);
    }
    if (failed) expect(() => compileCondition(logic)(d)).toThrow(failed);
    else expect(compileCondition(logic)(d)).toEqual(expected);
  };

  it('matches json-logic-js on the shapes rules use', () => {
    for (const logic of [
      true, false, null, 0, 'x', [], { in: [{ var: 'line.sku' }, ['SKU-1', 'SKU-2']] }, { in: [{ var: 'line.sku' }, ['SKU-9']] }, { in: ['gold', { var: 'partner.segments' }] },
      { in: ['abl', 'cables'] }, { in: [{ var: 'line.nothing' }, null] }, { '==': [{ var: 'line.category' }, 'cables'] }, { '==': [{ var: 'line.quantity' }, '3'] }, { '===': [{ var: 'line.quantity' }, '3'] },
      { '!=': [1, '1'] }, { '!==': [1, '1'] }, { and: [{ '==': [{ var: 'line.category' }, 'cables'] }, { '>=': [{ var: 'line.netAmount' }, 50_000] }] }, { and: [] }, { or: [] }, { or: [0, '', 'x'] },
      { or: [{ in: [{ var: 'line.sku' }, ['A']] }, { '>': [{ var: 'line.quantity' }, 2] }] }, { '<': [1, { var: 'line.quantity' }, 5] }, { '<=': [1, 1] }, { '<': [2, 1] }, { '!': [[]] }, { '!!': [[0]] }, { '!': { var: 'line.margin' } },
      { var: 'line.margin' }, { var: ['line.nothing', 7] }, { var: '' }, { var: ['event.data.tags.1'] }, { var: 'line.sku.length' }, { if: [{ var: 'line.margin' }, 1, { '>': [{ var: 'line.quantity' }, 2] }, 2, 3] }, { if: [] }, { '?:': [true, 'y', 'n'] },
      { '%': [{ var: 'line.quantity' }, 2] }, { '+': [1, '2'] }, { some: [{ var: 'event.data.tags' }, { '==': [{ var: '' }, 'b'] }] }, { cat: ['a', { var: 'line.sku' }] }, { nope: [1] }, { missing: ['line.sku', 'line.x'] },
      { in: [{ '/': [0, 0] }, [1]] }, { '==': [] }, { '>': [{ var: 'partner.region' }, -1] },
    ]) same(logic);
  });

  it('matches json-logic-js on generated conditions', () => {
    const leaf = fc.oneof(fc.constant({ var: 'line.sku' }), fc.constant({ var: 'line.quantity' }), fc.constant({ var: 'line.margin' }), fc.constant({ var: 'partner.segments' }), fc.integer({ min: -5, max: 5 }), fc.constantFrom('SKU-1', 'gold', '3', '', null, true), fc.constant(['SKU-1', 3, 'gold']));
    const logic = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('op')),
      op: fc.tuple(fc.constantFrom('==', '===', '!=', '!==', '>', '>=', '<', '<=', '!', '!!', 'in', 'and', 'or', 'if', '%', 'var'), fc.array(tie('node'), { maxLength: 4 })).map(([op, args]) => ({ [op]: args })),
    })).node;
    fc.assert(fc.property(logic, (l) => same(l)), { numRuns: 3000 });
  });
});
