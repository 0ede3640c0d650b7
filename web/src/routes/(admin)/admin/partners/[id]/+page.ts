import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One partner, with its program's name and the staff who can be its account manager. */
export const load: PageLoad = async ({ fetch, url, params, parent }) => {
	if (!UUID.test(params.id)) error(404, 'Not found');
	const { session } = await parent();
	const api = createApiClient({ fetch, baseUrl: url.origin });

	const [partner, programs, admins] = await Promise.all([
		loadFromApi(url, () => api.GET('/api/v1/partners/{id}', { params: { path: { id: params.id } } }), {
			notFound: true
		}),
		loadOptional(() => api.GET('/api/v1/programs/')),
		can(session, 'users:read')
			? loadOptional(() => api.GET('/api/v1/access/users', { params: { query: { kind: 'admin' } } }))
			: Promise.resolve(null)
	]);

	return {
		partner,
		programs: programs?.items ?? [],
		// Null when this person may not list users: the page then cannot name the account manager.
		admins: admins ? admins.items.filter((user) => user.status === 'active') : null
	};
};
