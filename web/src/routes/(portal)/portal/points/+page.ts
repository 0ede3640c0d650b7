import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { beforeParam, loadSection } from '#lib/ledger/ledger.ts';
import { ownStatementCsvHref, statementFilters, statementQuery } from '#lib/ledger/reports.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

const LIMIT = 25;
/** Lines of the person's own (rep) statement shown: the latest ones. */
const REP_LIMIT = 25;

/**
 * The company's balances and statement, one keyset page at a time (`?before=<entryId>`), optionally
 * filtered by days (`from`, `to`, both included) and kind; the CSV link carries the same filters.
 * Also what expires when (the open lots), and the signed-in person's own (rep) wallet: its balances
 * and latest lines, each a section of its own that fails alone.
 */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'ledger:read-own')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const before = beforeParam(url);
	const filters = statementFilters(url);
	const [balances, statement, lots, repBalances, repStatement] = await Promise.all([
		loadFromApi(url, () => api.GET('/api/v1/ledger/me/balances')),
		loadFromApi(url, () =>
			api.GET('/api/v1/ledger/me/statement.json', {
				params: { query: { limit: LIMIT, ...statementQuery(filters), ...(before ? { before } : {}) } }
			})
		),
		loadSection(url, () => api.GET('/api/v1/ledger/me/lots')),
		loadSection(url, () => api.GET('/api/v1/ledger/me/rep/balances')),
		loadSection(url, () => api.GET('/api/v1/ledger/me/rep/statement', { params: { query: { limit: REP_LIMIT } } }))
	]);
	return {
		balances,
		statement,
		lots,
		rep: { balances: repBalances, statement: repStatement, limit: REP_LIMIT },
		before: before ?? null,
		filters,
		csvHref: ownStatementCsvHref(filters)
	};
};
