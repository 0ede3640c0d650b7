import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** One of the partner's orders with its history; the reward's name from the catalogue when it is still offered. */
export const load: PageLoad = async ({ fetch, url, params, parent }) => {
	const { session } = await parent();
	if (!can(session, 'catalogue:order')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const [order, offer] = await Promise.all([
		loadFromApi(url, () => api.GET('/api/v1/catalogue/me/orders/{orderId}', { params: { path: { orderId: params.id } } }), { notFound: true }),
		loadOptional(() => api.GET('/api/v1/catalogue/offer', { params: { query: { sort: 'name' } } }))
	]);
	const name = order.ok ? (offer?.items.find((i) => i.reward.id === order.data.rewardId)?.reward.name ?? order.data.sku) : null;
	return { order, name, placed: url.searchParams.has('placed') };
};
