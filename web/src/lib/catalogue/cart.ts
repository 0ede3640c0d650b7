import { MAX_QUANTITY, type OfferItem } from './catalogue.ts';

/**
 * The partner's cart, kept in a cookie so that it works without JavaScript: up to MAX_CART_LINES lines of a reward and
 * a quantity, each reward at most once (the checkout API's own rules). The cookie names the user it belongs to, so a
 * cart never passes to someone else signing in on the same browser.
 */
export const CART_COOKIE = 'laurel_cart';
/** The checkout API takes 1 to 20 lines. */
export const MAX_CART_LINES = 20;

export interface CartLine {
	rewardId: string;
	quantity: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A cookie's value as cart lines for this user: anything malformed, repeated, beyond 20 lines or another user's is dropped. */
export function parseCart(value: string | undefined, userId: string): CartLine[] {
	if (!value) return [];
	const bar = value.indexOf('|');
	if (bar < 0 || value.slice(0, bar) !== userId) return [];
	const lines: CartLine[] = [];
	for (const part of value.slice(bar + 1).split(',')) {
		const [rewardId = '', text = ''] = part.split(':');
		const quantity = /^\d{1,3}$/.test(text) ? Number(text) : 0;
		if (!UUID.test(rewardId) || quantity < 1 || quantity > MAX_QUANTITY) continue;
		if (lines.some((line) => line.rewardId === rewardId)) continue;
		lines.push({ rewardId, quantity });
		if (lines.length === MAX_CART_LINES) break;
	}
	return lines;
}

/** The cookie's value of a cart ('' for an empty one). */
export function serializeCart(lines: CartLine[], userId: string): string {
	if (lines.length === 0) return '';
	return `${userId}|${lines.map((line) => `${line.rewardId}:${line.quantity}`).join(',')}`;
}

export type AddOutcome = { ok: true; lines: CartLine[] } | { ok: false; reason: 'full' };

/**
 * Adds a reward: a reward already in the cart gets the quantity added (at most MAX_QUANTITY); a new one is a new line
 * at the end unless the cart already has MAX_CART_LINES lines.
 */
export function addToCart(lines: CartLine[], rewardId: string, quantity: number): AddOutcome {
	const existing = lines.find((line) => line.rewardId === rewardId);
	if (existing) {
		return { ok: true, lines: lines.map((line) => (line === existing ? { rewardId, quantity: Math.min(MAX_QUANTITY, line.quantity + quantity) } : line)) };
	}
	if (lines.length >= MAX_CART_LINES) return { ok: false, reason: 'full' };
	return { ok: true, lines: [...lines, { rewardId, quantity }] };
}

/** Sets a line's quantity (a reward not in the cart changes nothing). */
export function setQuantity(lines: CartLine[], rewardId: string, quantity: number): CartLine[] {
	return lines.map((line) => (line.rewardId === rewardId ? { rewardId, quantity } : line));
}

export function removeLine(lines: CartLine[], rewardId: string): CartLine[] {
	return lines.filter((line) => line.rewardId !== rewardId);
}

/** The cart against the partner's catalogue now: the lines with their reward, and the lines whose reward is no longer offered. */
export function reconcileCart(lines: CartLine[], items: OfferItem[]): { lines: (CartLine & { item: OfferItem })[]; dropped: CartLine[] } {
	const byId = new Map(items.map((item) => [item.reward.id, item]));
	const kept: (CartLine & { item: OfferItem })[] = [];
	const dropped: CartLine[] = [];
	for (const line of lines) {
		const item = byId.get(line.rewardId);
		if (item) kept.push({ ...line, item });
		else dropped.push(line);
	}
	return { lines: kept, dropped };
}

/** The cart's points (and co-pay per currency), what is left of the balance, and whether a delivery address is needed. */
export function cartTotals(lines: { quantity: number; item: { reward: Pick<OfferItem['reward'], 'pricePoints' | 'cash' | 'type'> } }[], balance: number) {
	let points = 0;
	const cash = new Map<string, number>();
	for (const { quantity, item } of lines) {
		points += item.reward.pricePoints * quantity;
		if (item.reward.cash) cash.set(item.reward.cash.currency, (cash.get(item.reward.cash.currency) ?? 0) + item.reward.cash.amountMinor * quantity);
	}
	return {
		points,
		cash: [...cash].map(([currency, amountMinor]) => ({ amountMinor, currency })),
		balanceAfter: balance - points,
		enough: balance >= points,
		physical: lines.some((line) => line.item.reward.type === 'physical')
	};
}

/**
 * The checkout API's line errors (`items.<i>`, `items.<i>.quantity`, … as form keys) by the reward of that line; other
 * errors (the delivery address) as they are.
 */
export function lineErrors(errors: Record<string, string> | undefined, lines: CartLine[]): { byReward: Record<string, string>; other: Record<string, string> } {
	const byReward: Record<string, string> = {};
	const other: Record<string, string> = {};
	for (const [key, message] of Object.entries(errors ?? {})) {
		const m = /^items\.(\d+)(?:\.|$)/.exec(key);
		const line = m ? lines[Number(m[1])] : undefined;
		if (line) byReward[line.rewardId] ??= message;
		else other[key] = message;
	}
	return { byReward, other };
}

/** The delivery address fields of a checkout, as the form names them. */
export const SHIPPING_FIELDS = ['name', 'street', 'postalCode', 'city', 'country', 'phone'] as const;

/** Where a checkout's address was filled in from: the company's last delivery, its profile, or nowhere. */
export type ShippingSource = 'last-order' | 'profile' | null;

/**
 * The address a checkout starts with, one for every physical line: the company's last delivery address (its newest
 * order with one) when there is one, else what its profile holds (the company's name, its country, the applicant's
 * phone). The person can change any of it; `PL` when nothing says the country.
 */
export function shippingDefaults(
	lastShipping: Record<string, unknown> | null | undefined,
	profile: { legalName: string; country: string; applicant?: { phone?: string | null } | null } | null | undefined
): { values: Record<string, string>; source: ShippingSource } {
	const text = (value: unknown) => (typeof value === 'string' ? value : '');
	if (lastShipping && text(lastShipping.street)) {
		return { values: Object.fromEntries(SHIPPING_FIELDS.map((field) => [`shipping.${field}`, text(lastShipping[field])])), source: 'last-order' };
	}
	if (profile) {
		return {
			values: { 'shipping.name': profile.legalName, 'shipping.country': /^[A-Z]{2}$/.test(profile.country) ? profile.country : 'PL', 'shipping.phone': profile.applicant?.phone ?? '' },
			source: 'profile'
		};
	}
	return { values: { 'shipping.country': 'PL' }, source: null };
}
