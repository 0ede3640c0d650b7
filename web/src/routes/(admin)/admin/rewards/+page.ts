import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { isRewardStatus, isRewardType } from '#lib/catalogue/catalogue.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** Every reward of every status, newest first, filtered by search, status and type. */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'catalogue:manage')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const q = (url.searchParams.get('q') ?? '').trim().slice(0, 100);
	const status = url.searchParams.get('status') ?? '';
	const type = url.searchParams.get('type') ?? '';
	const filters = { q, status: isRewardStatus(status) ? status : '', type: isRewardType(type) ? type : '' } as const;
	const rewards = await loadFromApi(url, () =>
		api.GET('/api/v1/catalogue/rewards', {
			params: { query: { ...(q ? { q } : {}), ...(filters.status ? { status: filters.status } : {}), ...(filters.type ? { type: filters.type } : {}) } }
		})
	);
	return { rewards, filters, filtered: Boolean(q || filters.status || filters.type) };
};
