import { createApiClient } from '#lib/api/client.ts';
import { fetchHealth } from '#lib/api/health.ts';
import type { PageLoad } from './$types';

/**
 * Universal load: during SSR the request goes through `handleFetch` to the API, and the response is
 * inlined into the HTML, so hydration does not ask again; on client-side navigation and refresh
 * the browser calls the API (same origin) directly.
 */
export const load: PageLoad = async ({ fetch, url, depends }) => {
	depends('laurel:health');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	return { health: await fetchHealth(api) };
};
