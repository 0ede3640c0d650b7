import { describe, expect, it } from 'vitest';
import { beforeParam, explanationEntries, formNonce, reversible, type StatementLine } from './ledger.ts';

const line = (entryId: number, extra: Partial<StatementLine> = {}): StatementLine => ({
	entryId,
	postedAt: '2026-11-23T07:00:00Z',
	kind: 'adjustment',
	account: 'available',
	amount: 100,
	balanceAfter: 100,
	explanation: {},
	reason: 'bonus',
	reversesEntryId: null,
	...extra
});

describe('ledger helpers', () => {
	it('lists explanation fields known ones first, leaving out empty values', () => {
		expect(explanationEntries({ custom: 'x', line: 1, rule: 'base', invoice: 'FV/1', empty: '', nothing: null })).toEqual([
			{ key: 'rule', value: 'base' },
			{ key: 'invoice', value: 'FV/1' },
			{ key: 'line', value: '1' },
			{ key: 'custom', value: 'x' }
		]);
	});

	it('offers a reversal once per entry, never for reversals or entries reversed on the page', () => {
		const lines = [
			line(4, { kind: 'reversal', reversesEntryId: 2, amount: -100 }),
			line(3, { kind: 'release_pending', account: 'available' }),
			line(3, { kind: 'release_pending', account: 'pending', amount: -100 }),
			line(2),
			line(1)
		];
		const can = reversible(lines);
		expect(lines.map((l, i) => can(l, i))).toEqual([false, true, false, false, true]);
	});

	it('reads ?before= strictly and makes 32-hex-digit nonces', () => {
		expect(beforeParam(new URL('http://x/?before=42'))).toBe(42);
		expect(beforeParam(new URL('http://x/?before=0'))).toBeUndefined();
		expect(beforeParam(new URL('http://x/?before=-3'))).toBeUndefined();
		expect(beforeParam(new URL('http://x/'))).toBeUndefined();
		expect(formNonce()).toMatch(/^[0-9a-f]{32}$/);
		expect(formNonce()).not.toBe(formNonce());
	});
});
