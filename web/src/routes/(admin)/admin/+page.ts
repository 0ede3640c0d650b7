import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** The admin panel's start: the applications waiting for a decision, and the sections. */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'partners:read')) return { applications: null };
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const applications = await loadFromApi(url, () =>
		api.GET('/api/v1/partners/', { params: { query: { status: 'applied', limit: 5 } } })
	);
	return { applications };
};
