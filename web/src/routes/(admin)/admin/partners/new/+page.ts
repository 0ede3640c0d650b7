import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import type { PageLoad } from './$types';

/** The programs a partner can be added to. */
export const load: PageLoad = async ({ fetch, url }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const programs = await loadFromApi(url, () => api.GET('/api/v1/programs/'));
	return { programs };
};
