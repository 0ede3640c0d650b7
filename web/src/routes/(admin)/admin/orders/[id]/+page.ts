import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { formNonce } from '#lib/ledger/ledger.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** One order with its status history as recorded, its reward's name and its partner's name. */
export const load: PageLoad = async ({ fetch, url, params, parent }) => {
	const { session } = await parent();
	if (!can(session, 'catalogue:manage')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const order = await loadFromApi(url, () => api.GET('/api/v1/catalogue/orders/{orderId}', { params: { path: { orderId: params.id } } }), { notFound: true });
	if (!order.ok) return { order, reward: null, partner: null, nonce: formNonce() };
	const [reward, partner] = await Promise.all([
		loadOptional(() => api.GET('/api/v1/catalogue/rewards/{rewardId}', { params: { path: { rewardId: order.data.rewardId } } })),
		loadOptional(() => api.GET('/api/v1/partners/{id}', { params: { path: { id: order.data.partnerId } } }))
	]);
	return { order, reward, partner: partner ? { id: partner.id, name: partner.legalName } : null, nonce: formNonce() };
};
