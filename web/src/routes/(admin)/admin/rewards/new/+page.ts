import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { formNonce } from '#lib/ledger/ledger.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** The programs a reward can belong to, their active suppliers (rewards fulfilled by a supplier), and the nonce that makes a double submit create one reward. */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'catalogue:manage')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const [programs, suppliers, providers] = await Promise.all([
		loadFromApi(url, () => api.GET('/api/v1/programs/')),
		loadOptional(() => api.GET('/api/v1/catalogue/suppliers')),
		loadOptional(() => api.GET('/api/v1/catalogue/fulfilment-providers'))
	]);
	const active = (suppliers?.items ?? []).filter((s) => s.status === 'active').map((s) => ({ id: s.id, programId: s.programId, name: s.name }));
	return { programs, suppliers: active, providers: providers?.items ?? [], nonce: formNonce() };
};
