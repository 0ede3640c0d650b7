import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { loadSection } from '#lib/ledger/ledger.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** The partner user's company, its program, their account manager and the company's points. */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const [mine, balances] = await Promise.all([
		loadFromApi(url, () => api.GET('/api/v1/partners/me')),
		can(session, 'ledger:read-own')
			? loadSection(url, () => api.GET('/api/v1/ledger/me/balances'))
			: Promise.resolve(null)
	]);
	return { mine, balances };
};
