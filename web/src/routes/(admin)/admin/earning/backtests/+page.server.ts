import { fail, redirect } from '@sveltejs/kit';
import { UUID, startOfDay } from '#lib/earning/earning.ts';
import { callApi, serverApi } from '#lib/server/api.ts';
import { createOnceGuard } from '#lib/server/earning-once.ts';
import { readForm } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';
import type { Actions } from './$types';

const guard = createOnceGuard();

/** The day after a calendar day (YYYY-MM-DD). */
function nextDay(day: string): string {
	const [y, m, d] = day.split('-').map(Number) as [number, number, number];
	return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

export const actions: Actions = {
	/**
	 * Start a backtest of the chosen drafts over the days from–to (both included, in the program's time zone); it runs
	 * in the background and its page shows the progress, then the result.
	 */
	start: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const programId = form.text('programId');
		const ruleIds = form.all('ruleIds').filter((id) => UUID.test(id));
		const values = { from: form.text('from'), to: form.text('to'), ruleIds };
		if (!UUID.test(programId)) return fail(400, { action: 'start', values, message: t('errors.unexpected', { status: 400 }) });
		const { data: program } = await serverApi(event).GET('/api/v1/programs/{id}', { params: { path: { id: programId } } });
		const timeZone = program?.timeZone ?? 'UTC';
		const errors: Record<string, string> = {};
		const from = startOfDay(values.from, timeZone);
		const to = /^\d{4}-\d{2}-\d{2}$/.test(values.to) ? startOfDay(nextDay(values.to), timeZone) : null;
		if (!from) errors.from = t('earning:rules.form.dateInvalid');
		if (!to) errors.to = t('earning:rules.form.dateInvalid');
		if (from && to && to <= from) errors.to = t('earning:backtests.toBeforeFrom');
		if (ruleIds.length === 0) errors.ruleIds = t('earning:backtests.chooseDrafts');
		if (Object.keys(errors).length > 0) return fail(400, { action: 'start', values, errors });
		const nonce = form.text('nonce');
		const result = await guard(event.locals.session?.user.id ?? 'anonymous', 'backtest', nonce, () =>
			callApi(event, (api) => api.POST('/api/v1/earning/backtests', { body: { programId, from: from!, to: to!, ruleIds, idempotencyKey: `web:backtest:${nonce}` } }))
		);
		if (!result.ok) return result.fail({ action: 'start', values });
		redirect(303, `/admin/earning/backtests/${result.data.id}`);
	}
};
