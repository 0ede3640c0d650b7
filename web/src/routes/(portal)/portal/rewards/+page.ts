import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { offerFilters, offerQuery } from '#lib/catalogue/catalogue.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/**
 * The partner's catalogue with the filters of the query string (search, type, category, sort, only what can be
 * ordered) and the available balance. The categories of the filter come from the whole catalogue, so choosing one
 * does not make the others disappear.
 */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'catalogue:order')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const filters = offerFilters(url);
	const filtered = Boolean(filters.q || filters.type || filters.category || filters.orderableOnly);
	const [offer, all] = await Promise.all([
		loadFromApi(url, () => api.GET('/api/v1/catalogue/offer', { params: { query: offerQuery(filters) } })),
		filtered ? loadOptional(() => api.GET('/api/v1/catalogue/offer', { params: { query: { sort: 'name' } } })) : Promise.resolve(null)
	]);
	return { offer, all, filters, filtered };
};
