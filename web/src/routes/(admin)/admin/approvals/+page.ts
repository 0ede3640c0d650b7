import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

const STATUSES = ['pending', 'posted', 'rejected', 'lapsed', 'failed'] as const;
type Status = (typeof STATUSES)[number];

/**
 * Four eyes: manual adjustments and reversals above a program's threshold, waiting for a second
 * admin (`?status=` narrows the list; pending by default, `all` shows every request), and each
 * program's approval threshold.
 */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'ledger:read')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const param = url.searchParams.get('status') ?? 'pending';
	const status: Status | null = (STATUSES as readonly string[]).includes(param) ? (param as Status) : null;

	const [requests, programs] = await Promise.all([
		loadFromApi(url, () =>
			api.GET('/api/v1/ledger/adjustment-requests', {
				params: { query: { limit: 100, ...(status ? { status } : {}) } }
			})
		),
		can(session, 'programs:read')
			? api.GET('/api/v1/programs/').then((r) => r.data?.items ?? [])
			: Promise.resolve([])
	]);

	// Names of the partners and each program's policy; a read that fails leaves a gap, not an error page.
	const partnerIds = requests.ok ? [...new Set(requests.data.items.map((r) => r.partnerId))] : [];
	const [partners, policies] = await Promise.all([
		Promise.all(
			partnerIds.map(async (id) => {
				const r = await api.GET('/api/v1/partners/{id}', { params: { path: { id } } });
				return [id, r.data?.legalName ?? null] as const;
			})
		),
		Promise.all(
			programs.map(async (program) => {
				const r = await api.GET('/api/v1/ledger/programs/{programId}/policy', {
					params: { path: { programId: program.id } }
				});
				return { program: { id: program.id, code: program.code, name: program.name }, policy: r.data ?? null };
			})
		)
	]);

	return { status: status ?? 'all', requests, partnerNames: Object.fromEntries(partners), policies };
};
