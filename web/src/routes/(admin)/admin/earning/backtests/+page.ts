import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { UUID, dayIn } from '#lib/earning/earning.ts';
import { formNonce } from '#lib/ledger/ledger.ts';
import type { PageLoad } from './$types';

/**
 * A program's backtests (`?program=`, default the first program), newest first, and what starting one needs: the
 * program's draft rules, and a default period (the last full calendar month in the program's time zone).
 */
export const load: PageLoad = async ({ fetch, url }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const programs = await loadFromApi(url, () => api.GET('/api/v1/programs/'));
	const wanted = url.searchParams.get('program')?.trim();
	const program = programs.ok ? (programs.data.items.find((p) => p.id === wanted) ?? programs.data.items[0]) : undefined;
	const [backtests, drafts] = program
		? await Promise.all([
				loadFromApi(url, () => api.GET('/api/v1/earning/backtests', { params: { query: { programId: program.id } } })),
				loadFromApi(url, () => api.GET('/api/v1/earning/rules', { params: { query: { programId: program.id, status: 'draft' } } }))
			])
		: [null, null];
	const today = dayIn(new Date().toISOString(), program?.timeZone ?? 'UTC') ?? '';
	const [y, m] = today.split('-').map(Number) as [number, number];
	const first = new Date(Date.UTC(y, m - 2, 1));
	const last = new Date(Date.UTC(y, m - 1, 0));
	const day = (d: Date) => d.toISOString().slice(0, 10);
	// `?rule=`: a draft's page links here with that draft chosen.
	const chosen = url.searchParams.getAll('rule').filter((id) => UUID.test(id));
	return { programs, program: program ?? null, backtests, drafts, chosen, period: { from: today ? day(first) : '', to: today ? day(last) : '' }, nonce: formNonce() };
};
