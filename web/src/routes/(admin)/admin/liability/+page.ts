import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { liabilityFilters, liabilityQuery } from '#lib/ledger/reports.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/**
 * A program's points liability: outstanding points at the end of a day (`asOf`, default now) and
 * the points redeemed and expired in a period of whole days (`from`, `to`), valued at the point
 * value of the as-of date. `?program=` picks the program (default: the first one).
 */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'ledger:liability')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const filters = liabilityFilters(url);
	const programs = await loadFromApi(url, () => api.GET('/api/v1/programs/'));
	const programId = filters.programId ?? (programs.ok ? programs.data.items[0]?.id : undefined);
	const liability = programId
		? await loadFromApi(url, () =>
				api.GET('/api/v1/ledger/programs/{programId}/liability', {
					params: { path: { programId }, query: liabilityQuery(filters) }
				})
			)
		: null;
	return { programs, programId: programId ?? null, filters, liability };
};
