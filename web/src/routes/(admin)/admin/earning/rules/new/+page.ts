import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { UUID, dayIn, prettyJson, sampleLabel } from '#lib/earning/earning.ts';
import { formNonce } from '#lib/ledger/ledger.ts';
import type { PageLoad } from './$types';

/**
 * The programs a rule can belong to (`?program=` first) and, with `?from=<rule id>`, that rule's values to start a
 * new version from, and the program's recent events to simulate the rule against as it is typed. The nonce is the
 * source of the double-submit guard of this rendering.
 */
export const load: PageLoad = async ({ fetch, url }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const from = url.searchParams.get('from') ?? '';
	const [programs, base, extensions] = await Promise.all([
		loadFromApi(url, () => api.GET('/api/v1/programs/')),
		UUID.test(from) ? loadOptional(() => api.GET('/api/v1/earning/rules/{id}', { params: { path: { id: from } } })) : Promise.resolve(null),
		loadOptional(() => api.GET('/api/v1/earning/rule-extensions'))
	]);
	const effectTypes = (extensions?.effects ?? []).map((e) => ({ id: e.id, label: e.label }));
	const programId = base?.programId ?? url.searchParams.get('program') ?? (programs.ok ? (programs.data.items[0]?.id ?? '') : '');
	const timeZone = (programs.ok ? programs.data.items.find((p) => p.id === programId)?.timeZone : undefined) ?? 'UTC';
	// The program's recent events that earn (invoices, deals …), to simulate the rule as typed against one of them.
	const recent = UUID.test(programId)
		? await loadOptional(() => api.GET('/api/v1/earning/events', { params: { query: { programId, status: 'processed', limit: 50 } } }))
		: null;
	const samples = (recent?.items ?? [])
		.filter((e) => !['invoice.paid', 'invoice.corrected', 'order.returned'].includes(e.type))
		.slice(0, 20)
		.map((e) => ({ id: e.id, label: sampleLabel(e, timeZone) }));
	const initial: Record<string, string | string[]> = base
		? {
				programId: base.programId,
				code: base.code,
				name: base.name,
				eventTypes: base.eventTypes,
				validFrom: dayIn(base.validFrom, timeZone) ?? '',
				validTo: base.validTo ? (dayIn(base.validTo, timeZone) ?? '') : '',
				priority: String(base.priority),
				condition: prettyJson(base.condition),
				'effect.type': base.effect.type,
				'effect.params': 'params' in base.effect ? prettyJson(base.effect.params ?? {}) : '',
				'effect.pointsPerUnit': 'pointsPerUnit' in base.effect ? String(base.effect.pointsPerUnit) : '',
				'effect.target': base.effect.target
			}
		: { programId };
	return { programs, base, initial, samples, effectTypes, nonce: formNonce() };
};
