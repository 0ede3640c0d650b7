import { fail, redirect } from '@sveltejs/kit';
import { callApi } from '#lib/server/api.ts';
import { readForm, requireFields } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';
import { formErrors, trackBody, valuesOf } from '#lib/server/tiers.ts';
import type { Actions } from './$types';

export const actions: Actions = {
	default: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const values = valuesOf(form);
		const missing = requireFields(t, values, ['programId', 'code', 'nameEn', 'namePl', 'nameRu']);
		const { body, errors } = trackBody(t, form);
		if (missing || Object.keys(errors).length) return fail(400, { values, partnerTypes: form.all('partnerTypes'), errors: { ...errors, ...missing } });
		const result = await callApi<{ id: string }>(event, (api) => api.POST('/api/v1/tiers/tracks', { body: { programId: form.text('programId'), code: form.text('code'), ...body } }));
		if (!result.ok) return fail(result.status, { ...result.state, errors: formErrors(result.state.errors), values, partnerTypes: form.all('partnerTypes') });
		redirect(303, `/admin/tiers/tracks/${result.data.id}`);
	}
};
