import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import type { PageLoad } from './$types';

const CURRENCY = /^[A-Z]{3}$/;

/** Stored exchange rates, newest day first; `?currency=` and `?quote=` narrow the list. */
export const load: PageLoad = async ({ fetch, url }) => {
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const param = (name: string) => {
		const value = url.searchParams.get(name)?.trim().toUpperCase() ?? '';
		return CURRENCY.test(value) ? value : undefined;
	};
	const filters = { currency: param('currency'), quote: param('quote') };
	const [rates, fetches] = await Promise.all([
		loadFromApi(url, () =>
			api.GET('/api/v1/earning/fx-rates', {
				params: { query: { limit: 500, ...(filters.currency ? { currency: filters.currency } : {}), ...(filters.quote ? { quote: filters.quote } : {}) } }
			})
		),
		// The scheduled fetch's status per source (null when it cannot be read: the page still shows the rates).
		loadOptional(() => api.GET('/api/v1/earning/fx-fetches'))
	]);
	return { rates, filters, fetches };
};
