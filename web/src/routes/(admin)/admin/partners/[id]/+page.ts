import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { formNonce, loadSection } from '#lib/ledger/ledger.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** Statement lines shown on the partner's page; the points page has them all. */
const LATEST_LINES = 5;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One partner, with its program's name, the staff who can be its account manager and, for people
 * who read the ledger, its balances and latest statement lines.
 */
export const load: PageLoad = async ({ fetch, url, params, parent }) => {
	if (!UUID.test(params.id)) error(404, 'Not found');
	const { session } = await parent();
	const api = createApiClient({ fetch, baseUrl: url.origin });

	const readsLedger = can(session, 'ledger:read');
	const ledgerPath = { params: { path: { partnerId: params.id } } };
	const [partner, programs, admins, balances, statement] = await Promise.all([
		loadFromApi(url, () => api.GET('/api/v1/partners/{id}', { params: { path: { id: params.id } } }), {
			notFound: true
		}),
		loadOptional(() => api.GET('/api/v1/programs/')),
		can(session, 'users:read')
			? loadOptional(() => api.GET('/api/v1/access/users', { params: { query: { kind: 'admin' } } }))
			: Promise.resolve(null),
		readsLedger
			? loadSection(url, () => api.GET('/api/v1/ledger/partners/{partnerId}/balances', ledgerPath))
			: Promise.resolve(null),
		readsLedger
			? loadSection(url, () =>
					api.GET('/api/v1/ledger/partners/{partnerId}/statement', {
						params: { path: { partnerId: params.id }, query: { limit: LATEST_LINES } }
					})
				)
			: Promise.resolve(null)
	]);

	return {
		partner,
		programs: programs?.items ?? [],
		// Null when this person may not list users: the page then cannot name the account manager.
		admins: admins ? admins.items.filter((user) => user.status === 'active') : null,
		// Null when this person may not read the ledger: the page then has no points section.
		points: balances && statement ? { balances, statement } : null,
		// Source of the idempotency keys of this rendering's ledger forms (a new one after each change).
		nonce: formNonce()
	};
};
