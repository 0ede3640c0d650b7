import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { UUID, invoiceSummary } from '#lib/earning/earning.ts';
import { isReviewStatus } from '#lib/earning/guardrails.ts';
import { formNonce } from '#lib/ledger/ledger.ts';
import type { PageLoad } from './$types';

/**
 * The review queue: events a guardrail held back, newest first — `?status=` (open by default, approved, rejected) and
 * `?before=` to page back. The partners (held and "other") and the events' invoice numbers are looked up for the page.
 */
export const load: PageLoad = async ({ fetch, url }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const statusParam = url.searchParams.get('status');
	const status = isReviewStatus(statusParam) ? statusParam : 'open';
	const beforeParam = url.searchParams.get('before') ?? '';
	const before = UUID.test(beforeParam) ? beforeParam : null;
	const reviews = await loadFromApi(url, () =>
		api.GET('/api/v1/earning/reviews', { params: { query: { status, limit: 50, ...(before ? { before } : {}) } } })
	);
	const partnerIds = new Set<string>();
	const eventIds = new Set<string>();
	if (reviews.ok) {
		for (const review of reviews.data.items) {
			partnerIds.add(review.partnerId);
			eventIds.add(review.eventId);
			for (const reason of review.reasons) if (reason.otherPartnerId) partnerIds.add(reason.otherPartnerId);
		}
	}
	const [partners, events] = await Promise.all([
		Promise.all([...partnerIds].map((id) => loadOptional(() => api.GET('/api/v1/partners/{id}', { params: { path: { id } } })))),
		Promise.all([...eventIds].map((id) => loadOptional(() => api.GET('/api/v1/earning/events/{id}', { params: { path: { id } } }))))
	]);
	const partnerNames: Record<string, string> = {};
	for (const partner of partners) if (partner) partnerNames[partner.id] = partner.legalName;
	const invoices: Record<string, { number: string | null; currency: string | null; netTotal: number | null; source: string; externalId: string }> = {};
	for (const event of events) if (event) invoices[event.id] = { ...invoiceSummary(event.payload), source: event.source, externalId: event.externalId };
	return { reviews, status, before, partnerNames, invoices, nonce: formNonce() };
};
