import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** One delivery: the exact body it sends and every attempt with its answer. */
export const load: PageLoad = async ({ fetch, url, params, parent }) => {
	const { session } = await parent();
	if (!can(session, 'webhooks:manage')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const delivery = await loadFromApi(url, () => api.GET('/api/v1/webhooks/deliveries/{id}', { params: { path: { id: params.id } } }), { notFound: true });
	return { delivery };
};
