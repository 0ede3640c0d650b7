import { fail } from '@sveltejs/kit';
import type { Actions } from './$types';
import { attachAction, messageAction } from '#lib/disputes/forms.server.ts';
import { callApi } from '#lib/server/api.ts';
import { readForm, requireFields } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';

export const actions: Actions = {
	message: (event) => messageAction(event, 'support'),
	attach: (event) => attachAction(event, 'support'),

	/** Resolve with an adjustment (above the program's threshold the API files it for approval). */
	resolve: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const points = form.text('points').replace(/[\s\u00a0\u202f]/g, '').replace(/^\u2212/, '-');
		const comment = form.text('comment');
		const values = { points: form.text('points'), comment };
		const errors: Record<string, string> = requireFields(t, { points, comment }, ['points', 'comment']) ?? {};
		if (points && (!/^[+-]?\d{1,10}$/.test(points) || Number(points) === 0)) errors.points = t('disputes:staff.pointsInvalid');
		if (Object.keys(errors).length > 0) return fail(400, { action: 'resolve', values, errors });
		const result = await callApi(event, (api) =>
			api.POST('/api/v1/earning/staff/disputes/{id}/resolve', { params: { path: { id: event.params.id } }, body: { points: Number(points), comment } })
		);
		if (!result.ok) return result.fail({ action: 'resolve', values });
		return { action: 'resolve', done: 'resolved' as const };
	},

	/** Reject with a reason the partner reads. */
	reject: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const reason = form.text('reason');
		const errors = requireFields(t, { reason }, ['reason']);
		if (errors) return fail(400, { action: 'reject', values: { reason }, errors });
		const result = await callApi(event, (api) =>
			api.POST('/api/v1/earning/staff/disputes/{id}/reject', { params: { path: { id: event.params.id } }, body: { reason } })
		);
		if (!result.ok) return result.fail({ action: 'reject', values: { reason } });
		return { action: 'reject', done: 'rejected' as const };
	}
};
