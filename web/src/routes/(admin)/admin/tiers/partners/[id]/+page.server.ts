import { fail } from '@sveltejs/kit';
import { callApi } from '#lib/server/api.ts';
import { readForm, requireFields } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';
import type { Actions } from './$types';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export const actions: Actions = {
	/** Set the tier by hand until the end of a day (UTC), with a reason; the API checks the rest and names the field. */
	override: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const values = { tierId: form.text('tierId'), until: form.text('until'), reason: form.text('reason') };
		const missing = requireFields(t, values, ['tierId', 'until', 'reason']);
		if (missing) return fail(400, { action: 'override', values, errors: missing });
		if (!DAY.test(values.until)) return fail(400, { action: 'override', values, errors: { until: t('form.required') } as Record<string, string> });
		const result = await callApi(event, (api) =>
			api.PUT('/api/v1/tiers/partners/{partnerId}/override', {
				params: { path: { partnerId: event.params.id } },
				body: { tierId: values.tierId, reason: values.reason, until: `${values.until}T23:59:59Z` }
			})
		);
		if (!result.ok) return result.fail({ action: 'override', values });
		return { action: 'override', done: 'set' as const };
	},
	end: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const values = { reason: form.text('reason') };
		const missing = requireFields(t, values, ['reason']);
		if (missing) return fail(400, { action: 'end', values, errors: missing });
		const result = await callApi(event, (api) => api.POST('/api/v1/tiers/partners/{partnerId}/override/end', { params: { path: { partnerId: event.params.id } }, body: values }));
		if (!result.ok) return result.fail({ action: 'end', values });
		return { action: 'end', done: 'ended' as const };
	}
};
