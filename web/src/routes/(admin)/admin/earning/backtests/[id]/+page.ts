import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { UUID } from '#lib/earning/earning.ts';
import type { PageLoad } from './$types';

/** One backtest (progress, then its result) and its program (currency, time zone). */
export const load: PageLoad = async ({ fetch, url, params, depends }) => {
	if (!UUID.test(params.id)) error(404, 'Not found');
	depends('earning:backtest');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const backtest = await loadFromApi(url, () => api.GET('/api/v1/earning/backtests/{id}', { params: { path: { id: params.id } } }), { notFound: true });
	const program = backtest.ok ? await loadOptional(() => api.GET('/api/v1/programs/{id}', { params: { path: { id: backtest.data.programId } } })) : null;
	return { backtest, program };
};
