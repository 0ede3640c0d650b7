import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { isRuleStatus } from '#lib/earning/earning.ts';
import type { PageLoad } from './$types';

/**
 * A program's earning rules, every version (by code, newest version first): `?program=` (default the first program),
 * `?status=` and `?code=` narrow the list.
 */
export const load: PageLoad = async ({ fetch, url }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const param = (name: string) => url.searchParams.get(name)?.trim() || undefined;
	const status = param('status');
	const filters = { programId: param('program'), status: isRuleStatus(status) ? status : undefined, code: param('code') };
	const programs = await loadFromApi(url, () => api.GET('/api/v1/programs/'));
	const program = programs.ok ? (programs.data.items.find((p) => p.id === filters.programId) ?? programs.data.items[0]) : undefined;
	const rules = program
		? await loadFromApi(url, () =>
				api.GET('/api/v1/earning/rules', {
					params: { query: { programId: program.id, ...(filters.status ? { status: filters.status } : {}), ...(filters.code ? { code: filters.code } : {}) } }
				})
			)
		: null;
	return { programs, program: program ?? null, filters, rules };
};
