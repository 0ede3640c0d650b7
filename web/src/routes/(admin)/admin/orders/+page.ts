import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { isOrderStatus } from '#lib/catalogue/catalogue.ts';
import { UUID } from '#lib/earning/earning.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

const LIMIT = 50;

/** Orders, newest first, of one status (`?status=`, e.g. awaiting approval or shipment) or all; reward names from the rewards. */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'catalogue:manage')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const given = url.searchParams.get('status') ?? '';
	const status = isOrderStatus(given) ? given : '';
	const before = url.searchParams.get('before') ?? '';
	const [orders, rewards] = await Promise.all([
		loadFromApi(url, () =>
			api.GET('/api/v1/catalogue/orders', { params: { query: { limit: LIMIT, ...(status ? { status } : {}), ...(UUID.test(before) ? { before } : {}) } } })
		),
		loadOptional(() => api.GET('/api/v1/catalogue/rewards'))
	]);
	const names = Object.fromEntries((rewards?.items ?? []).map((r) => [r.id, r.name]));
	return { orders, names, status, before: UUID.test(before) ? before : null };
};
