import { fail } from '@sveltejs/kit';
import type { Actions } from './$types';
import { callApi } from '#lib/server/api.ts';
import { readForm } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const actions: Actions = {
	/** A program's time to settle a dispute, in days (for disputes filed from now on). */
	policy: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const programId = form.text('programId');
		const days = form.text('slaDays');
		if (!UUID.test(programId)) return fail(400, { action: 'policy', target: programId, message: t('errors.unexpected', { status: 400 }) });
		if (!/^\d{1,3}$/.test(days) || Number(days) < 1 || Number(days) > 365) {
			return fail(400, { action: 'policy', target: programId, values: { slaDays: days }, errors: { slaDays: t('disputes:staff.slaInvalid') } });
		}
		const result = await callApi(event, (api) =>
			api.PUT('/api/v1/earning/programs/{programId}/dispute-policy', { params: { path: { programId } }, body: { slaDays: Number(days) } })
		);
		if (!result.ok) return result.fail({ action: 'policy', target: programId, values: { slaDays: days } });
		return { action: 'policy', target: programId, done: 'slaSaved' as const };
	}
};
