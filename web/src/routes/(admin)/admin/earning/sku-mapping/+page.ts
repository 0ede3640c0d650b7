import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { UUID } from '#lib/earning/earning.ts';
import type { PageLoad } from './$types';

/** Rows of the mapping table per page. */
const PAGE_SIZE = 25;

/**
 * A program's SKU mapping (`?program=`, default the first program): the table searched with `?q=` and paged with
 * `?page=`, the codes that came in unmapped, and the mapping being edited (`?edit=<id>`).
 */
export const load: PageLoad = async ({ fetch, url }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const programs = await loadFromApi(url, () => api.GET('/api/v1/programs/'));
	const wanted = url.searchParams.get('program')?.trim();
	const program = programs.ok ? (programs.data.items.find((p) => p.id === wanted) ?? programs.data.items[0]) : undefined;
	const q = url.searchParams.get('q')?.trim().slice(0, 100) ?? '';
	const pageNumber = Math.max(1, Math.min(10_000, Number.parseInt(url.searchParams.get('page') ?? '1', 10) || 1));
	const editId = url.searchParams.get('edit') ?? '';
	if (!program) return { programs, program: null, q, page: pageNumber, mappings: null, unmapped: null, editing: null };
	const [mappings, unmapped, editing] = await Promise.all([
		loadFromApi(url, () =>
			api.GET('/api/v1/earning/sku-mappings', {
				params: { query: { programId: program.id, status: 'active', limit: PAGE_SIZE, offset: (pageNumber - 1) * PAGE_SIZE, ...(q ? { q } : {}) } }
			})
		),
		loadFromApi(url, () => api.GET('/api/v1/earning/sku-unmapped', { params: { query: { programId: program.id, limit: 50 } } })),
		UUID.test(editId) ? loadOptional(() => api.GET('/api/v1/earning/sku-mappings/{id}', { params: { path: { id: editId } } })) : Promise.resolve(null)
	]);
	return { programs, program, q, page: pageNumber, mappings, unmapped, editing: editing ?? null };
};
