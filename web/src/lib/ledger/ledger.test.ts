import { describe, expect, it } from 'vitest';
import {
	beforeParam,
	calendarDay,
	expiresWithin,
	explanationEntries,
	formNonce,
	lastUsableDay,
	lotEarnedAt,
	reversible,
	walletHasAnything,
	whyOf,
	type StatementLine
} from './ledger.ts';

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

describe('expiry helpers', () => {
	it('names the last usable day of a lot whatever the program zone (expiry is local midnight of the next day)', () => {
		// Europe/Warsaw, summer and winter; America/New_York; Asia/Tokyo; UTC.
		expect(lastUsableDay('2027-03-31T22:00:00Z')).toBe('2027-03-31');
		expect(lastUsableDay('2027-01-31T23:00:00Z')).toBe('2027-01-31');
		expect(lastUsableDay('2027-04-01T04:00:00Z')).toBe('2027-03-31');
		expect(lastUsableDay('2027-03-31T15:00:00Z')).toBe('2027-03-31');
		expect(lastUsableDay('2027-04-01T00:00:00Z')).toBe('2027-03-31');
		expect(lastUsableDay('2028-03-01T00:00:00Z')).toBe('2028-02-29');
		expect(lastUsableDay('not a date')).toBeNull();
	});

	it('takes an earning date from the explanation when there is one, as a calendar day', () => {
		expect(lotEarnedAt({ earnedAt: '2026-11-23T07:00:00Z', explanation: {} })).toBe('2026-11-23T07:00:00Z');
		expect(lotEarnedAt({ earnedAt: '2026-11-23T07:00:00Z', explanation: { earnedAt: '2026-01-15T00:00:00.000Z' } })).toBe(
			'2026-01-15T00:00:00.000Z'
		);
		expect(lotEarnedAt({ earnedAt: '2026-11-23T07:00:00Z', explanation: { earnedAt: 'yesterday' } })).toBe('2026-11-23T07:00:00Z');
		expect(calendarDay('2026-01-15T00:00:00.000Z')).toBe('2026-01-15');
		expect(calendarDay('')).toBeNull();
	});

	it('tells whether a lot expires within 90 days, never-expiring lots never do', () => {
		const now = new Date('2026-01-01T00:00:00Z');
		expect(expiresWithin('2026-03-31T22:00:00Z', now)).toBe(true);
		expect(expiresWithin('2026-04-01T00:00:00Z', now)).toBe(true);
		expect(expiresWithin('2026-04-01T00:00:01Z', now)).toBe(false);
		expect(expiresWithin(null, now)).toBe(false);
		expect(expiresWithin('2026-01-05T00:00:00Z', now, 3)).toBe(false);
	});

	it('shows a wallet when any balance is not zero or it has a line', () => {
		expect(walletHasAnything({ available: 0, pending: 0, reserved: 0 }, [])).toBe(false);
		expect(walletHasAnything({ available: 0, pending: 5, reserved: 0 }, [])).toBe(true);
		expect(walletHasAnything({ available: 0, pending: 0, reserved: 0 }, [line(1)])).toBe(true);
	});
});

describe('the why of a statement line', () => {
	const locale = 'en-US';
	const keys = (result: ReturnType<typeof whyOf>) => result.notes.map((note) => note.key);

	it('explains an expiry on its day, and lists no rule or cutoff', () => {
		const why = whyOf(line(9, { kind: 'expire', amount: -120, explanation: { rule: 'expiry', cutoff: '2027-04-01T02:00:00.000Z' } }), {
			locale: 'pl-PL'
		});
		expect(why.notes).toEqual([{ key: 'expired', params: { date: '1 kwietnia 2027' } }]);
		expect(why.fields).toEqual([]);
	});

	it('explains a lapsed reservation and a redemption, keeping other rules as fields', () => {
		expect(keys(whyOf(line(2, { kind: 'release_hold', explanation: { rule: 'hold-expiry' } }), { locale }))).toEqual(['holdLapsed']);
		expect(whyOf(line(2, { kind: 'release_hold', explanation: { rule: 'cancelled' } }), { locale }).fields).toEqual([
			{ key: 'rule', value: 'cancelled' }
		]);
		expect(keys(whyOf(line(3, { kind: 'capture', account: 'reserved', amount: -50, explanation: { reward: 'Mug' } }), { locale }))).toEqual([
			'captured'
		]);
	});

	it('calls a reversal partial when the entry it reverses is on the page and moved more', () => {
		const original = line(1, { kind: 'earn', amount: 100 });
		const partial = line(2, { kind: 'reversal', amount: -40, reversesEntryId: 1 });
		expect(whyOf(partial, { locale, lines: [partial, original] }).notes).toEqual([
			{ key: 'partialReversal', params: { id: 1 }, points: { part: 40, whole: 100 } }
		]);
		const full = line(2, { kind: 'reversal', amount: -100, reversesEntryId: 1 });
		expect(keys(whyOf(full, { locale, lines: [full, original] }))).toEqual([]);
		expect(keys(whyOf(partial, { locale, lines: [partial] }))).toEqual([]);
	});

	it('says when points were earned and with whom an earning was split', () => {
		const earning = line(5, {
			kind: 'earn',
			explanation: { invoice: 'FV/7', earnedAt: '2026-01-15T00:00:00.000Z', repUserId: 'u-1', repPercent: 10 }
		});
		const company = whyOf(earning, { locale, people: new Map([['u-1', 'Anna Nowak']]) });
		expect(company.notes).toEqual([
			{ key: 'earnedAt', params: { date: 'January 15, 2026' } },
			{ key: 'repSplitNamed', params: { percent: '10%', name: 'Anna Nowak' } }
		]);
		expect(company.fields).toEqual([{ key: 'invoice', value: 'FV/7' }]);
		expect(keys(whyOf(earning, { locale }))).toEqual(['earnedAt', 'repSplit']);
		expect(keys(whyOf(earning, { locale, selfUserId: 'u-1' }))).toEqual(['earnedAt', 'repSplitYou']);
		expect(keys(whyOf(earning, { locale, selfUserId: 'u-1', wallet: 'rep' }))).toEqual(['earnedAt', 'repShareYours']);
		expect(keys(whyOf(earning, { locale, wallet: 'rep' }))).toEqual(['earnedAt', 'repShare']);
	});

	it('names who asked for an adjustment approved by a second admin', () => {
		const approved = line(6, { explanation: { approval: { requestId: 'r-1', requestedBy: 'u-2', requestedByName: 'Jan Kowalski' } } });
		const why = whyOf(approved, { locale });
		expect(why.notes).toEqual([{ key: 'approvedBy', params: { name: 'Jan Kowalski' } }]);
		expect(why.fields).toEqual([]);
		expect(keys(whyOf(line(7, { explanation: { approval: { requestId: 'r-2', requestedByName: null } } }), { locale }))).toEqual([
			'approved'
		]);
	});
});
