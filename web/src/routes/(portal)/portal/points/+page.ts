import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { beforeParam } from '#lib/ledger/ledger.ts';
import { ownStatementCsvHref, statementFilters, statementQuery } from '#lib/ledger/reports.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

const LIMIT = 25;

/**
 * The company's balances and statement, one keyset page at a time (`?before=<entryId>`), optionally
 * filtered by days (`from`, `to`, both included) and kind; the CSV link carries the same filters.
 */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'ledger:read-own')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const before = beforeParam(url);
	const filters = statementFilters(url);
	const [balances, statement] = await Promise.all([
		loadFromApi(url, () => api.GET('/api/v1/ledger/me/balances')),
		loadFromApi(url, () =>
			api.GET('/api/v1/ledger/me/statement.json', {
				params: { query: { limit: LIMIT, ...statementQuery(filters), ...(before ? { before } : {}) } }
			})
		)
	]);
	return { balances, statement, before: before ?? null, filters, csvHref: ownStatementCsvHref(filters) };
};
