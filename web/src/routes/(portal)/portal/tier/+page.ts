import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadSection } from '#lib/ledger/ledger.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** The company's tier with its benefits, the progress to the next one and its history; each part fails alone. */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'tiers:read-own')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const [tier, progress, history] = await Promise.all([
		loadSection(url, () => api.GET('/api/v1/tiers/me')),
		loadSection(url, () => api.GET('/api/v1/tiers/me/progress')),
		loadSection(url, () => api.GET('/api/v1/tiers/me/history', { params: { query: { limit: 20 } } }))
	]);
	return { tier, progress, history };
};
