import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** A new track of `?program=` (default the first program). */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'tiers:manage')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const programs = await loadFromApi(url, () => api.GET('/api/v1/programs/'));
	const wanted = url.searchParams.get('program')?.trim();
	const program = programs.ok ? (programs.data.items.find((p) => p.id === wanted) ?? programs.data.items[0] ?? null) : null;
	return { programs, program };
};
