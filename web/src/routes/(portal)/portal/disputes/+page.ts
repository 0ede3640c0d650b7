import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { newNonce } from '#lib/disputes/disputes.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/**
 * The company's disputes, newest first, and the form to file one; `?entryId=` (the statement line's
 * "Dispute" action) preselects a dispute about that entry.
 */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'disputes:file')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const disputes = await loadFromApi(url, () => api.GET('/api/v1/earning/disputes', { params: { query: { limit: 100 } } }));
	const entry = url.searchParams.get('entryId') ?? '';
	return { disputes, entryId: /^\d{1,15}$/.test(entry) ? entry : '', nonce: newNonce() };
};
