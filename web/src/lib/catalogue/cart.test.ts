import { describe, expect, it } from 'vitest';
import { addToCart, cartTotals, lineErrors, MAX_CART_LINES, parseCart, reconcileCart, removeLine, serializeCart, setQuantity, shippingDefaults, type CartLine } from './cart.ts';
import type { OfferItem } from './catalogue.ts';

const user = '11111111-1111-4111-8111-111111111111';
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const item = (n: number, reward: Partial<OfferItem['reward']> = {}) =>
	({ reward: { id: id(n), pricePoints: 100, cash: null, type: 'service', ...reward }, orderable: true, reasons: [], remainingInPeriod: null }) as unknown as OfferItem;

describe('cart cookie helpers', () => {
	it('round-trips a cart through the cookie value, for its own user only', () => {
		const lines: CartLine[] = [
			{ rewardId: id(1), quantity: 2 },
			{ rewardId: id(2), quantity: 1 }
		];
		const value = serializeCart(lines, user);
		expect(parseCart(value, user)).toEqual(lines);
		expect(parseCart(value, '22222222-2222-4222-8222-222222222222')).toEqual([]);
		expect(serializeCart([], user)).toBe('');
		expect(parseCart(undefined, user)).toEqual([]);
	});

	it('drops malformed, repeated and out-of-range lines, and anything past 20 lines', () => {
		const junk = `${user}|${id(1)}:2,not-a-uuid:1,${id(2)}:0,${id(3)}:101,${id(1)}:5,${id(4)}:1.5,${id(5)}:3`;
		expect(parseCart(junk, user)).toEqual([
			{ rewardId: id(1), quantity: 2 },
			{ rewardId: id(5), quantity: 3 }
		]);
		const many = `${user}|${Array.from({ length: 25 }, (_, i) => `${id(i + 1)}:1`).join(',')}`;
		expect(parseCart(many, user)).toHaveLength(MAX_CART_LINES);
		expect(parseCart('garbage', user)).toEqual([]);
	});

	it('adds a reward as a new line or to its line (at most 100), and refuses a 21st line', () => {
		let lines: CartLine[] = [];
		const first = addToCart(lines, id(1), 2);
		expect(first).toEqual({ ok: true, lines: [{ rewardId: id(1), quantity: 2 }] });
		lines = first.ok ? first.lines : lines;
		const more = addToCart(lines, id(1), 99);
		expect(more.ok && more.lines).toEqual([{ rewardId: id(1), quantity: 100 }]);
		const full = Array.from({ length: MAX_CART_LINES }, (_, i) => ({ rewardId: id(i + 1), quantity: 1 }));
		expect(addToCart(full, id(99), 1)).toEqual({ ok: false, reason: 'full' });
		expect(addToCart(full, id(3), 1).ok).toBe(true);
	});

	it('changes a quantity and removes a line', () => {
		const lines = [
			{ rewardId: id(1), quantity: 1 },
			{ rewardId: id(2), quantity: 1 }
		];
		expect(setQuantity(lines, id(2), 7)).toEqual([lines[0], { rewardId: id(2), quantity: 7 }]);
		expect(setQuantity(lines, id(9), 7)).toEqual(lines);
		expect(removeLine(lines, id(1))).toEqual([lines[1]]);
	});

	it('keeps the lines still offered and names the others', () => {
		const { lines, dropped } = reconcileCart(
			[
				{ rewardId: id(1), quantity: 2 },
				{ rewardId: id(2), quantity: 1 }
			],
			[item(1)]
		);
		expect(lines.map((l) => [l.rewardId, l.quantity, l.item.reward.id])).toEqual([[id(1), 2, id(1)]]);
		expect(dropped).toEqual([{ rewardId: id(2), quantity: 1 }]);
	});

	it('totals points and co-pay per currency against the balance, and asks for an address for physical goods', () => {
		const lines = [
			{ quantity: 2, item: item(1, { pricePoints: 300, cash: { amountMinor: 1999, currency: 'PLN' } }) },
			{ quantity: 1, item: item(2, { pricePoints: 50, type: 'physical' }) }
		];
		expect(cartTotals(lines, 1000)).toEqual({ points: 650, cash: [{ amountMinor: 3998, currency: 'PLN' }], balanceAfter: 350, enough: true, physical: true });
		expect(cartTotals(lines.slice(0, 1), 500)).toMatchObject({ points: 600, enough: false, physical: false });
	});

	it('puts the API’s line errors at their line by reward, others as they are', () => {
		const lines = [
			{ rewardId: id(1), quantity: 1 },
			{ rewardId: id(2), quantity: 1 }
		];
		expect(lineErrors({ 'items.1': 'Wyprzedane', 'items.0.quantity': 'Za dużo', 'shipping.city': 'Required', 'items.7': 'x' }, lines)).toEqual({
			byReward: { [id(2)]: 'Wyprzedane', [id(1)]: 'Za dużo' },
			other: { 'shipping.city': 'Required', 'items.7': 'x' }
		});
	});
});

describe('the checkout address', () => {
	it('starts from the company’s last delivery, else its profile, else only the country', () => {
		const last = { name: 'Jan Kowalski', street: 'Prosta 1', postalCode: '00-001', city: 'Warszawa', country: 'PL', phone: '+48 600 000 000' };
		expect(shippingDefaults(last, { legalName: 'Acme', country: 'DE' })).toEqual({
			source: 'last-order',
			values: { 'shipping.name': 'Jan Kowalski', 'shipping.street': 'Prosta 1', 'shipping.postalCode': '00-001', 'shipping.city': 'Warszawa', 'shipping.country': 'PL', 'shipping.phone': '+48 600 000 000' }
		});
		expect(shippingDefaults({ ...last, phone: undefined }, null).values['shipping.phone']).toBe('');
		expect(shippingDefaults(null, { legalName: 'Acme Sp. z o.o.', country: 'CZ', applicant: { phone: '+420 1' } })).toEqual({
			source: 'profile',
			values: { 'shipping.name': 'Acme Sp. z o.o.', 'shipping.country': 'CZ', 'shipping.phone': '+420 1' }
		});
		// A delivery without a street (malformed) does not count; a country the form cannot take falls back to PL.
		expect(shippingDefaults({ name: 'X' }, { legalName: 'Acme', country: 'Polska', applicant: null })).toMatchObject({ source: 'profile', values: { 'shipping.country': 'PL', 'shipping.phone': '' } });
		expect(shippingDefaults(null, null)).toEqual({ source: null, values: { 'shipping.country': 'PL' } });
	});
});
