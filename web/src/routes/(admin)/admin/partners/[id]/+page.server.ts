import { fail } from '@sveltejs/kit';
import type { Actions } from './$types';
import { callApi } from '#lib/server/api.ts';
import { readForm, requireFields } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';
import { adjustAction, reverseAction } from '#lib/server/ledger.ts';

const STATUS_CHANGES = ['suspended', 'active', 'closed'] as const;
type StatusChange = (typeof STATUS_CHANGES)[number];

function isStatusChange(value: string): value is StatusChange {
	return (STATUS_CHANGES as readonly string[]).includes(value);
}

export const actions: Actions = {
	/** Approve an application: the partner becomes active and the applicant is invited by e-mail. */
	approve: async (event) => {
		const form = await readForm(event);
		const accountManagerId = form.text('accountManagerId');
		const result = await callApi(event, (api) =>
			api.POST('/api/v1/partners/{id}/approve', {
				params: { path: { id: event.params.id } },
				body: accountManagerId ? { accountManagerId } : {}
			})
		);
		if (!result.ok) return result.fail({ action: 'approve', values: { accountManagerId } });
		return { action: 'approve', done: 'approved' as const, email: result.data.partnerAdmin.email };
	},

	/** Reject an application, with a reason. */
	reject: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const reason = form.text('reason');
		const errors = requireFields(t, { reason }, ['reason']);
		if (errors) return fail(400, { action: 'reject', errors });

		const result = await callApi(event, (api) =>
			api.POST('/api/v1/partners/{id}/reject', {
				params: { path: { id: event.params.id } },
				body: { reason }
			})
		);
		if (!result.ok) return result.fail({ action: 'reject', values: { reason } });
		return { action: 'reject', done: 'rejected' as const };
	},

	/** Suspend, reactivate or close a partner, with a reason. */
	status: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const status = form.text('status');
		const reason = form.text('reason');
		if (!isStatusChange(status)) return fail(400, { action: 'status', target: status, message: t('errors.unexpected', { status: 400 }) });
		const errors = requireFields(t, { reason }, ['reason']);
		if (errors) return fail(400, { action: 'status', target: status, errors });

		const result = await callApi(event, (api) =>
			api.POST('/api/v1/partners/{id}/status', {
				params: { path: { id: event.params.id } },
				body: { status, reason }
			})
		);
		if (!result.ok) return result.fail({ action: 'status', target: status, values: { reason } });
		return { action: 'status', done: status };
	},

	/** Add or take away points by hand, with a reason (`ledger:adjust`). */
	adjust: adjustAction,

	/** Reverse one transaction in full, with a reason (`ledger:adjust`). */
	reverse: reverseAction
};
