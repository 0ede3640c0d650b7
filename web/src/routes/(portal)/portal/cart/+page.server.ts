import { error, redirect } from '@sveltejs/kit';
import { loadFromApi } from '#lib/api/load.ts';
import { reconcileCart } from '#lib/catalogue/cart.ts';
import { formNonce } from '#lib/ledger/ledger.ts';
import { serverApi } from '#lib/server/api.ts';
import { addToCartAction, checkoutAction, loadShippingDefaults, readCart, removeLineAction, updateLineAction, writeCart } from '#lib/server/cart.ts';
import { can } from '#lib/session.ts';
import type { Actions, PageServerLoad } from './$types';

/**
 * The cart (a cookie) against the partner's catalogue now: each line with its reward, price and whether it can be
 * ordered, the balance, and the nonce of the checkout's idempotency key (made on the server, so hydration keeps it).
 * Lines whose reward is no longer offered leave the cart here, and the page says so.
 */
export const load: PageServerLoad = async (event) => {
	if (!event.locals.session) redirect(307, `/sign-in?next=${encodeURIComponent(event.url.pathname + event.url.search)}`);
	if (!can(event.locals.session, 'catalogue:order')) error(403, 'Forbidden');
	const stored = readCart(event);
	const nonce = formNonce();
	const added = event.url.searchParams.get('added');
	if (stored.length === 0) return { offer: null, lines: [], dropped: 0, balance: 0, nonce, added: null, cartLines: 0, shipping: null };
	const api = serverApi(event);
	const offer = await loadFromApi(event.url, () => api.GET('/api/v1/catalogue/offer', { params: { query: { sort: 'name' } } }));
	if (!offer.ok) return { offer, lines: [], dropped: 0, balance: 0, nonce, added: null, cartLines: stored.length, shipping: null };
	const { lines, dropped } = reconcileCart(stored, offer.data.items);
	if (dropped.length > 0) writeCart(event, lines.map(({ rewardId, quantity }) => ({ rewardId, quantity })));
	// One delivery address for every physical line, filled in from the company's last delivery or its profile.
	const shipping = lines.some((line) => line.item.reward.type === 'physical') ? await loadShippingDefaults(event) : null;
	return {
		shipping,
		offer: { ok: true as const },
		lines,
		dropped: dropped.length,
		balance: offer.data.balance,
		nonce,
		added: lines.find((line) => line.rewardId === added)?.item.reward.name ?? null,
		cartLines: lines.length
	};
};

export const actions: Actions = {
	add: (event) => addToCartAction(event),
	update: (event) => updateLineAction(event),
	remove: (event) => removeLineAction(event),
	checkout: (event) => checkoutAction(event)
};
