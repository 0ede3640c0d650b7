import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { UUID, dayIn, prettyJson } from '#lib/earning/earning.ts';
import { formNonce } from '#lib/ledger/ledger.ts';
import type { PageLoad } from './$types';

/**
 * The programs a rule can belong to (`?program=` first) and, with `?from=<rule id>`, that rule's values to start a
 * new version from. The nonce is the source of the double-submit guard of this rendering.
 */
export const load: PageLoad = async ({ fetch, url }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const from = url.searchParams.get('from') ?? '';
	const [programs, base] = await Promise.all([
		loadFromApi(url, () => api.GET('/api/v1/programs/')),
		UUID.test(from) ? loadOptional(() => api.GET('/api/v1/earning/rules/{id}', { params: { path: { id: from } } })) : Promise.resolve(null)
	]);
	const programId = base?.programId ?? url.searchParams.get('program') ?? '';
	const timeZone = (programs.ok ? programs.data.items.find((p) => p.id === programId)?.timeZone : undefined) ?? 'UTC';
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
				'effect.pointsPerUnit': 'pointsPerUnit' in base.effect ? String(base.effect.pointsPerUnit) : '',
				'effect.target': base.effect.target
			}
		: { programId };
	return { programs, base, initial, nonce: formNonce() };
};
