import { error, redirect } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { orderTotals, parseQuantity } from '#lib/catalogue/catalogue.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/**
 * The checkout of one reward (`?quantity=`): what the order costs and leaves, a delivery address for physical goods,
 * and the nonce from which the order's idempotency key is derived (a double submit orders once).
 */
export const load: PageLoad = async ({ fetch, url, params, parent, data }) => {
	const { session } = await parent();
	if (!can(session, 'catalogue:order')) error(403, 'Forbidden');
	const quantity = parseQuantity(url.searchParams.get('quantity') ?? '1');
	if (quantity === null) redirect(307, `/portal/rewards/${params.id}`);
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const offer = await loadFromApi(url, () => api.GET('/api/v1/catalogue/offer', { params: { query: { sort: 'name' } } }));
	if (!offer.ok) return { offer, item: null, quantity, totals: null, nonce: data.nonce, shipping: data.shipping };
	const item = offer.data.items.find((i) => i.reward.id === params.id);
	if (!item) error(404, 'Not found');
	return { offer, item, quantity, totals: orderTotals(item.reward, quantity, offer.data.balance), nonce: data.nonce, shipping: data.shipping };
};
