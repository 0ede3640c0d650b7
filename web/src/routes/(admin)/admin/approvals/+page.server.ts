import { fail } from '@sveltejs/kit';
import type { Actions } from './$types';
import { callApi } from '#lib/server/api.ts';
import { readForm } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const actions: Actions = {
	/** Approve another admin's request: the entry is posted at once (`ledger:approve`). */
	approve: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const id = form.text('requestId');
		const comment = form.text('comment');
		if (!UUID.test(id)) return fail(400, { action: 'approve', target: id, message: t('errors.unexpected', { status: 400 }) });
		const result = await callApi(event, (api) =>
			api.POST('/api/v1/ledger/adjustment-requests/{id}/approve', {
				params: { path: { id } },
				body: comment ? { comment } : {}
			})
		);
		if (!result.ok) return result.fail({ action: 'approve', target: id, values: { comment } });
		return { action: 'approve', target: id, done: 'approved' as const, entryId: result.data.postedEntryId };
	},

	/** Reject another admin's request, with an optional comment; nothing is posted. */
	reject: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const id = form.text('requestId');
		const comment = form.text('comment');
		if (!UUID.test(id)) return fail(400, { action: 'reject', target: id, message: t('errors.unexpected', { status: 400 }) });
		const result = await callApi(event, (api) =>
			api.POST('/api/v1/ledger/adjustment-requests/{id}/reject', {
				params: { path: { id } },
				body: comment ? { comment } : {}
			})
		);
		if (!result.ok) return result.fail({ action: 'reject', target: id, values: { comment } });
		return { action: 'reject', target: id, done: 'rejected' as const };
	},

	/** A program's approval threshold (empty: no adjustment needs approval) and how long requests wait. */
	policy: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const programId = form.text('programId');
		const threshold = form.text('approvalThreshold').replace(/[\s\u00a0\u202f]/g, '');
		const ttl = form.text('adjustmentTtlDays').trim();
		const values = { approvalThreshold: form.text('approvalThreshold'), adjustmentTtlDays: ttl };
		if (!UUID.test(programId)) return fail(400, { action: 'policy', target: programId, message: t('errors.unexpected', { status: 400 }) });
		const errors: Record<string, string> = {};
		if (threshold && !/^\d{1,10}$/.test(threshold)) errors.approvalThreshold = t('ledger:approvals.policy.thresholdInvalid');
		if (!/^\d{1,3}$/.test(ttl) || Number(ttl) < 1 || Number(ttl) > 365) errors.adjustmentTtlDays = t('ledger:approvals.policy.ttlInvalid');
		if (Object.keys(errors).length > 0) return fail(400, { action: 'policy', target: programId, values, errors });
		const result = await callApi(event, (api) =>
			api.PUT('/api/v1/ledger/programs/{programId}/policy', {
				params: { path: { programId } },
				body: { approvalThreshold: threshold ? Number(threshold) : null, adjustmentTtlDays: Number(ttl) }
			})
		);
		if (!result.ok) return result.fail({ action: 'policy', target: programId, values });
		return { action: 'policy', target: programId, done: 'policySaved' as const };
	}
};
