import { fail, type RequestEvent } from '@sveltejs/kit';
import { UUID } from '#lib/earning/earning.ts';
import { parseSupplierForm, supplierFieldOf, TIMEOUT_SECONDS, type SupplierFormError } from '#lib/catalogue/suppliers.ts';
import type { FormState } from '#lib/forms.ts';
import { callApi, type ApiOutcome } from './api.ts';
import { createOnceGuard } from './earning-once.ts';
import { readForm } from './forms.ts';
import { translatorOf } from './i18n.ts';

const guard = createOnceGuard();

/**
 * Adding a supplier or rotating its secret answers with a secret shown once: a double submit of one rendering of the
 * form (same nonce, same person) gets the first answer, so the secret on the page is the one that signs.
 */
function once<D>(event: RequestEvent, kind: string, nonce: string, run: () => Promise<ApiOutcome<D>>): Promise<ApiOutcome<D>> {
	return guard(event.locals.session?.user.id ?? 'anonymous', kind, nonce, run);
}

function localErrors(event: RequestEvent, errors: Record<string, SupplierFormError>): Record<string, string> {
	const t = translatorOf(event);
	return Object.fromEntries(
		Object.entries(errors).map(([field, code]) => [
			field,
			code === 'required' ? t('form.required') : code === 'url' ? t('catalogue:suppliers.errors.url') : t('catalogue:suppliers.errors.timeout', { min: TIMEOUT_SECONDS.min, max: TIMEOUT_SECONDS.max })
		])
	);
}

/** The API's field errors under the form's names (`timeoutMs` is the form's `timeout`, in seconds). */
function apiErrors(state: FormState): FormState {
	if (!state.errors) return state;
	const errors: Record<string, string> = {};
	for (const [key, message] of Object.entries(state.errors)) errors[supplierFieldOf(key)] ??= message;
	return { ...state, errors };
}

/** `?/create`: a new supplier of a program; the answer carries its signing secret, shown on the page once. */
export async function createSupplierAction(event: RequestEvent) {
	const form = await readForm(event);
	const values = { programId: form.text('programId'), name: form.text('name'), url: form.text('url'), timeout: form.text('timeout') };
	const parsed = parseSupplierForm(values);
	const errors: Record<string, string> = parsed.ok ? {} : localErrors(event, parsed.errors);
	if (!UUID.test(values.programId)) errors.programId = translatorOf(event)('form.required');
	if (!parsed.ok || Object.keys(errors).length > 0) return fail(400, { action: 'create', values, errors });
	const result = await once(event, 'supplier', form.text('nonce'), () =>
		callApi(event, (api) => api.POST('/api/v1/catalogue/suppliers', { body: { programId: values.programId, ...parsed.body } }))
	);
	if (!result.ok) return fail(result.status, { ...apiErrors(result.state), action: 'create', values });
	return { action: 'create', done: 'created' as const, target: result.data.id, name: result.data.name, secret: result.data.secret };
}

/** `?/update`: a supplier's name, URL and timeout. */
export async function updateSupplierAction(event: RequestEvent) {
	const form = await readForm(event);
	const id = form.text('id');
	const values = { name: form.text('name'), url: form.text('url'), timeout: form.text('timeout') };
	if (!UUID.test(id)) return fail(400, { action: 'update', values, message: translatorOf(event)('errors.unexpected', { status: 400 }) });
	const parsed = parseSupplierForm(values);
	if (!parsed.ok) return fail(400, { action: 'update', target: id, values, errors: localErrors(event, parsed.errors) });
	const result = await callApi(event, (api) => api.PATCH('/api/v1/catalogue/suppliers/{supplierId}', { params: { path: { supplierId: id } }, body: parsed.body }));
	if (!result.ok) return fail(result.status, { ...apiErrors(result.state), action: 'update', target: id, values });
	return { action: 'update', done: 'saved' as const, target: id, name: result.data.name };
}

/** `?/status`: disable a supplier (orders of its rewards fail instead of being sent) or enable it again. */
export async function supplierStatusAction(event: RequestEvent) {
	const form = await readForm(event);
	const id = form.text('id');
	const status = form.text('status');
	if (!UUID.test(id) || (status !== 'active' && status !== 'disabled')) {
		return fail(400, { action: 'status', target: id, message: translatorOf(event)('errors.unexpected', { status: 400 }) });
	}
	const result = await callApi(event, (api) => api.PATCH('/api/v1/catalogue/suppliers/{supplierId}', { params: { path: { supplierId: id } }, body: { status } }));
	if (!result.ok) return result.fail({ action: 'status', target: id });
	return { action: 'status', done: result.data.status === 'active' ? ('enabled' as const) : ('disabled' as const), target: id, name: result.data.name };
}

/** `?/rotate`: a new signing secret, shown once; the old one stops signing at once. */
export async function rotateSecretAction(event: RequestEvent) {
	const form = await readForm(event);
	const id = form.text('id');
	if (!UUID.test(id)) return fail(400, { action: 'rotate', target: id, message: translatorOf(event)('errors.unexpected', { status: 400 }) });
	const result = await once(event, `rotate:${id}`, form.text('nonce'), () =>
		callApi(event, (api) => api.POST('/api/v1/catalogue/suppliers/{supplierId}/secret', { params: { path: { supplierId: id } }, body: {} }))
	);
	if (!result.ok) return result.fail({ action: 'rotate', target: id });
	return { action: 'rotate', done: 'rotated' as const, target: id, name: form.text('name'), secret: result.data.secret };
}
