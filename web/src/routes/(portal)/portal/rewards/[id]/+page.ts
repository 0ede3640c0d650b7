import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/**
 * One reward as the partner sees it. The API has no single-reward read for partners, so the page reads the catalogue
 * (the partner's program, in the person's language, with the reasons) and picks the reward; one that is not offered
 * is "not found".
 */
export const load: PageLoad = async ({ fetch, url, params, parent }) => {
	const { session } = await parent();
	if (!can(session, 'catalogue:order')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const offer = await loadFromApi(url, () => api.GET('/api/v1/catalogue/offer', { params: { query: { sort: 'name' } } }));
	if (!offer.ok) return { offer, item: null, balance: 0 };
	const item = offer.data.items.find((i) => i.reward.id === params.id);
	if (!item) error(404, 'Not found');
	return { offer, item, balance: offer.data.balance };
};
