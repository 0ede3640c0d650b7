import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import type { PageLoad } from './$types';

/** API keys for integrations (prefix, scopes, last use); never the secret. */
export const load: PageLoad = async ({ fetch, url }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const keys = await loadFromApi(url, () => api.GET('/api/v1/access/api-keys'));
	return { keys };
};
