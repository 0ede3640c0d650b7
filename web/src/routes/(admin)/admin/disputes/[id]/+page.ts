import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** One dispute for support: the thread, the partner's balances, and the forms to reply, resolve or reject. */
export const load: PageLoad = async ({ fetch, url, params, parent }) => {
	const { session } = await parent();
	if (!can(session, 'disputes:manage')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const dispute = await loadFromApi(url, () => api.GET('/api/v1/earning/staff/disputes/{id}', { params: { path: { id: params.id } } }), { notFound: true });
	const balances =
		dispute.ok && can(session, 'ledger:read')
			? ((await api.GET('/api/v1/ledger/partners/{partnerId}/balances', { params: { path: { partnerId: dispute.data.partnerId } } })).data ?? null)
			: null;
	return { dispute, balances };
};
