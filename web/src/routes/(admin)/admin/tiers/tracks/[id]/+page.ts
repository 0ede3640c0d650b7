import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** A track with its tiers, to change; the metrics conditions may name; the program (for its currency). */
export const load: PageLoad = async ({ fetch, url, params, parent }) => {
	const { session } = await parent();
	if (!can(session, 'tiers:manage')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const track = await loadFromApi(url, () => api.GET('/api/v1/tiers/tracks/{id}', { params: { path: { id: params.id } } }), { notFound: true });
	const [metrics, program] = await Promise.all([
		loadFromApi(url, () => api.GET('/api/v1/tiers/metrics')),
		track.ok ? loadFromApi(url, () => api.GET('/api/v1/programs/{id}', { params: { path: { id: track.data.programId } } })) : Promise.resolve(null)
	]);
	return { track, metrics, program };
};
