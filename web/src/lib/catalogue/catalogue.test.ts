import { describe, expect, it } from 'vitest';
import { adminActions, canCancel, minorToPlain, offerFilters, offerQuery, orderTotals, parseCodes, parseQuantity, parseRewardForm } from './catalogue.ts';

const texts = { 'name.en': 'Mug', 'name.pl': 'Kubek', 'name.ru': 'Кружка', 'description.en': 'A mug', 'description.pl': 'Kubek', 'description.ru': 'Кружка' };

describe('catalogue helpers', () => {
	it('reads the catalogue filters, dropping unknown values', () => {
		const f = offerFilters(new URL('http://x/portal/rewards?q=%20mug%20&type=voucher&sort=bogus&orderable=1&category=Gadgets'));
		expect(f).toEqual({ q: 'mug', type: 'voucher', category: 'Gadgets', sort: 'price-asc', orderableOnly: true });
		expect(offerQuery(f)).toEqual({ sort: 'price-asc', q: 'mug', type: 'voucher', category: 'Gadgets', orderableOnly: true });
		expect(offerQuery(offerFilters(new URL('http://x/?type=car&sort=name')))).toEqual({ sort: 'name' });
	});

	it('parses voucher codes pasted or from a CSV: trimmed, deduplicated, header and BOM dropped', () => {
		expect(parseCodes('\uFEFFcode\n"AAA-1"\r\nBBB-2 ; CCC-3\n\nAAA-1\t DDD-4 ')).toEqual(['AAA-1', 'BBB-2', 'CCC-3', 'DDD-4']);
		expect(parseCodes('  \n ')).toEqual([]);
	});

	it('accepts a quantity from 1 to 100', () => {
		expect(parseQuantity('1')).toBe(1);
		expect(parseQuantity(' 100 ')).toBe(100);
		expect(parseQuantity('0')).toBeNull();
		expect(parseQuantity('101')).toBeNull();
		expect(parseQuantity('1.5')).toBeNull();
	});

	it('totals an order in points and co-pay, and what is left', () => {
		expect(orderTotals({ pricePoints: 300, cash: { amountMinor: 1999, currency: 'PLN' } }, 2, 1000)).toEqual({
			points: 600,
			cash: { amountMinor: 3998, currency: 'PLN' },
			balanceAfter: 400,
			enough: true
		});
		expect(orderTotals({ pricePoints: 300, cash: null }, 1, 200).enough).toBe(false);
	});

	it('offers only the actions the API allows in each status', () => {
		expect(canCancel({ status: 'placed' })).toBe(true);
		expect(canCancel({ status: 'awaiting-approval' })).toBe(true);
		expect(canCancel({ status: 'fulfilling' })).toBe(false);
		expect(adminActions({ status: 'awaiting-shipment', rewardType: 'physical' })).toEqual({ decide: false, ship: true, confirmDelivery: false, trackingRequired: true });
		expect(adminActions({ status: 'awaiting-approval', rewardType: 'voucher' }).decide).toBe(true);
		expect(adminActions({ status: 'shipped', rewardType: 'physical' }).confirmDelivery).toBe(true);
	});

	it('turns the reward form into the API body: co-pay in minor units, window days in the program zone, last day included', () => {
		const parsed = parseRewardForm(
			{
				...texts,
				programId: 'p',
				sku: 'MUG-1',
				type: 'physical',
				category: 'Gadgets',
				pricePoints: '1 500',
				'cash.amount': '19,99',
				'cash.currency': 'pln',
				availableFrom: '2026-03-01',
				availableTo: '2026-03-31',
				'limit.quantity': '2',
				'limit.period': 'month',
				stockMode: 'limited',
				stock: '10',
				approvalRequired: 'on',
				status: 'active',
				labels: ' gold-club, ,silver ',
				segments: 'smb'
			},
			{ mode: 'create', timeZone: 'Europe/Warsaw', voucherPool: false }
		);
		expect(parsed).toEqual({
			ok: true,
			body: {
				programId: 'p',
				sku: 'MUG-1',
				type: 'physical',
				name: { en: 'Mug', pl: 'Kubek', ru: 'Кружка' },
				description: { en: 'A mug', pl: 'Kubek', ru: 'Кружка' },
				category: 'Gadgets',
				pricePoints: 1500,
				cash: { amountMinor: 1999, currency: 'PLN' },
				availableFrom: '2026-02-28T23:00:00.000Z',
				availableTo: '2026-03-31T22:00:00.000Z',
				limit: { quantity: 2, period: 'month' },
				stock: 10,
				approvalRequired: true,
				status: 'active',
				labels: ['gold-club', 'silver'],
				segments: ['smb']
			}
		});
	});

	it('names every field that is wrong, and leaves the stock of voucher pools and of edits alone', () => {
		const bad = parseRewardForm(
			{ ...texts, 'name.ru': ' ', programId: 'p', sku: '-x', type: 'car', category: 'c', pricePoints: '0', 'cash.amount': '1.999', 'cash.currency': 'PLN', availableFrom: '2026-03-10', availableTo: '2026-03-01', 'limit.quantity': '3' },
			{ mode: 'create', timeZone: 'UTC', voucherPool: false }
		);
		expect(bad).toEqual({
			ok: false,
			errors: { 'name.ru': 'required', sku: 'sku', type: 'type', pricePoints: 'points', 'cash.amount': 'amount', availableTo: 'windowOrder', 'limit.period': 'limitIncomplete' }
		});
		const voucher = parseRewardForm({ ...texts, programId: 'p', sku: 'V', type: 'voucher', category: 'c', pricePoints: '5', stockMode: 'limited', stock: '9' }, { mode: 'create', timeZone: 'UTC', voucherPool: true });
		expect(voucher.ok && 'stock' in voucher.body).toBe(false);
		const edit = parseRewardForm({ ...texts, category: 'c', pricePoints: '5' }, { mode: 'edit', timeZone: 'UTC', voucherPool: false });
		expect(edit.ok && !('stock' in edit.body) && !('sku' in edit.body)).toBe(true);
	});

	it('writes minor units back as the decimal typed into the form', () => {
		expect(minorToPlain(1999, 2)).toBe('19.99');
		expect(minorToPlain(5, 2)).toBe('0.05');
		expect(minorToPlain(500, 0)).toBe('500');
	});
});
