import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadOptional } from '#lib/api/load.ts';
import { UUID } from '#lib/earning/earning.ts';
import { MAX_CART_LINES } from '#lib/catalogue/cart.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** The orders a checkout placed (`?orders=` ids, the partner's own only), with the reward names and the balance now. */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'catalogue:order')) error(403, 'Forbidden');
	const ids = (url.searchParams.get('orders') ?? '').split(',').filter((id) => UUID.test(id)).slice(0, MAX_CART_LINES);
	if (ids.length === 0) error(404, 'Not found');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const [orders, offer] = await Promise.all([
		Promise.all(ids.map((orderId) => loadOptional(() => api.GET('/api/v1/catalogue/me/orders/{orderId}', { params: { path: { orderId } } })))),
		loadOptional(() => api.GET('/api/v1/catalogue/offer', { params: { query: { sort: 'name' } } }))
	]);
	const found = orders.filter((order) => order !== null);
	if (found.length === 0) error(404, 'Not found');
	const names = new Map(offer?.items.map((i) => [i.reward.id, i.reward.name]) ?? []);
	return {
		orders: found.map((order) => ({ ...order, name: names.get(order.rewardId) ?? order.sku })),
		balance: offer?.balance ?? null
	};
};
