import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { isBuiltinFulfilment, minorToPlain, rewardFormValues } from '#lib/catalogue/catalogue.ts';
import { dayIn } from '#lib/earning/earning.ts';
import { currencyFractionDigits } from '#lib/format/index.ts';
import { formNonce } from '#lib/ledger/ledger.ts';
import { can } from '#lib/session.ts';
import type { PageLoad } from './$types';

/** A reward for its editor, with its supplier (fulfilment by a supplier), its program's time zone (the window's days) and the nonce of the stock form. */
export const load: PageLoad = async ({ fetch, url, params, parent }) => {
	const { session } = await parent();
	if (!can(session, 'catalogue:manage')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const reward = await loadFromApi(url, () => api.GET('/api/v1/catalogue/rewards/{rewardId}', { params: { path: { rewardId: params.id } } }), { notFound: true });
	const program = reward.ok ? await loadOptional(() => api.GET('/api/v1/programs/{id}', { params: { path: { id: reward.data.programId } } })) : null;
	const timeZone = program?.timeZone ?? 'UTC';
	const supplierId = reward.ok ? reward.data.supplierId : null;
	const suppliers = reward.ok && supplierId ? await loadOptional(() => api.GET('/api/v1/catalogue/suppliers', { params: { query: { programId: reward.data.programId } } })) : null;
	const supplier = suppliers?.items.find((s) => s.id === supplierId) ?? null;
	// A plugin's provider is named by its own label.
	const providers = reward.ok && !isBuiltinFulfilment(reward.data.fulfilment) ? await loadOptional(() => api.GET('/api/v1/catalogue/fulfilment-providers')) : null;
	const providerLabel = providers?.items.find((p) => reward.ok && p.id === reward.data.fulfilment)?.label ?? null;
	const initial = reward.ok
		? rewardFormValues(reward.data, timeZone, dayIn, (minor, currency) => minorToPlain(minor, currencyFractionDigits(currency)))
		: {};
	return { reward, supplier, providerLabel, timeZone, initial, created: url.searchParams.has('created'), nonce: formNonce() };
};
