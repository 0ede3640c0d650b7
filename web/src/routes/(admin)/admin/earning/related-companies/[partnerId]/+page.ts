import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import type { PageLoad } from './$types';

/** A partner's related companies: those declared here, and the partners of its capital group (the partners module's). */
export const load: PageLoad = async ({ fetch, url, params }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const path = { params: { path: { id: params.partnerId } } };
	const [partner, declared, group] = await Promise.all([
		loadFromApi(url, () => api.GET('/api/v1/partners/{id}', path)),
		loadFromApi(url, () => api.GET('/api/v1/earning/partners/{partnerId}/related-companies', { params: { path: { partnerId: params.partnerId } } })),
		loadOptional(() => api.GET('/api/v1/partners/{id}/related', path))
	]);
	return { partner, declared, group: group?.items ?? [] };
};
