import { fail } from '@sveltejs/kit';
import { UUID } from '#lib/earning/earning.ts';
import { callApi } from '#lib/server/api.ts';
import { readForm } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';
import type { Actions } from './$types';

const KINDS = ['nip', 'euVat', 'regon'] as const;

export const actions: Actions = {
	/** Declare a related company (the API checks the identifier's digits and names the field it refuses). */
	add: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const values = { kind: form.text('kind'), identifier: form.text('identifier'), name: form.text('name'), note: form.text('note') };
		const errors: Record<string, string> = {};
		if (!values.identifier) errors.identifier = t('form.required');
		if (!values.name) errors.name = t('form.required');
		const kind = (KINDS as readonly string[]).includes(values.kind) ? (values.kind as (typeof KINDS)[number]) : null;
		if (!kind) errors.kind = t('form.required');
		if (Object.keys(errors).length > 0) return fail(400, { action: 'add', values, errors });
		const partnerId = event.params.partnerId;
		const result = await callApi(event, (api) =>
			api.POST('/api/v1/earning/partners/{partnerId}/related-companies', {
				params: { path: { partnerId } },
				body: { kind: kind!, identifier: values.identifier, name: values.name, ...(values.note ? { note: values.note } : {}) }
			})
		);
		if (!result.ok) return result.fail({ action: 'add', values });
		return { action: 'add', done: 'added' as const };
	},

	/** Remove a declared related company. */
	remove: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const id = form.text('id');
		if (!UUID.test(id)) return fail(400, { action: 'remove', message: t('errors.unexpected', { status: 400 }) });
		const result = await callApi(event, (api) =>
			api.DELETE('/api/v1/earning/partners/{partnerId}/related-companies/{id}', { params: { path: { partnerId: event.params.partnerId, id } } })
		);
		if (!result.ok) return result.fail({ action: 'remove' });
		return { action: 'remove', done: 'removed' as const };
	}
};
