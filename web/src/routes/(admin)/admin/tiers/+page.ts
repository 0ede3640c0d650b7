import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** A program's tracks and tiers with how many partners are in each: `?program=` (default the first program). */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'tiers:read')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const programs = await loadFromApi(url, () => api.GET('/api/v1/programs/'));
	const wanted = url.searchParams.get('program')?.trim();
	const program = programs.ok ? (programs.data.items.find((p) => p.id === wanted) ?? programs.data.items[0]) : undefined;
	if (!program) return { programs, program: null, tracks: null, distribution: null };
	const query = { params: { query: { programId: program.id } } };
	const [tracks, distribution] = await Promise.all([
		loadFromApi(url, () => api.GET('/api/v1/tiers/tracks', query)),
		loadFromApi(url, () => api.GET('/api/v1/tiers/distribution', query))
	]);
	return { programs, program, tracks, distribution };
};
