import { fail } from '@sveltejs/kit';
import { currencyFractionDigits } from '#lib/format/index.ts';
import { callApi, serverApi } from '#lib/server/api.ts';
import { readForm, requireFields } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';
import { formErrors, tierBody, trackBody, valuesOf } from '#lib/server/tiers.ts';
import type { Actions, RequestEvent } from './$types';

/** The program currency's decimal places (money thresholds are typed in whole units). */
async function digitsOf(event: RequestEvent): Promise<number> {
	const track = await serverApi(event).GET('/api/v1/tiers/tracks/{id}', { params: { path: { id: event.params.id } } });
	const program = track.data ? await serverApi(event).GET('/api/v1/programs/{id}', { params: { path: { id: track.data.programId } } }) : null;
	return currencyFractionDigits(program?.data?.currency ?? 'PLN');
}

export const actions: Actions = {
	saveTrack: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const values = valuesOf(form);
		const missing = requireFields(t, values, ['nameEn', 'namePl', 'nameRu']);
		const { body, errors } = trackBody(t, form);
		if (missing || Object.keys(errors).length) return fail(400, { action: 'saveTrack', values, partnerTypes: form.all('partnerTypes'), errors: { ...errors, ...missing } });
		const result = await callApi(event, (api) => api.PUT('/api/v1/tiers/tracks/{id}', { params: { path: { id: event.params.id } }, body }));
		if (!result.ok) return fail(result.status, { ...result.state, action: 'saveTrack', errors: formErrors(result.state.errors), values, partnerTypes: form.all('partnerTypes') });
		return { action: 'saveTrack', done: 'saved' as const };
	},
	addTier: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const values = valuesOf(form);
		const missing = requireFields(t, values, ['code', 'nameEn', 'namePl', 'nameRu', 'rank']);
		const { body, errors, rows, privilegeRows } = tierBody(t, form, await digitsOf(event));
		if (missing || Object.keys(errors).length) return fail(400, { action: 'addTier', values, errors: { ...errors, ...missing } });
		const result = await callApi(event, (api) => api.POST('/api/v1/tiers/tracks/{id}/tiers', { params: { path: { id: event.params.id } }, body: { code: form.text('code'), ...body } }));
		if (!result.ok) return fail(result.status, { ...result.state, action: 'addTier', errors: formErrors(result.state.errors, rows, privilegeRows), values });
		return { action: 'addTier', done: 'added' as const };
	},
	saveTier: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const values = valuesOf(form);
		const tierId = form.text('tierId');
		const missing = requireFields(t, values, ['nameEn', 'namePl', 'nameRu', 'rank']);
		const { body, errors, rows, privilegeRows } = tierBody(t, form, await digitsOf(event));
		if (missing || Object.keys(errors).length) return fail(400, { action: `saveTier:${tierId}`, values, errors: { ...errors, ...missing } });
		const result = await callApi(event, (api) => api.PUT('/api/v1/tiers/tiers/{id}', { params: { path: { id: tierId } }, body }));
		if (!result.ok) return fail(result.status, { ...result.state, action: `saveTier:${tierId}`, errors: formErrors(result.state.errors, rows, privilegeRows), values });
		return { action: `saveTier:${tierId}`, done: 'saved' as const };
	}
};
