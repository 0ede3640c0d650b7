import { fail, type RequestEvent } from '@sveltejs/kit';
import { callApi } from './api.ts';
import { readForm, requireFields } from './forms.ts';
import { translatorOf } from './i18n.ts';

const NONCE = /^[0-9a-f]{32}$/;
const REASON_MIN_LENGTH = 3;

/**
 * The idempotency key of a ledger form: derived from the random token rendered with the form, so a
 * double submit (or a retry of the same page) is the same request and the API replays it.
 */
function idempotencyKey(kind: string, subject: string, nonce: string): string | null {
	return NONCE.test(nonce) ? `web:${kind}:${subject}:${nonce}` : null;
}

/** `?/adjust` on a partner's pages: add or remove points by hand, with a reason. */
export async function adjustAction(event: RequestEvent<{ id: string }>) {
	const t = translatorOf(event);
	const form = await readForm(event);
	const points = form.text('points').replace(/[\s\u00a0\u202f]/g, '').replace(/^\u2212/, '-');
	const reason = form.text('reason');
	const values = { points: form.text('points'), reason };
	const errors: Record<string, string> = requireFields(t, { points, reason }, ['points', 'reason']) ?? {};
	if (points && (!/^[+-]?\d{1,15}$/.test(points) || Number(points) === 0)) {
		errors.points = t('ledger:adjust.pointsInvalid');
	}
	if (reason && reason.length < REASON_MIN_LENGTH) {
		errors.reason = t('ledger:reasonTooShort', { count: REASON_MIN_LENGTH });
	}
	const key = idempotencyKey('adjust', event.params.id, form.text('nonce'));
	if (!key) return fail(400, { action: 'adjust', values, message: t('errors.unexpected', { status: 400 }) });
	if (Object.keys(errors).length > 0) return fail(400, { action: 'adjust', values, errors });

	const result = await callApi(event, (api) =>
		api.POST('/api/v1/ledger/adjustments', {
			body: { partnerId: event.params.id, points: Number(points), reason, idempotencyKey: key }
		})
	);
	if (!result.ok) return result.fail({ action: 'adjust', values });
	// Above the program's approval threshold the API files a request for a second admin (202).
	if ('status' in result.data) {
		return { action: 'adjust', done: 'requested' as const, points: Number(points), requestId: result.data.id };
	}
	return { action: 'adjust', done: 'adjusted' as const, points: Number(points), entryId: result.data.entryId };
}

/** `?/reverse` on a partner's pages: reverse one entry in full (or `points` of it), with a reason. */
export async function reverseAction(event: RequestEvent<{ id: string }>) {
	const t = translatorOf(event);
	const form = await readForm(event);
	const entry = form.text('entryId');
	const reason = form.text('reason');
	const partial = form.text('points').replace(/[\s\u00a0\u202f]/g, '');
	const values = { reason, points: form.text('points') };
	const entryId = /^\d{1,15}$/.test(entry) ? Number(entry) : 0;
	const key = idempotencyKey('reverse', entry, form.text('nonce'));
	if (!key || entryId <= 0) {
		return fail(400, { action: 'reverse', target: entry, values, message: t('errors.unexpected', { status: 400 }) });
	}
	const errors: Record<string, string> = requireFields(t, { reason }, ['reason']) ?? {};
	if (reason && reason.length < REASON_MIN_LENGTH) {
		errors.reason = t('ledger:reasonTooShort', { count: REASON_MIN_LENGTH });
	}
	if (partial && (!/^\d{1,15}$/.test(partial) || Number(partial) <= 0)) {
		errors.points = t('ledger:reverse.pointsInvalid');
	}
	if (Object.keys(errors).length > 0) return fail(400, { action: 'reverse', target: entry, values, errors });

	const result = await callApi(event, (api) =>
		api.POST('/api/v1/ledger/entries/{entryId}/reversal', {
			params: { path: { entryId } },
			body: { reason, idempotencyKey: key, ...(partial ? { points: Number(partial) } : {}) }
		})
	);
	if (!result.ok) return result.fail({ action: 'reverse', target: entry, values });
	if ('status' in result.data) {
		return { action: 'reverse', done: 'reverseRequested' as const, target: entry, requestId: result.data.id };
	}
	return { action: 'reverse', done: 'reversed' as const, target: entry, entryId: result.data.entryId };
}
