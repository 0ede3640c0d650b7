import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { UUID, dayIn } from '#lib/earning/earning.ts';
import { formNonce } from '#lib/ledger/ledger.ts';
import type { PageLoad } from './$types';

/** One version of an earning rule, the other versions of its code, its program (currency, time zone) and a nonce. */
export const load: PageLoad = async ({ fetch, url, params }) => {
	if (!UUID.test(params.id)) error(404, 'Not found');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const rule = await loadFromApi(url, () => api.GET('/api/v1/earning/rules/{id}', { params: { path: { id: params.id } } }), { notFound: true });
	if (!rule.ok) return { rule, program: null, versions: null, nonce: formNonce(), today: '' };
	const [program, versions] = await Promise.all([
		loadOptional(() => api.GET('/api/v1/programs/{id}', { params: { path: { id: rule.data.programId } } })),
		loadFromApi(url, () => api.GET('/api/v1/earning/rules', { params: { query: { programId: rule.data.programId, code: rule.data.code } } }))
	]);
	const today = dayIn(new Date().toISOString(), program?.timeZone ?? 'UTC') ?? '';
	return { rule, program, versions, nonce: formNonce(), today };
};
