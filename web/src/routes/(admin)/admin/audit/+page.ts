import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import type { PageLoad } from './$types';

const LIMIT = 50;

/** The audit trail, newest first, optionally for one subject (`subjectType`, `subjectId`). */
export const load: PageLoad = async ({ fetch, url }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const param = (name: string) => url.searchParams.get(name)?.trim() || undefined;
	const filters = { subjectType: param('subjectType'), subjectId: param('subjectId') };
	const records = await loadFromApi(url, () =>
		api.GET('/api/v1/audit/records', { params: { query: { ...filters, limit: LIMIT } } })
	);
	return { filters, records, limit: LIMIT };
};
