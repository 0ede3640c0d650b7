import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { loadSection } from '#lib/ledger/ledger.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** A partner's tier, protection and override, its progress and its history; the track's tiers for an override. */
export const load: PageLoad = async ({ fetch, url, params, parent }) => {
	const { session } = await parent();
	if (!can(session, 'tiers:read')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const path = { params: { path: { partnerId: params.id } } };
	const partner = await loadFromApi(url, () => api.GET('/api/v1/partners/{id}', { params: { path: { id: params.id } } }), { notFound: true });
	const [tier, progress, history] = await Promise.all([
		loadSection(url, () => api.GET('/api/v1/tiers/partners/{partnerId}', path)),
		loadSection(url, () => api.GET('/api/v1/tiers/partners/{partnerId}/progress', path)),
		loadSection(url, () => api.GET('/api/v1/tiers/partners/{partnerId}/history', { params: { path: { partnerId: params.id }, query: { limit: 50 } } }))
	]);
	const track = tier.ok ? await loadSection(url, () => api.GET('/api/v1/tiers/tracks/{id}', { params: { path: { id: tier.data.track.id } } })) : null;
	return { partner, tier, progress, history, track, canManage: can(session, 'tiers:manage') };
};
