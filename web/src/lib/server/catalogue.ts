import { fail, redirect, type RequestEvent } from '@sveltejs/kit';
import {
	defaultFulfilment,
	isBuiltinFulfilment,
	parseCodes,
	parseQuantity,
	parseRewardForm,
	REWARD_FIELDS,
	type Order,
	type RewardBody,
	type RewardFormError
} from '#lib/catalogue/catalogue.ts';
import { UUID } from '#lib/earning/earning.ts';
import type { FormState } from '#lib/forms.ts';
import { callApi, type ApiOutcome } from './api.ts';
import { createOnceGuard } from './earning-once.ts';
import { readForm, requireFields } from './forms.ts';
import { translatorOf } from './i18n.ts';

const NONCE = /^[0-9a-f]{32}$/;
const guard = createOnceGuard();
/** The largest voucher file read (the API takes at most 50,000 codes of up to 200 characters). */
const MAX_CODES_BYTES = 8 * 1024 * 1024;

/** A double submit of one rendering of an admin form (same nonce, same person) gets the first outcome. */
function once<D>(event: RequestEvent, kind: string, nonce: string, run: () => Promise<ApiOutcome<D>>): Promise<ApiOutcome<D>> {
	return guard(event.locals.session?.user.id ?? 'anonymous', kind, nonce, run);
}

function badRequest(event: RequestEvent, action: string, extra: FormState = {}) {
	return fail(400, { action, message: translatorOf(event)('errors.unexpected', { status: 400 }), ...extra });
}

/**
 * The checkout's default action: one order of one reward (and a quantity), for the signed-in partner. The API's
 * idempotency key comes from the nonce rendered with the checkout, so a double submit (or a retry of the same page)
 * returns the first order instead of ordering twice. Then the order's page.
 */
export async function placeOrderAction(event: RequestEvent<{ id: string }>) {
	const t = translatorOf(event);
	const form = await readForm(event);
	const rewardId = event.params.id;
	const nonce = form.text('nonce');
	const quantity = parseQuantity(form.text('quantity'));
	const physical = form.text('physical') === '1';
	const shippingFields = ['name', 'street', 'postalCode', 'city', 'country', 'phone'] as const;
	const values: Record<string, string> = { quantity: form.text('quantity') };
	for (const field of shippingFields) values[`shipping.${field}`] = form.text(`shipping.${field}`);
	if (!UUID.test(rewardId) || !NONCE.test(nonce) || quantity === null) return badRequest(event, 'order', { values });
	const errors: Record<string, string> = {};
	if (physical) {
		Object.assign(errors, requireFields(t, values, ['shipping.name', 'shipping.street', 'shipping.postalCode', 'shipping.city', 'shipping.country']) ?? {});
		const country = values['shipping.country']!.toUpperCase();
		if (country && !/^[A-Z]{2}$/.test(country)) errors['shipping.country'] = t('catalogue:checkout.countryInvalid');
	}
	if (Object.keys(errors).length > 0) return fail(400, { action: 'order', values, errors });
	const s = (field: string) => values[`shipping.${field}`]!;
	const result = await callApi<Order>(event, (api) =>
		api.POST('/api/v1/catalogue/orders', {
			body: {
				rewardId,
				quantity,
				idempotencyKey: `web:order:${event.locals.session?.user.id ?? 'anonymous'}:${nonce}`,
				...(physical
					? { shipping: { name: s('name'), street: s('street'), postalCode: s('postalCode'), city: s('city'), country: s('country').toUpperCase(), ...(s('phone') ? { phone: s('phone') } : {}) } }
					: {})
			}
		})
	);
	if (!result.ok) return result.fail({ action: 'order', values });
	redirect(303, `/portal/orders/${result.data.id}?placed`);
}

/** `?/cancel`, `?/confirmDelivery` and `?/reveal` of the partner's order page. */
export async function partnerOrderAction(event: RequestEvent<{ id: string }>, action: 'cancel' | 'confirmDelivery' | 'reveal') {
	const orderId = event.params.id;
	if (!UUID.test(orderId)) return badRequest(event, action);
	const path = { params: { path: { orderId } }, body: {} };
	if (action === 'reveal') {
		const result = await callApi(event, (api) => api.POST('/api/v1/catalogue/me/orders/{orderId}/voucher', path));
		if (!result.ok) return result.fail({ action });
		return { action, codes: result.data.codes, revealedAt: result.data.revealedAt };
	}
	const result = await callApi(event, (api) =>
		action === 'cancel'
			? api.POST('/api/v1/catalogue/me/orders/{orderId}/cancel', path)
			: api.POST('/api/v1/catalogue/me/orders/{orderId}/confirm-delivery', path)
	);
	if (!result.ok) return result.fail({ action });
	return { action, done: action };
}

/** `?/approve`, `?/reject`, `?/ship` and `?/confirmDelivery` of the admin's order page. */
export async function adminOrderAction(event: RequestEvent<{ id: string }>, action: 'approve' | 'reject' | 'ship' | 'confirmDelivery') {
	const t = translatorOf(event);
	const orderId = event.params.id;
	const form = await readForm(event);
	const values = { comment: form.text('comment'), trackingNumber: form.text('trackingNumber'), carrier: form.text('carrier') };
	if (!UUID.test(orderId)) return badRequest(event, action, { values });
	if (action === 'ship' && form.text('trackingRequired') === '1' && !values.trackingNumber) {
		return fail(400, { action, values, errors: { trackingNumber: t('form.required') } });
	}
	const path = { params: { path: { orderId } } };
	const result = await once(event, action, form.text('nonce'), () =>
		callApi(event, (api) => {
			switch (action) {
				case 'approve':
				case 'reject':
					return api.POST(`/api/v1/catalogue/orders/{orderId}/${action}`, { ...path, body: values.comment ? { comment: values.comment } : {} });
				case 'ship':
					return api.POST('/api/v1/catalogue/orders/{orderId}/ship', {
						...path,
						body: { ...(values.trackingNumber ? { trackingNumber: values.trackingNumber } : {}), ...(values.carrier ? { carrier: values.carrier } : {}) }
					});
				default:
					return api.POST('/api/v1/catalogue/orders/{orderId}/confirm-delivery', { ...path, body: {} });
			}
		})
	);
	if (!result.ok) return result.fail({ action, values });
	return { action, done: action };
}

/** The reward form's values as typed, to fill it again. */
function rewardValues(form: Awaited<ReturnType<typeof readForm>>): Record<string, string> {
	const settings = [...form.data.keys()].filter((name) => /^fulfilmentSettings\.[A-Za-z0-9_-]{1,64}$/.test(name));
	return Object.fromEntries([...REWARD_FIELDS, ...new Set(settings)].map((name) => [name, form.text(name)]));
}

function rewardErrors(event: RequestEvent, errors: Record<string, RewardFormError>): Record<string, string> {
	const t = translatorOf(event);
	return Object.fromEntries(Object.entries(errors).map(([field, code]) => [field, code === 'required' ? t('form.required') : t(`catalogue:form.errors.${code}`)]));
}

/** The API's field pointers that the form names differently. */
function renameApiErrors(state: FormState): FormState {
	if (!state.errors) return state;
	const errors: Record<string, string> = {};
	for (const [key, message] of Object.entries(state.errors)) {
		// `labels.2` and `segments.0`: one of the comma-separated items, said at its field.
		const list = /^(labels|segments)\.\d+$/.exec(key)?.[1];
		const name = list ?? (key === 'cash.amountMinor' ? 'cash.amount' : key === 'cash' ? 'cash.amount' : key === 'limit' ? 'limit.quantity' : key);
		errors[name] ??= message;
	}
	return { ...state, errors };
}

/**
 * The default action of the new-reward page: the reward (fulfilled by hand, from a voucher pool or by a supplier; the
 * API's default when the form does not say), then its page (where voucher codes are imported).
 */
export async function createRewardAction(event: RequestEvent, timeZoneOf: (programId: string) => Promise<string>) {
	const form = await readForm(event);
	const values = rewardValues(form);
	const programId = values.programId ?? '';
	const timeZone = UUID.test(programId) ? await timeZoneOf(programId) : 'UTC';
	const fulfilment = values.fulfilment || defaultFulfilment(values.type ?? '');
	// A plugin's provider asks for settings: its schema says which (and their types).
	const providers = isBuiltinFulfilment(fulfilment) ? null : await callApi(event, (api) => api.GET('/api/v1/catalogue/fulfilment-providers'));
	const provider = providers?.ok ? providers.data.items.find((p) => p.id === fulfilment) : undefined;
	const parsed = parseRewardForm(values, { mode: 'create', timeZone, voucherPool: fulfilment === 'voucher-pool', provider });
	if (!parsed.ok) return fail(400, { action: 'save', values, errors: rewardErrors(event, parsed.errors) });
	const body = { ...parsed.body, programId, sku: values.sku ?? '', type: values.type } as RewardBody;
	const result = await once(event, 'reward', form.text('nonce'), () => callApi(event, (api) => api.POST('/api/v1/catalogue/rewards', { body })));
	if (!result.ok) return fail(result.status, { ...renameApiErrors(result.state), action: 'save', values });
	redirect(303, `/admin/rewards/${result.data.id}?created`);
}

/** `?/save` of a reward's page: texts, price, co-pay, window, limit, approval and status (SKU, type and fulfilment stay). */
export async function updateRewardAction(event: RequestEvent<{ id: string }>, reward: { timeZone: string; voucherPool: boolean }) {
	const form = await readForm(event);
	const values = rewardValues(form);
	if (!UUID.test(event.params.id)) return badRequest(event, 'save', { values });
	const parsed = parseRewardForm(values, { mode: 'edit', timeZone: reward.timeZone, voucherPool: reward.voucherPool });
	if (!parsed.ok) return fail(400, { action: 'save', values, errors: rewardErrors(event, parsed.errors) });
	const result = await callApi(event, (api) =>
		api.PATCH('/api/v1/catalogue/rewards/{rewardId}', { params: { path: { rewardId: event.params.id } }, body: parsed.body })
	);
	if (!result.ok) return fail(result.status, { ...renameApiErrors(result.state), action: 'save', values });
	return { action: 'save', done: 'saved' as const };
}

/**
 * `?/stock` of a reward's page: set the units left (`set`), add or take away some (`add`, `remove`, computed from the
 * stock shown with the form: if an order took units since, the API's number wins at the next load), or make it
 * unlimited. The API sets the stock in one statement, so it never races an order.
 */
export async function stockAction(event: RequestEvent<{ id: string }>) {
	const t = translatorOf(event);
	const form = await readForm(event);
	const mode = form.text('mode');
	const amount = form.text('amount').replace(/[\s\u00a0\u202f]/g, '');
	const values = { mode, amount: form.text('amount') };
	const shown = form.text('current') === '' ? null : Number(form.text('current'));
	if (!UUID.test(event.params.id)) return badRequest(event, 'stock', { values });
	let stock: number | null;
	if (mode === 'unlimited') stock = null;
	else {
		if (!/^\d{1,8}$/.test(amount)) return fail(400, { action: 'stock', values, errors: { amount: t('catalogue:stock.amountInvalid') } });
		const n = Number(amount);
		stock = mode === 'add' ? (shown ?? 0) + n : mode === 'remove' ? (shown ?? 0) - n : n;
		if (stock < 0) return fail(400, { action: 'stock', values, errors: { amount: t('catalogue:stock.belowZero') } });
	}
	const result = await once(event, 'stock', form.text('nonce'), () =>
		callApi(event, (api) => api.PATCH('/api/v1/catalogue/rewards/{rewardId}', { params: { path: { rewardId: event.params.id } }, body: { stock } }))
	);
	if (!result.ok) return result.fail({ action: 'stock', values });
	return { action: 'stock', done: 'stock' as const, stock: result.data.stock };
}

/** `?/vouchers` of a voucher reward's page: codes pasted and/or from an uploaded text or CSV file, one per line. */
export async function importVouchersAction(event: RequestEvent<{ id: string }>) {
	const t = translatorOf(event);
	const form = await readForm(event);
	let text = form.raw('codes');
	const file = form.data.get('file');
	if (file instanceof File && file.size > 0) {
		if (file.size > MAX_CODES_BYTES) return fail(413, { action: 'vouchers', values: { codes: text }, errors: { file: t('catalogue:vouchers.fileTooLarge') } });
		try {
			text += `\n${new TextDecoder('utf-8', { fatal: true }).decode(await file.arrayBuffer())}`;
		} catch {
			return fail(400, { action: 'vouchers', values: { codes: form.raw('codes') }, errors: { file: t('catalogue:vouchers.fileNotText') } });
		}
	}
	const codes = parseCodes(text);
	if (!UUID.test(event.params.id)) return badRequest(event, 'vouchers');
	if (codes.length === 0) return fail(400, { action: 'vouchers', values: { codes: form.raw('codes') }, errors: { codes: t('catalogue:vouchers.noCodes') } });
	if (codes.some((code) => code.length > 200)) return fail(400, { action: 'vouchers', values: { codes: form.raw('codes') }, errors: { codes: t('catalogue:vouchers.codeTooLong', { count: 200 }) } });
	const result = await callApi(event, (api) =>
		api.POST('/api/v1/catalogue/rewards/{rewardId}/vouchers', { params: { path: { rewardId: event.params.id } }, body: { codes } })
	);
	if (!result.ok) {
		const errors = result.state.errors ? { codes: Object.values(result.state.errors)[0]! } : undefined;
		return fail(result.status, { ...result.state, ...(errors ? { errors } : {}), action: 'vouchers', values: { codes: form.raw('codes') } });
	}
	return { action: 'vouchers', done: 'imported' as const, ...result.data };
}

/** The largest image file read before the API says it is too large (its limit is 5 MiB). */
const MAX_IMAGE_FILE_BYTES = Math.floor(5.5 * 1024 * 1024);

/** The alternative texts typed in an image form (`alt.en`, `alt.pl`, `alt.ru`), empty ones left out. */
function altOf(form: Awaited<ReturnType<typeof readForm>>): { en?: string; pl?: string; ru?: string } {
	return Object.fromEntries((['en', 'pl', 'ru'] as const).map((lang) => [lang, form.text(`alt.${lang}`)]).filter(([, text]) => text));
}

/**
 * `?/imageAdd` of a reward's page: the uploaded file goes to the API as it is (base64); the API checks its bytes (PNG,
 * JPEG or WebP, at most 5 MiB) and its problems come back at the file field, in the person's language.
 */
export async function addImageAction(event: RequestEvent<{ id: string }>) {
	const t = translatorOf(event);
	const form = await readForm(event);
	const values = { 'alt.en': form.text('alt.en'), 'alt.pl': form.text('alt.pl'), 'alt.ru': form.text('alt.ru') };
	if (!UUID.test(event.params.id)) return badRequest(event, 'imageAdd', { values });
	const file = form.data.get('file');
	if (!(file instanceof File) || file.size === 0) return fail(400, { action: 'imageAdd', values, errors: { file: t('form.required') } });
	if (file.size > MAX_IMAGE_FILE_BYTES) return fail(413, { action: 'imageAdd', values, errors: { file: t('catalogue:images.tooLarge') } });
	const data = Buffer.from(await file.arrayBuffer()).toString('base64');
	const result = await callApi(event, (api) =>
		api.POST('/api/v1/catalogue/rewards/{rewardId}/images', { params: { path: { rewardId: event.params.id } }, body: { data, alt: altOf(form) } })
	);
	if (!result.ok) {
		const errors = Object.fromEntries(Object.entries(result.state.errors ?? {}).map(([key, message]) => [key === 'data' ? 'file' : key, message]));
		return fail(result.status, { ...result.state, errors, action: 'imageAdd', values });
	}
	return { action: 'imageAdd', done: 'added' as const };
}

/** `?/imageEdit` (alternative text), `?/imageMove` (one place up or down) and `?/imageRemove` of a reward's page. */
export async function editImageAction(event: RequestEvent<{ id: string }>, action: 'imageEdit' | 'imageMove' | 'imageRemove') {
	const form = await readForm(event);
	const imageId = form.text('imageId');
	if (!UUID.test(event.params.id) || !UUID.test(imageId)) return badRequest(event, action);
	const path = { params: { path: { rewardId: event.params.id, imageId } } };
	const result = await callApi(event, (api) => {
		if (action === 'imageRemove') return api.DELETE('/api/v1/catalogue/rewards/{rewardId}/images/{imageId}', path);
		if (action === 'imageMove') return api.PATCH('/api/v1/catalogue/rewards/{rewardId}/images/{imageId}', { ...path, body: { position: Math.max(0, Number(form.text('position')) || 0) } });
		return api.PATCH('/api/v1/catalogue/rewards/{rewardId}/images/{imageId}', { ...path, body: { alt: { en: form.text('alt.en'), pl: form.text('alt.pl'), ru: form.text('alt.ru') } } });
	});
	if (!result.ok) return fail(result.status, { ...result.state, action, imageId, values: { 'alt.en': form.text('alt.en'), 'alt.pl': form.text('alt.pl'), 'alt.ru': form.text('alt.ru') } });
	return { action, imageId, done: action };
}
