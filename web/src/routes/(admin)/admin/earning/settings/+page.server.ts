import { fail } from '@sveltejs/kit';
import { UUID } from '#lib/earning/earning.ts';
import { DEFAULT_MIN_INVOICES, parseMinInvoices, parseVolumeFactor, type GuardrailSettings } from '#lib/earning/guardrails.ts';
import { callApi } from '#lib/server/api.ts';
import { readForm } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';
import type { Actions } from './$types';

export const actions: Actions = {
	/**
	 * Save the program's guardrail settings. Only what cannot be sent at all (not a number) is checked here; the range
	 * and the decimal places are the API's to check, and its problem is shown on each field.
	 */
	save: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const programId = form.text('programId');
		const values = { volumeFactor: form.text('volumeFactor'), volumeMinInvoices: form.text('volumeMinInvoices') };
		if (!UUID.test(programId)) return fail(400, { action: 'save', values, message: t('errors.unexpected', { status: 400 }) });
		const errors: Record<string, string> = {};
		const volumeFactor = parseVolumeFactor(values.volumeFactor);
		if (volumeFactor === undefined) errors.volumeFactor = t('earning:settings.volumeFactorInvalid');
		const volumeMinInvoices = values.volumeMinInvoices ? parseMinInvoices(values.volumeMinInvoices) : DEFAULT_MIN_INVOICES;
		if (volumeMinInvoices === undefined) errors.volumeMinInvoices = t('earning:settings.minInvoicesInvalid');
		if (Object.keys(errors).length > 0) return fail(400, { action: 'save', values, errors });
		const result = await callApi<GuardrailSettings>(event, (api) =>
			api.PUT('/api/v1/earning/settings/{programId}', {
				params: { path: { programId } },
				body: { volumeFactor: volumeFactor ?? null, volumeMinInvoices: volumeMinInvoices! }
			})
		);
		if (!result.ok) return result.fail({ action: 'save', values });
		return { action: 'save', done: 'saved' as const, settings: result.data };
	}
};
