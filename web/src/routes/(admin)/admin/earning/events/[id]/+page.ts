import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { UUID } from '#lib/earning/earning.ts';
import type { PageLoad } from './$types';

/** One event: raw payload, status, result (ledger entries), resolution; with its partner's name. */
export const load: PageLoad = async ({ fetch, url, params }) => {
	if (!UUID.test(params.id)) error(404, 'Not found');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const event = await loadFromApi(url, () => api.GET('/api/v1/earning/events/{id}', { params: { path: { id: params.id } } }), { notFound: true });
	const partnerId = event.ok ? event.data.partnerId : null;
	const partner = partnerId ? await loadOptional(() => api.GET('/api/v1/partners/{id}', { params: { path: { id: partnerId } } })) : null;
	return { event, partner: partner ? { id: partner.id, legalName: partner.legalName, partnerCode: partner.partnerCode } : null };
};
