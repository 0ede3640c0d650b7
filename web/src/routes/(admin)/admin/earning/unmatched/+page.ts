import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { UUID } from '#lib/earning/earning.ts';
import { formNonce } from '#lib/ledger/ledger.ts';
import type { PageLoad } from './$types';

/**
 * The unmatched queue, newest first (`?before=` pages back). Without JavaScript the partner search of one event's
 * form reloads the page with `?eventId=&q=`: the partners found are loaded here.
 */
export const load: PageLoad = async ({ fetch, url }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const before = url.searchParams.get('before') ?? '';
	const eventId = url.searchParams.get('eventId') ?? '';
	const q = url.searchParams.get('q')?.trim() ?? '';
	const events = await loadFromApi(url, () =>
		api.GET('/api/v1/earning/unmatched', { params: { query: { limit: 50, ...(UUID.test(before) ? { before } : {}) } } })
	);
	let search: { eventId: string; q: string; results: { id: string; legalName: string; partnerCode: string; nip: string | null; status: string }[] } | null = null;
	if (UUID.test(eventId) && q.length >= 2 && events.ok) {
		const programId = events.data.items.find((e) => e.id === eventId)?.programId ?? undefined;
		const found = await loadOptional(() => api.GET('/api/v1/partners/', { params: { query: { q, limit: 10, ...(programId ? { programId } : {}) } } }));
		search = {
			eventId,
			q,
			results: (found?.items ?? []).map((p) => ({ id: p.id, legalName: p.legalName, partnerCode: p.partnerCode, nip: p.nip, status: p.status }))
		};
	}
	return { events, before: UUID.test(before) ? before : null, search, nonce: formNonce() };
};
