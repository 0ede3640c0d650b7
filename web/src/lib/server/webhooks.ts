import { fail, type RequestEvent } from '@sveltejs/kit';
import { UUID } from '#lib/earning/earning.ts';
import type { FormState } from '#lib/forms.ts';
import { OVERLAP_HOURS, parseOverlapHours, parseSubscriptionForm, type SubscriptionFormError } from '#lib/webhooks/webhooks.ts';
import { callApi, type ApiOutcome } from './api.ts';
import { createOnceGuard } from './earning-once.ts';
import { readForm, type SubmittedForm } from './forms.ts';
import { translatorOf } from './i18n.ts';

const guard = createOnceGuard();

/**
 * Creating a subscription or rotating its secret answers with a secret shown once: a double submit of one rendering of
 * the form (same nonce, same person) gets the first answer, so the secret on the page is the one that signs.
 */
function once<D>(event: RequestEvent, kind: string, nonce: string, run: () => Promise<ApiOutcome<D>>): Promise<ApiOutcome<D>> {
	return guard(event.locals.session?.user.id ?? 'anonymous', kind, nonce, run);
}

function localErrors(event: RequestEvent, errors: Record<string, SubscriptionFormError>): Record<string, string> {
	const t = translatorOf(event);
	return Object.fromEntries(
		Object.entries(errors).map(([field, code]) => [field, code === 'required' ? t('form.required') : t(`webhooks:errors.${code}`)])
	);
}

/** The API's field errors under the form's names (`eventTypes.1` is the event types' checkbox group). */
function apiErrors(state: FormState): FormState {
	if (!state.errors) return state;
	const errors: Record<string, string> = {};
	for (const [key, message] of Object.entries(state.errors)) errors[key.split('.')[0]!] ??= message;
	return { ...state, errors };
}

function subscriptionValues(form: SubmittedForm) {
	return { url: form.text('url'), eventTypes: form.all('eventTypes'), description: form.text('description') };
}

function unexpected(event: RequestEvent, action: string, target?: string) {
	return fail(400, { action, target, message: translatorOf(event)('errors.unexpected', { status: 400 }) });
}

/** `?/create`: a new subscription; the answer carries its signing secret, shown on the page once. */
export async function createSubscriptionAction(event: RequestEvent) {
	const form = await readForm(event);
	const values = subscriptionValues(form);
	const parsed = parseSubscriptionForm(values);
	if (!parsed.ok) return fail(400, { action: 'create', values, errors: localErrors(event, parsed.errors) });
	const result = await once(event, 'webhook', form.text('nonce'), () =>
		callApi(event, (api) => api.POST('/api/v1/webhooks/subscriptions', { body: parsed.body }))
	);
	if (!result.ok) return fail(result.status, { ...apiErrors(result.state), action: 'create', values });
	return { action: 'create', done: 'created' as const, target: result.data.subscription.id, name: result.data.subscription.url, secret: result.data.secret };
}

/** `?/update`: a subscription's URL, event types and description. */
export async function updateSubscriptionAction(event: RequestEvent) {
	const form = await readForm(event);
	const id = form.text('id');
	const values = subscriptionValues(form);
	if (!UUID.test(id)) return unexpected(event, 'update');
	const parsed = parseSubscriptionForm(values);
	if (!parsed.ok) return fail(400, { action: 'update', target: id, values, errors: localErrors(event, parsed.errors) });
	const result = await callApi(event, (api) => api.PATCH('/api/v1/webhooks/subscriptions/{id}', { params: { path: { id } }, body: parsed.body }));
	if (!result.ok) return fail(result.status, { ...apiErrors(result.state), action: 'update', target: id, values });
	return { action: 'update', done: 'saved' as const, target: id, name: result.data.url };
}

/** `?/status`: turn a subscription off (nothing more is sent to it) or on again (its waiting deliveries go out). */
export async function subscriptionStatusAction(event: RequestEvent) {
	const form = await readForm(event);
	const id = form.text('id');
	const enabled = form.text('enabled');
	if (!UUID.test(id) || (enabled !== 'true' && enabled !== 'false')) return unexpected(event, 'status', id);
	const result = await callApi(event, (api) => api.PATCH('/api/v1/webhooks/subscriptions/{id}', { params: { path: { id } }, body: { enabled: enabled === 'true' } }));
	if (!result.ok) return result.fail({ action: 'status', target: id });
	return { action: 'status', done: result.data.enabled ? ('enabled' as const) : ('disabled' as const), target: id, name: result.data.url };
}

/** `?/rotate`: a new signing secret, shown once; the old one keeps signing for the overlap. */
export async function rotateSubscriptionSecretAction(event: RequestEvent) {
	const form = await readForm(event);
	const id = form.text('id');
	if (!UUID.test(id)) return unexpected(event, 'rotate', id);
	const overlapHours = parseOverlapHours(form.text('overlapHours'));
	const values = { overlapHours: form.text('overlapHours') };
	if (overlapHours === null) {
		return fail(400, { action: 'rotate', target: id, values, errors: { overlapHours: translatorOf(event)('webhooks:errors.overlap', { min: OVERLAP_HOURS.min, max: OVERLAP_HOURS.max }) } });
	}
	const result = await once(event, `rotate:${id}`, form.text('nonce'), () =>
		callApi(event, (api) => api.POST('/api/v1/webhooks/subscriptions/{id}/rotate-secret', { params: { path: { id } }, body: { overlapHours } }))
	);
	if (!result.ok) return fail(result.status, { ...apiErrors(result.state), action: 'rotate', target: id, values });
	return { action: 'rotate', done: 'rotated' as const, target: id, name: result.data.subscription.url, secret: result.data.secret, overlapHours };
}

/** `?/replay`: send a delivery again (a new run of attempts, same webhook-id). */
export async function replayDeliveryAction(event: RequestEvent) {
	const form = await readForm(event);
	const id = form.text('id');
	if (!UUID.test(id)) return unexpected(event, 'replay', id);
	const result = await callApi(event, (api) => api.POST('/api/v1/webhooks/deliveries/{id}/replay', { params: { path: { id } }, body: {} }));
	if (!result.ok) return result.fail({ action: 'replay', target: id });
	return { action: 'replay', done: 'replayed' as const, target: id, name: result.data.eventType };
}

/** `?/test`: queue a test message to a subscription (it appears in the log like any delivery). */
export async function testSubscriptionAction(event: RequestEvent) {
	const form = await readForm(event);
	const id = form.text('id');
	if (!UUID.test(id)) return unexpected(event, 'test', id);
	const result = await callApi(event, (api) => api.POST('/api/v1/webhooks/subscriptions/{id}/test', { params: { path: { id } }, body: {} }));
	if (!result.ok) return result.fail({ action: 'test', target: id });
	return { action: 'test', done: 'tested' as const, target: id, name: result.data.url };
}
