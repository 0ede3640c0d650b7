import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** One of the company's disputes with its thread; another company's is the not-found page. */
export const load: PageLoad = async ({ fetch, url, params, parent }) => {
	const { session } = await parent();
	if (!can(session, 'disputes:file')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const dispute = await loadFromApi(url, () => api.GET('/api/v1/earning/disputes/{id}', { params: { path: { id: params.id } } }), { notFound: true });
	return { dispute, filed: url.searchParams.has('filed') };
};
