import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { beforeParam, formNonce, loadSection } from '#lib/ledger/ledger.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LIMIT = 25;

/**
 * A partner's balances and statement, one keyset page at a time (`?before=<entryId>`), what expires when (the open
 * lots), and the partner's people with the balances of each one's own (rep) wallet: one request per person, a
 * partner having a handful of people. Without `users:read` the people are not listed.
 */
export const load: PageLoad = async ({ fetch, url, params, parent }) => {
	if (!UUID.test(params.id)) error(404, 'Not found');
	const { session } = await parent();
	if (!can(session, 'ledger:read')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const before = beforeParam(url);

	const [partner, balances, statement, lots, reps] = await Promise.all([
		loadFromApi(url, () => api.GET('/api/v1/partners/{id}', { params: { path: { id: params.id } } }), {
			notFound: true
		}),
		loadFromApi(url, () =>
			api.GET('/api/v1/ledger/partners/{partnerId}/balances', { params: { path: { partnerId: params.id } } })
		),
		loadFromApi(url, () =>
			api.GET('/api/v1/ledger/partners/{partnerId}/statement', {
				params: { path: { partnerId: params.id }, query: { limit: LIMIT, ...(before ? { before } : {}) } }
			})
		),
		loadSection(url, () =>
			api.GET('/api/v1/ledger/partners/{partnerId}/lots', { params: { path: { partnerId: params.id } } })
		),
		can(session, 'users:read') ? loadReps() : Promise.resolve(null)
	]);

	async function loadReps() {
		const people = await loadSection(url, () =>
			api.GET('/api/v1/access/users', { params: { query: { kind: 'partner', partnerId: params.id } } })
		);
		if (!people.ok) return people;
		const rows = await Promise.all(
			people.data.items.map(async (person) => ({
				id: person.id,
				displayName: person.displayName,
				email: person.email,
				balances: await loadSection(url, () =>
					api.GET('/api/v1/ledger/partners/{partnerId}/reps/{userId}/balances', {
						params: { path: { partnerId: params.id, userId: person.id } }
					})
				)
			}))
		);
		return { ok: true as const, data: rows };
	}

	// Source of the idempotency keys of this rendering's ledger forms (a new one after each change).
	return { partner, balances, statement, lots, reps, before: before ?? null, nonce: formNonce() };
};
