import { describe, expect, it } from 'vitest';
import {
	assignFieldErrors,
	buildInvoice,
	collectMatching,
	dayIn,
	eventMatches,
	invoiceSummary,
	normalizeDecimal,
	parseInteger,
	parseJsonText,
	parsePointsPerUnit,
	partnerIdentifier,
	payloadIdentifiers,
	refusalOf,
	resolutionOf,
	skipReasonKey,
	startOfDay,
	toFormRows,
	toMinorUnits,
	type InvoiceInput
} from './earning.ts';

describe('earning helpers', () => {
	it('reads decimals as typed in en, pl and ru', () => {
		expect(normalizeDecimal('1234.56')).toBe('1234.56');
		expect(normalizeDecimal('1 234,56')).toBe('1234.56');
		expect(normalizeDecimal('1\u00a0234,5')).toBe('1234.5');
		expect(normalizeDecimal('1,234.56')).toBe('1234.56');
		expect(normalizeDecimal('1.234,56')).toBe('1234.56');
		expect(normalizeDecimal(',5')).toBe('0.5');
		expect(normalizeDecimal('12')).toBe('12');
		for (const bad of ['', 'abc', '-5', '1,2,3', '1e3', '1.2.3,4,5']) expect(normalizeDecimal(bad), bad).toBeNull();
	});

	it('turns amounts into integer minor units of the currency, exactly', () => {
		expect(toMinorUnits('1 234,56', 'PLN')).toBe(123456);
		expect(toMinorUnits('0.1', 'EUR')).toBe(10);
		expect(toMinorUnits('19.99', 'USD')).toBe(1999);
		expect(toMinorUnits('1500', 'JPY')).toBe(1500);
		expect(toMinorUnits('1.5', 'JPY')).toBeNull();
		expect(toMinorUnits('1.234', 'PLN')).toBeNull();
		expect(toMinorUnits('1.234', 'BHD')).toBe(1234);
		expect(toMinorUnits('99999999999999999', 'PLN')).toBeNull();
	});

	it('takes points per unit with at most 4 decimal places, and signed integers', () => {
		expect(parsePointsPerUnit('1,5')).toBe(1.5);
		expect(parsePointsPerUnit('0.0001')).toBe(0.0001);
		expect(parsePointsPerUnit('0.00001')).toBeNull();
		expect(parsePointsPerUnit('0')).toBeNull();
		expect(parsePointsPerUnit('1001')).toBeNull();
		expect(parseInteger('−10')).toBe(-10);
		expect(parseInteger('+7')).toBe(7);
		expect(parseInteger('1.5')).toBeNull();
	});

	it('names where JSON typed into a textarea goes wrong', () => {
		expect(parseJsonText('{"==": [1, 1]}')).toEqual({ ok: true, value: { '==': [1, 1] } });
		const bad = parseJsonText('{\n  "in": [\n    x\n  ]\n}');
		expect(bad.ok).toBe(false);
		if (!bad.ok) expect(bad.line).toBe(3);
		expect(parseJsonText('{').ok).toBe(false);
	});

	it('finds the start of a day in the program time zone', () => {
		expect(startOfDay('2026-01-15', 'UTC')).toBe('2026-01-15T00:00:00.000Z');
		expect(startOfDay('2026-01-15', 'Europe/Warsaw')).toBe('2026-01-14T23:00:00.000Z');
		expect(startOfDay('2026-07-15', 'Europe/Warsaw')).toBe('2026-07-14T22:00:00.000Z');
		expect(startOfDay('2026-02-30', 'UTC')).toBeNull();
		expect(startOfDay('15.01.2026', 'UTC')).toBeNull();
		expect(dayIn('2026-07-14T22:00:00.000Z', 'Europe/Warsaw')).toBe('2026-07-15');
		expect(dayIn('2026-07-14T22:00:00.000Z', 'UTC')).toBe('2026-07-14');
	});

	it('recognises how a partner is named', () => {
		expect(partnerIdentifier('5260250995')).toEqual({ nip: '5260250995' });
		expect(partnerIdentifier('PL 526-025-09-95')).toEqual({ nip: '5260250995' });
		expect(partnerIdentifier('0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5b')).toEqual({ partnerId: '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5b' });
		expect(partnerIdentifier('P-00042')).toEqual({ partnerCode: 'P-00042' });
		expect(partnerIdentifier('  ')).toBeNull();
		expect(payloadIdentifiers({ partner: { partnerCode: 'X1', nip: '123' } })).toEqual([
			{ kind: 'nip', value: '123' },
			{ kind: 'partnerCode', value: 'X1' }
		]);
		expect(payloadIdentifiers({})).toEqual([]);
	});

	it('sums an invoice for a list', () => {
		expect(invoiceSummary({ number: 'FV/1', currency: 'PLN', lines: [{ netAmount: 100 }, { netAmount: 250 }] })).toEqual({ number: 'FV/1', currency: 'PLN', netTotal: 350, lines: 2 });
		expect(invoiceSummary({ type: 'invoice.paid' })).toEqual({ number: null, currency: null, netTotal: null, lines: 0 });
	});

	it('gives problem fields to form fields, the rest listed on their own', () => {
		const { byField, other } = assignFieldErrors(
			{ 'effect.pointsPerUnit': 'too precise', 'eventTypes.0': 'bad type', condition: 'unknown op', programId: 'no program', 'effect.target.x': 'deep' },
			['effect.pointsPerUnit', 'effect.target', 'eventTypes', 'condition']
		);
		expect(byField).toEqual({ 'effect.pointsPerUnit': 'too precise', eventTypes: 'bad type', condition: 'unknown op', 'effect.target': 'deep' });
		expect(other).toEqual([{ field: 'programId', message: 'no program' }]);
	});

	it('builds the simulated invoice from the form, leaving empty rows out', () => {
		const input: InvoiceInput = {
			programId: '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5b',
			partner: '526-025-09-95',
			occurredOn: '2026-03-10',
			currency: 'pln',
			number: '',
			timeZone: 'Europe/Warsaw',
			lines: [
				{ sku: 'A-1', quantity: '2', netAmount: '1 000,50', category: 'cable' },
				{ sku: '', quantity: '', netAmount: '', category: '' },
				{ sku: 'B-2', quantity: '', netAmount: '10', category: '' }
			]
		};
		const built = buildInvoice(input);
		expect(built).toEqual({
			ok: true,
			rows: [0, 2],
			event: {
				type: 'invoice.issued',
				source: 'laurel-simulation',
				externalId: 'simulation',
				occurredAt: '2026-03-09T23:00:00.000Z',
				programId: input.programId,
				partner: { nip: '5260250995' },
				number: 'SIM/1',
				currency: 'PLN',
				lines: [
					{ sku: 'A-1', quantity: 2, netAmount: 100050, category: 'cable' },
					{ sku: 'B-2', quantity: 1, netAmount: 1000 }
				]
			}
		});
		// The API's line 1 is the form's row 2.
		expect(toFormRows({ 'lines.1.netAmount': 'too big', currency: 'other' }, [0, 2])).toEqual({ 'lines.2.netAmount': 'too big', currency: 'other' });

		const bad = buildInvoice({ ...input, partner: '', occurredOn: '2026-13-01', lines: [{ sku: '', quantity: '-1', netAmount: '1,234', category: '' }] });
		expect(bad).toEqual({
			ok: false,
			errors: { partner: 'required', occurredAt: 'date', 'lines.0.sku': 'required', 'lines.0.quantity': 'quantity', 'lines.0.netAmount': 'amount' }
		});
		expect(buildInvoice({ ...input, lines: [] })).toEqual({ ok: false, errors: { 'lines.0.sku': 'noLines' } });
	});

	it('filters events by partner, type and day', () => {
		const event = { partnerId: 'p-1', type: 'invoice.issued', occurredAt: '2026-03-10T08:00:00.000Z', payload: { partner: { nip: '5260250995' } } };
		expect(eventMatches(event, {})).toBe(true);
		expect(eventMatches(event, { type: 'invoice.paid' })).toBe(false);
		expect(eventMatches(event, { from: '2026-03-10', to: '2026-03-10' })).toBe(true);
		expect(eventMatches(event, { from: '2026-03-11' })).toBe(false);
		expect(eventMatches(event, { to: '2026-03-09' })).toBe(false);
		expect(eventMatches(event, { partner: '526-025' })).toBe(true);
		expect(eventMatches(event, { partner: 'hurtownia' }, { 'p-1': 'Punktowa Hurtownia' })).toBe(true);
		expect(eventMatches(event, { partner: 'other' }, { 'p-1': 'Punktowa Hurtownia' })).toBe(false);
	});

	it('collects a page of matching events across the API pages, continuing exactly after the last one seen', async () => {
		const all = Array.from({ length: 10 }, (_, i) => ({ id: String(100 - i), even: i % 2 === 0 }));
		const read = async (before: string | undefined) => {
			const rest = all.filter((e) => before === undefined || Number(e.id) < Number(before));
			const items = rest.slice(0, 3);
			return { items, nextBefore: rest.length > 3 ? items.at(-1)!.id : null };
		};
		const first = await collectMatching(read, (e) => e.even, { limit: 2, maxReads: 5 });
		expect(first.items.map((e) => e.id)).toEqual(['100', '98']);
		expect(first.nextBefore).toBe('98');
		const second = await collectMatching(read, (e) => e.even, { limit: 10, maxReads: 5, before: first.nextBefore! });
		expect(second.items.map((e) => e.id)).toEqual(['96', '94', '92']);
		expect(second.nextBefore).toBeNull();
		const capped = await collectMatching(read, () => false, { limit: 2, maxReads: 2 });
		expect(capped).toEqual({ items: [], nextBefore: '95', scanned: 6 });
	});

	it('reads stored refusals and resolutions', () => {
		expect(refusalOf({ points: 0, problem: { code: 'EARNING_PARTNER_NOT_ACTIVE', params: { status: 'suspended' } } })).toEqual({ code: 'EARNING_PARTNER_NOT_ACTIVE', params: { status: 'suspended' } });
		expect(refusalOf({ points: 10 })).toBeNull();
		expect(resolutionOf({ action: 'reject', reason: 'test data', by: { kind: 'user', email: 'a@b.pl' }, at: '2026-01-01T00:00:00Z' })).toEqual({ action: 'reject', partnerId: null, reason: 'test data', by: 'a@b.pl', at: '2026-01-01T00:00:00Z' });
		expect(resolutionOf(null)).toBeNull();
		expect(skipReasonKey('no-longer-valid')).toBe('noLongerValid');
		expect(skipReasonKey('condition')).toBe('condition');
	});
});
