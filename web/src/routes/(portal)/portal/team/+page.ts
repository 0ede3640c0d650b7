import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import type { PageLoad } from './$types';

/** The partner's team (partner administrators only; others get the "no access" page). */
export const load: PageLoad = async ({ fetch, url }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const team = await loadFromApi(url, () => api.GET('/api/v1/access/team'));
	return { team };
};
