import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import type { PageLoad } from './$types';

/** People: staff and partner users (`?kind=admin|partner` narrows the list). */
export const load: PageLoad = async ({ fetch, url }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const param = url.searchParams.get('kind');
	const kind = param === 'admin' || param === 'partner' ? param : undefined;
	const users = await loadFromApi(url, () =>
		api.GET('/api/v1/access/users', { params: { query: { kind } } })
	);
	return { kind: kind ?? null, users };
};
