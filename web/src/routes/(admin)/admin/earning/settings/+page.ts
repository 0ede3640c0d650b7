import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import type { PageLoad } from './$types';

/** A program's guardrail settings: `?program=` (default the first program). */
export const load: PageLoad = async ({ fetch, url }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const programs = await loadFromApi(url, () => api.GET('/api/v1/programs/'));
	const wanted = url.searchParams.get('program')?.trim();
	const program = programs.ok ? (programs.data.items.find((p) => p.id === wanted) ?? programs.data.items[0]) : undefined;
	const settings = program
		? await loadFromApi(url, () => api.GET('/api/v1/earning/settings/{programId}', { params: { path: { programId: program.id } } }))
		: null;
	return { programs, program: program ?? null, settings };
};
