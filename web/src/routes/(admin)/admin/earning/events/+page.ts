import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { UUID, collectMatching, eventMatches, isEventStatus, isEventType, type EarningEvent, type EventFilters, type EventPage } from '#lib/earning/earning.ts';
import type { PageLoad } from './$types';

const PAGE_SIZE = 50;
const READ_SIZE = 200;
/** With filters the API does not apply (partner, type, dates), at most this many of its pages are read per page. */
const MAX_READS = 5;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Received events, newest first. The API filters by status, program and source; the partner (name, NIP, PartnerID,
 * id), the event type and a period of the event's date are applied here, reading the API's pages until a page is full
 * (`?before=` continues after the last event looked at).
 */
export const load: PageLoad = async ({ fetch, url }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const param = (name: string) => url.searchParams.get(name)?.trim() || undefined;
	const status = param('status');
	const type = param('type');
	const before = param('before');
	const filters = {
		status: isEventStatus(status) ? status : undefined,
		programId: param('program') && UUID.test(param('program')!) ? param('program') : undefined,
		source: param('source'),
		partner: param('partner'),
		type: isEventType(type) ? type : undefined,
		from: param('from') && DAY.test(param('from')!) ? param('from') : undefined,
		to: param('to') && DAY.test(param('to')!) ? param('to') : undefined
	};
	const local: EventFilters = { partner: filters.partner, type: filters.type, from: filters.from, to: filters.to };
	const filtering = Boolean(local.partner || local.type || local.from || local.to);

	const names: Record<string, string> = {};
	async function nameOf(id: string) {
		if (!(id in names)) {
			const partner = await loadOptional(() => api.GET('/api/v1/partners/{id}', { params: { path: { id } } }));
			names[id] = partner?.legalName ?? '';
		}
		return names[id];
	}

	const read = (from: string | undefined, limit: number) =>
		loadFromApi(url, () =>
			api.GET('/api/v1/earning/events', {
				params: {
					query: {
						limit,
						...(filters.status ? { status: filters.status } : {}),
						...(filters.programId ? { programId: filters.programId } : {}),
						...(filters.source ? { source: filters.source } : {}),
						...(from && UUID.test(from) ? { before: from } : {})
					}
				}
			})
		);

	const [programs, events] = await Promise.all([
		loadOptional(() => api.GET('/api/v1/programs/')),
		(async () => {
			if (!filtering) {
				const page = await read(before, PAGE_SIZE);
				return page.ok ? { ...page, scanned: page.data.items.length } : page;
			}
			let failure: Awaited<ReturnType<typeof read>> | null = null;
			const collected = await collectMatching<EarningEvent>(
				async (from) => {
					const page = await read(from, READ_SIZE);
					if (!page.ok) {
						failure = page;
						return { items: [], nextBefore: null };
					}
					return page.data;
				},
				async (event) => {
					if (local.partner && event.partnerId) await nameOf(event.partnerId);
					return eventMatches(event, local, names);
				},
				{ limit: PAGE_SIZE, maxReads: MAX_READS, before }
			);
			if (failure) return failure as Exclude<Awaited<ReturnType<typeof read>>, { ok: true }>;
			return { ok: true as const, data: { items: collected.items, nextBefore: collected.nextBefore } satisfies EventPage, scanned: collected.scanned };
		})()
	]);

	if (events.ok) await Promise.all([...new Set(events.data.items.map((e) => e.partnerId).filter((id): id is string => Boolean(id)))].map(nameOf));
	return { filters, filtering, before: before ?? null, events, names, programs: programs?.items ?? [] };
};
