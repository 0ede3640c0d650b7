import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { formNonce } from '#lib/ledger/ledger.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/**
 * One order with its status history as recorded, its reward's name and its partner's name; for an order fulfilled by a
 * supplier, the supplier and every request sent to it (the call log).
 */
export const load: PageLoad = async ({ fetch, url, params, parent }) => {
	const { session } = await parent();
	if (!can(session, 'catalogue:manage')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const order = await loadFromApi(url, () => api.GET('/api/v1/catalogue/orders/{orderId}', { params: { path: { orderId: params.id } } }), { notFound: true });
	if (!order.ok) return { order, reward: null, partner: null, supplier: null, calls: null, nonce: formNonce() };
	const bySupplier = order.data.fulfilment === 'supplier';
	const [reward, partner, calls, suppliers] = await Promise.all([
		loadOptional(() => api.GET('/api/v1/catalogue/rewards/{rewardId}', { params: { path: { rewardId: order.data.rewardId } } })),
		loadOptional(() => api.GET('/api/v1/partners/{id}', { params: { path: { id: order.data.partnerId } } })),
		bySupplier ? loadFromApi(url, () => api.GET('/api/v1/catalogue/orders/{orderId}/supplier-calls', { params: { path: { orderId: params.id } } })) : null,
		bySupplier ? loadOptional(() => api.GET('/api/v1/catalogue/suppliers', { params: { query: { programId: order.data.programId } } })) : null
	]);
	const supplier = reward?.supplierId ? (suppliers?.items.find((s) => s.id === reward.supplierId) ?? null) : null;
	return { order, reward, partner: partner ? { id: partner.id, name: partner.legalName } : null, supplier, calls, nonce: formNonce() };
};
