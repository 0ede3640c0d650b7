import { fail, redirect } from '@sveltejs/kit';
import type { Actions } from './$types';
import { fileOf } from '#lib/disputes/forms.server.ts';
import { callApi } from '#lib/server/api.ts';
import { readForm, requireFields } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';

const NONCE = /^[0-9a-f]{32}$/;

export const actions: Actions = {
	/** File a dispute (the key derives from the form's nonce: a double submit files once), then open its thread. */
	file: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const subject = form.text('subject') === 'missing-event' ? 'missing-event' : 'entry';
		const entryId = form.text('entryId');
		const reference = form.text('reference');
		const text = form.text('text');
		const values = { subject, entryId, reference, text };
		const errors: Record<string, string> =
			requireFields(t, { text, ...(subject === 'entry' ? { entryId } : { reference }) }, ['text', subject === 'entry' ? 'entryId' : 'reference']) ?? {};
		if (subject === 'entry' && entryId && !/^\d{1,15}$/.test(entryId)) errors.entryId = t('disputes:file.entryInvalid');
		const file = await fileOf(event, form.data, 'attachment');
		if (!file.ok) errors.attachment = file.error;
		const nonce = form.text('nonce');
		if (!NONCE.test(nonce)) return fail(400, { action: 'file', values, message: t('errors.unexpected', { status: 400 }) });
		if (Object.keys(errors).length > 0 || !file.ok) return fail(400, { action: 'file', values, errors });
		const result = await callApi(event, (api) =>
			api.POST('/api/v1/earning/disputes', {
				body: {
					subject,
					text,
					idempotencyKey: `web:dispute:${nonce}`,
					...(subject === 'entry' ? { entryId: Number(entryId) } : {}),
					...(reference ? { reference } : {}),
					...(file.body ? { attachment: file.body } : {})
				}
			})
		);
		if (!result.ok) return result.fail({ action: 'file', values });
		redirect(303, `/portal/disputes/${result.data.id}?filed=1`);
	}
};
