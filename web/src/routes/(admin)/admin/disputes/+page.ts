import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { isDisputeStatus } from '#lib/disputes/disputes.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/**
 * The disputes queue, newest first, with overdue ones flagged; filtered by `status`, `overdue=1` and
 * `partnerId`. Below it, each program's time to settle a dispute.
 */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'disputes:manage')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const param = url.searchParams.get('status');
	const status = isDisputeStatus(param) ? param : null;
	const overdue = url.searchParams.get('overdue') === '1';
	const partnerParam = url.searchParams.get('partnerId') ?? '';
	const partnerId = /^[0-9a-f-]{36}$/i.test(partnerParam) ? partnerParam : null;
	const [disputes, programs] = await Promise.all([
		loadFromApi(url, () =>
			api.GET('/api/v1/earning/staff/disputes', {
				params: { query: { limit: 100, ...(status ? { status } : {}), ...(overdue ? { overdue: true } : {}), ...(partnerId ? { partnerId } : {}) } }
			})
		),
		can(session, 'programs:read') ? api.GET('/api/v1/programs/').then((r) => r.data?.items ?? []) : Promise.resolve([])
	]);
	const policies = await Promise.all(
		programs.map(async (program) => {
			const r = await api.GET('/api/v1/earning/programs/{programId}/dispute-policy', { params: { path: { programId: program.id } } });
			return { program: { id: program.id, name: program.name }, policy: r.data ?? null };
		})
	);
	return { disputes, status, overdue, partnerId, policies };
};
