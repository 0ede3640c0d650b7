import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/**
 * One import's progress and outcome (`partners:write`, like starting it). The page polls for fresh
 * progress while it runs; without JavaScript it offers a link that reloads it.
 */
export const load: PageLoad = async ({ fetch, url, params, parent }) => {
	const { session } = await parent();
	if (!can(session, 'partners:write')) error(403, 'partners:write');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const job = await loadFromApi(
		url,
		() => api.GET('/api/v1/partners/imports/{id}', { params: { path: { id: params.id } } }),
		{ notFound: true }
	);
	// An id that is not even a UUID names no import.
	if (!job.ok && job.status === 400) error(404, 'Not found');
	const program = job.ok
		? await loadOptional(() =>
				api.GET('/api/v1/programs/{id}', { params: { path: { id: job.data.programId } } })
			)
		: null;
	return { job, program };
};
