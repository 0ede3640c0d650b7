import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import type { PageLoad } from './$types';

/** The partner user's company, its program and their account manager. */
export const load: PageLoad = async ({ fetch, url }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const mine = await loadFromApi(url, () => api.GET('/api/v1/partners/me'));
	return { mine };
};
