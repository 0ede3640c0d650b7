import { fail, redirect, type RequestEvent } from '@sveltejs/kit';
import { addToCart, CART_COOKIE, lineErrors, MAX_CART_LINES, parseCart, removeLine, serializeCart, setQuantity, shippingDefaults, type CartLine } from '#lib/catalogue/cart.ts';
import { parseQuantity } from '#lib/catalogue/catalogue.ts';
import { UUID } from '#lib/earning/earning.ts';
import { callApi } from './api.ts';
import { readForm, requireFields } from './forms.ts';
import { translatorOf } from './i18n.ts';
import { isHttps } from './request.ts';

const NONCE = /^[0-9a-f]{32}$/;
/** A cart is kept for 30 days. */
const MAX_AGE = 30 * 24 * 60 * 60;

/** The signed-in user's cart from the cookie. */
export function readCart(event: RequestEvent): CartLine[] {
	const userId = event.locals.session?.user.id;
	return userId ? parseCart(event.cookies.get(CART_COOKIE), userId) : [];
}

export function writeCart(event: RequestEvent, lines: CartLine[]): void {
	const userId = event.locals.session?.user.id;
	const options = { path: '/portal', httpOnly: true, sameSite: 'lax' as const, secure: isHttps(event) };
	if (!userId || lines.length === 0) event.cookies.delete(CART_COOKIE, options);
	else event.cookies.set(CART_COOKIE, serializeCart(lines, userId), { ...options, maxAge: MAX_AGE });
}

/** `?/add` of the cart (from an offer card or a reward's page): the reward and a quantity, then the cart. */
export async function addToCartAction(event: RequestEvent) {
	const t = translatorOf(event);
	const form = await readForm(event);
	// From a reward's page the reward is in the button's URL (the form's fields are the quantity).
	const rewardId = form.text('rewardId') || (event.url.searchParams.get('reward') ?? '');
	const quantity = parseQuantity(form.text('quantity') || '1');
	if (!UUID.test(rewardId)) return fail(400, { action: 'add', message: t('errors.unexpected', { status: 400 }) });
	if (quantity === null) return fail(400, { action: 'add', message: t('catalogue:cart.quantityInvalid'), target: rewardId });
	const added = addToCart(readCart(event), rewardId, quantity);
	if (!added.ok) return fail(409, { action: 'add', message: t('catalogue:cart.full', { max: MAX_CART_LINES }), target: rewardId });
	writeCart(event, added.lines);
	redirect(303, `/portal/cart?added=${rewardId}`);
}

/** `?/update` of a cart line: its new quantity. */
export async function updateLineAction(event: RequestEvent) {
	const t = translatorOf(event);
	const form = await readForm(event);
	const rewardId = form.text('rewardId');
	const quantity = parseQuantity(form.text('quantity'));
	if (quantity === null) {
		return fail(400, { action: 'update', target: rewardId, values: { quantity: form.text('quantity') }, errors: { quantity: t('catalogue:cart.quantityInvalid') } });
	}
	writeCart(event, setQuantity(readCart(event), rewardId, quantity));
	return { action: 'update', target: rewardId, done: 'updated' as const };
}

/** `?/remove` of a cart line. */
export async function removeLineAction(event: RequestEvent) {
	const form = await readForm(event);
	writeCart(event, removeLine(readCart(event), form.text('rewardId')));
	return { action: 'remove', done: 'removed' as const };
}

const SHIPPING_FIELDS = ['name', 'street', 'postalCode', 'city', 'country', 'phone'] as const;

/**
 * `?/checkout`: the lines as rendered with the form (hidden `line` fields, so a double submit of one rendering sends the
 * same cart and the API replays the first checkout: the idempotency key comes from the rendered nonce), the delivery
 * address when a line is a physical good. One order per line, all or none; then the orders placed. A problem with a
 * line comes back at that line, in the person's language.
 */
export async function checkoutAction(event: RequestEvent) {
	const t = translatorOf(event);
	const form = await readForm(event);
	const nonce = form.text('nonce');
	const physical = form.text('physical') === '1';
	const lines: CartLine[] = [];
	for (const text of form.all('line').slice(0, MAX_CART_LINES)) {
		const [rewardId = '', quantity = ''] = text.split(':');
		const n = parseQuantity(quantity);
		if (UUID.test(rewardId) && n !== null) lines.push({ rewardId, quantity: n });
	}
	const values: Record<string, string> = {};
	for (const field of SHIPPING_FIELDS) values[`shipping.${field}`] = form.text(`shipping.${field}`);
	if (!NONCE.test(nonce) || lines.length === 0) return fail(400, { action: 'checkout', values, message: t('catalogue:cart.emptyNothing') });
	if (physical) {
		const errors = requireFields(t, values, ['shipping.name', 'shipping.street', 'shipping.postalCode', 'shipping.city', 'shipping.country']) ?? {};
		const country = values['shipping.country']!.toUpperCase();
		if (country && !/^[A-Z]{2}$/.test(country)) errors['shipping.country'] = t('catalogue:checkout.countryInvalid');
		if (Object.keys(errors).length > 0) return fail(400, { action: 'checkout', values, errors });
	}
	const s = (field: string) => values[`shipping.${field}`]!;
	const result = await callApi(event, (api) =>
		api.POST('/api/v1/catalogue/checkout', {
			body: {
				items: lines,
				idempotencyKey: `web:cart:${event.locals.session?.user.id ?? 'anonymous'}:${nonce}`,
				...(physical
					? { shipping: { name: s('name'), street: s('street'), postalCode: s('postalCode'), city: s('city'), country: s('country').toUpperCase(), ...(s('phone') ? { phone: s('phone') } : {}) } }
					: {})
			}
		})
	);
	if (!result.ok) {
		const { byReward, other } = lineErrors(result.state.errors, lines);
		return fail(result.status, { ...result.state, action: 'checkout', values, errors: other, lineErrors: byReward });
	}
	// The ordered lines leave the cart (a line added meanwhile in another tab stays).
	const ordered = new Set(lines.map((line) => line.rewardId));
	writeCart(event, readCart(event).filter((line) => !ordered.has(line.rewardId)));
	redirect(303, `/portal/cart/placed?orders=${result.data.orders.map((o) => o.id).join(',')}`);
}

/**
 * The address a checkout with physical goods starts with (see `shippingDefaults`): the company's newest order with a
 * delivery address, else its profile. Either read failing leaves the form empty rather than the page broken.
 */
export async function loadShippingDefaults(event: RequestEvent): Promise<ReturnType<typeof shippingDefaults>> {
	const orders = await callApi(event, (api) => api.GET('/api/v1/catalogue/me/orders', { params: { query: { limit: 50 } } })).catch(() => null);
	const last = orders?.ok ? (orders.data.items.find((order) => order.shipping && typeof order.shipping.street === 'string')?.shipping ?? null) : null;
	if (last) return shippingDefaults(last, null);
	const me = await callApi(event, (api) => api.GET('/api/v1/partners/me')).catch(() => null);
	return shippingDefaults(null, me?.ok ? me.data.partner : null);
}
