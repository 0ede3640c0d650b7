import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { isOrderStatus } from '#lib/catalogue/catalogue.ts';
import { UUID } from '#lib/earning/earning.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

const LIMIT = 25;

/**
 * The partner's orders, newest first, a keyset page at a time (`?before=`), optionally of one status. Orders carry the
 * reward's SKU only, so the names come from the catalogue (a reward no longer offered shows its SKU).
 */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'catalogue:order')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const status = url.searchParams.get('status') ?? '';
	const before = url.searchParams.get('before') ?? '';
	const [orders, offer] = await Promise.all([
		loadFromApi(url, () =>
			api.GET('/api/v1/catalogue/me/orders', {
				params: { query: { limit: LIMIT, ...(isOrderStatus(status) ? { status } : {}), ...(UUID.test(before) ? { before } : {}) } }
			})
		),
		loadOptional(() => api.GET('/api/v1/catalogue/offer', { params: { query: { sort: 'name' } } }))
	]);
	const names: Record<string, string> = Object.fromEntries((offer?.items ?? []).map((i) => [i.reward.id, i.reward.name]));
	return { orders, names, status: isOrderStatus(status) ? status : '', before: UUID.test(before) ? before : null };
};
