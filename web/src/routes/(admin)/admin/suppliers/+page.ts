import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { formNonce } from '#lib/ledger/ledger.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** The suppliers of every program by name (never their secrets), the programs a new one can belong to, and a nonce. */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'catalogue:manage')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const [suppliers, programs] = await Promise.all([
		loadFromApi(url, () => api.GET('/api/v1/catalogue/suppliers')),
		loadOptional(() => api.GET('/api/v1/programs/'))
	]);
	return { suppliers, programs: programs?.items ?? [], nonce: formNonce() };
};
