import { fail, type RequestEvent } from '@sveltejs/kit';
import { UUID } from '#lib/earning/earning.ts';
import { reviewIdempotencyKey, type Review } from '#lib/earning/guardrails.ts';
import { callApi } from '#lib/server/api.ts';
import { createOnceGuard } from '#lib/server/earning-once.ts';
import { readForm, requireFields } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';
import type { Actions } from './$types';

const guard = createOnceGuard();

/**
 * Approve or reject a held event. The idempotency key comes from the nonce rendered with the page, so a double submit
 * (two clicks, a resent form) is one decision at the API, which answers a replay with the first answer. Two submits
 * arriving together also share one call here, so the second does not meet the API's "still being answered".
 */
async function decide(event: RequestEvent, action: 'approve' | 'reject') {
	const t = translatorOf(event);
	const form = await readForm(event);
	const reviewId = form.text('reviewId');
	const reason = form.text('reason');
	const values = { reason };
	if (!UUID.test(reviewId)) return fail(400, { action, target: reviewId, message: t('errors.unexpected', { status: 400 }) });
	if (action === 'reject') {
		const errors = requireFields(t, { reason }, ['reason']);
		if (errors) return fail(400, { action, target: reviewId, values, errors });
	}
	const key = reviewIdempotencyKey(action, reviewId, form.text('nonce'));
	const idempotency = key ? { idempotencyKey: key } : {};
	const result = await guard(event.locals.session?.user.id ?? 'anonymous', `review:${action}:${reviewId}`, form.text('nonce'), () =>
		callApi<Review>(event, (api) =>
			action === 'approve'
				? api.POST('/api/v1/earning/reviews/{id}/approve', { params: { path: { id: reviewId } }, body: idempotency })
				: api.POST('/api/v1/earning/reviews/{id}/reject', { params: { path: { id: reviewId } }, body: { reason, ...idempotency } })
		)
	);
	if (!result.ok) return result.fail({ action, target: reviewId, values });
	const review = result.data;
	return {
		action,
		target: reviewId,
		done: action === 'approve' ? ('approved' as const) : ('rejected' as const),
		partnerId: review.partnerId,
		points: review.points
	};
}

export const actions: Actions = {
	/** Post exactly what the held simulation showed (once). */
	approve: (event) => decide(event, 'approve'),

	/** Post nothing; the event is rejected for good, with a reason. */
	reject: (event) => decide(event, 'reject')
};
