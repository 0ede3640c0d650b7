import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { isPartnerStatus, isPartnerType } from '#lib/partners.ts';
import type { PageLoad } from './$types';

const PAGE_SIZE = 25;

/** The partners list: search (`q`: name, NIP or PartnerID), filters and keyset pages (`cursor`). */
export const load: PageLoad = async ({ fetch, url }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const param = (name: string) => url.searchParams.get(name)?.trim() || undefined;

	const filters = {
		q: param('q'),
		type: isPartnerType(param('type')) ? param('type') : undefined,
		status: isPartnerStatus(param('status')) ? param('status') : undefined,
		region: param('region'),
		programId: param('programId'),
		cursor: param('cursor')
	};

	const [partners, programs] = await Promise.all([
		loadFromApi(url, () =>
			api.GET('/api/v1/partners/', {
				params: {
					query: {
						q: filters.q,
						type: isPartnerType(filters.type) ? filters.type : undefined,
						status: isPartnerStatus(filters.status) ? filters.status : undefined,
						region: filters.region,
						programId: filters.programId,
						cursor: filters.cursor,
						limit: PAGE_SIZE
					}
				}
			})
		),
		loadOptional(() => api.GET('/api/v1/programs/'))
	]);

	return { filters, partners, programs: programs?.items ?? [] };
};
