import type { paths } from '#lib/api/client.ts';
import type { StatusTone } from '#lib/ui/StatusBadge.svelte';
import { parseInteger, startOfDay, toMinorUnits } from '#lib/earning/earning.ts';

type Json<P extends keyof paths, M extends 'get' | 'post' | 'patch', S extends number = 200> = paths[P][M] extends {
	responses: { [K in S]: { content: { 'application/json': infer B } } };
}
	? B
	: never;

export type Offer = Json<'/api/v1/catalogue/offer', 'get'>;
export type OfferItem = Offer['items'][number];
export type NotOrderableReason = OfferItem['reasons'][number]['code'];
export type Order = Json<'/api/v1/catalogue/me/orders/{orderId}', 'get'>;
export type OrderPage = Json<'/api/v1/catalogue/me/orders', 'get'>;
export type OrderStatus = Order['status'];
export type Reward = Json<'/api/v1/catalogue/rewards/{rewardId}', 'get'>;
export type RewardType = Reward['type'];
export type RewardStatus = Reward['status'];
export type LimitPeriod = NonNullable<Reward['limit']>['period'];
export type Fulfilment = Reward['fulfilment'];
export type OfferSort = NonNullable<NonNullable<paths['/api/v1/catalogue/offer']['get']['parameters']['query']>['sort']>;
export type Localized = Reward['name'];
export type RewardBody = paths['/api/v1/catalogue/rewards']['post']['requestBody']['content']['application/json'];
export type FulfilmentProvider = Json<'/api/v1/catalogue/fulfilment-providers', 'get'>['items'][number];

export const REWARD_TYPES: readonly RewardType[] = ['physical', 'voucher', 'service', 'training', 'event', 'cashback', 'privilege'];
export const REWARD_STATUSES: readonly RewardStatus[] = ['draft', 'active', 'retired'];
export const LIMIT_PERIODS: readonly LimitPeriod[] = ['month', 'quarter', 'year', 'ever'];
/** The built-in fulfilment providers (named in the person's words); a plugin's provider comes with its own label. */
export type BuiltinFulfilment = 'manual' | 'voucher-pool' | 'supplier';
export const FULFILMENTS: readonly BuiltinFulfilment[] = ['manual', 'voucher-pool', 'supplier'];
export const OFFER_SORTS: readonly OfferSort[] = ['price-asc', 'price-desc', 'name', 'newest'];
export const ORDER_STATUSES: readonly OrderStatus[] = [
	'placed',
	'awaiting-approval',
	'fulfilling',
	'awaiting-shipment',
	'shipped',
	'completed',
	'cancelled',
	'rejected',
	'expired',
	'failed'
];
export const LANGUAGES = ['en', 'pl', 'ru'] as const;
/** The API's limits on one order's quantity. */
export const MAX_QUANTITY = 100;

const oneOf =
	<T extends string>(values: readonly T[]) =>
	(value: unknown): value is T =>
		typeof value === 'string' && (values as readonly string[]).includes(value);
export const isRewardType = oneOf(REWARD_TYPES);
export const isRewardStatus = oneOf(REWARD_STATUSES);
export const isOrderStatus = oneOf(ORDER_STATUSES);
export const isOfferSort = oneOf(OFFER_SORTS);
export const isLimitPeriod = oneOf(LIMIT_PERIODS);
export const isBuiltinFulfilment = oneOf(FULFILMENTS);
/** A provider id as the API takes it: a built-in one, or a plugin's `<plugin id>.<name>`. */
export const isFulfilment = (value: unknown): value is Fulfilment => typeof value === 'string' && /^[a-z][a-z0-9-]{0,39}(\.[a-z0-9][a-z0-9-]{0,39})?$/.test(value);

/** The settings fields a provider asks a reward for: the string, number and integer properties of its settings schema. */
export function providerSettingFields(provider: Pick<FulfilmentProvider, 'settings'> | undefined): { name: string; label: string; type: 'text' | 'number'; required: boolean }[] {
	const schema = provider?.settings as { properties?: Record<string, { type?: string; title?: string; description?: string }>; required?: string[] } | null | undefined;
	if (!schema?.properties) return [];
	return Object.entries(schema.properties)
		.filter(([, p]) => p.type === 'string' || p.type === 'number' || p.type === 'integer')
		.map(([name, p]) => ({ name, label: p.title ?? name, type: p.type === 'string' ? 'text' : 'number', required: schema.required?.includes(name) ?? false }));
}

/** The settings typed in the form (`fulfilmentSettings.<name>`) as the API's object, numbers as numbers. */
export function settingsFromForm(values: RewardFormValues, provider: Pick<FulfilmentProvider, 'settings'> | undefined): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const field of providerSettingFields(provider)) {
		const raw = (values[`fulfilmentSettings.${field.name}`] ?? '').trim();
		if (!raw) continue;
		out[field.name] = field.type === 'number' && /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
	}
	return out;
}

/** How a new reward is fulfilled when the form does not say: the API's default (a voucher pool for vouchers). */
export function defaultFulfilment(type: string): BuiltinFulfilment {
	return type === 'voucher' ? 'voucher-pool' : 'manual';
}

/** How an order's status reads at a glance. */
export function orderStatusTone(status: OrderStatus): StatusTone {
	switch (status) {
		case 'completed':
			return 'success';
		case 'cancelled':
		case 'rejected':
		case 'expired':
		case 'failed':
			return 'danger';
		case 'awaiting-approval':
		case 'awaiting-shipment':
			return 'warning';
		default:
			return 'info';
	}
}

export function rewardStatusTone(status: RewardStatus): StatusTone {
	return status === 'active' ? 'success' : status === 'draft' ? 'info' : 'neutral';
}

/** The API lets the partner cancel while the workflow has not started fulfilment (`CANCELLABLE` on the server). */
export function canCancel(order: Pick<Order, 'status'>): boolean {
	return order.status === 'placed' || order.status === 'awaiting-approval';
}

/** A voucher order's codes exist once the pool fulfilled it; they are revealed once (the API refuses a second time). */
export function mayHaveVoucher(order: Pick<Order, 'fulfilment' | 'status' | 'pointsState'>): boolean {
	return order.fulfilment === 'voucher-pool' && ['fulfilling', 'awaiting-shipment', 'shipped', 'completed'].includes(order.status);
}

/** What an admin can do with an order now: the API's own checks, so no button leads to a 409. */
export function adminActions(order: Pick<Order, 'status' | 'rewardType'>): { decide: boolean; ship: boolean; confirmDelivery: boolean; trackingRequired: boolean } {
	return {
		decide: order.status === 'awaiting-approval',
		ship: order.status === 'awaiting-shipment',
		confirmDelivery: order.status === 'shipped',
		trackingRequired: order.rewardType === 'physical'
	};
}

/** The catalogue's filters from the page's query string (unknown values dropped). */
export interface OfferFilters {
	q: string;
	type: RewardType | '';
	category: string;
	sort: OfferSort;
	orderableOnly: boolean;
}

export function offerFilters(url: URL): OfferFilters {
	const p = url.searchParams;
	const type = p.get('type') ?? '';
	const sort = p.get('sort') ?? '';
	return {
		q: (p.get('q') ?? '').trim().slice(0, 100),
		type: isRewardType(type) ? type : '',
		category: (p.get('category') ?? '').trim().slice(0, 80),
		sort: isOfferSort(sort) ? sort : 'price-asc',
		orderableOnly: p.get('orderable') === '1'
	};
}

/** The API query of the filters (empty ones left out). */
export function offerQuery(filters: OfferFilters): NonNullable<paths['/api/v1/catalogue/offer']['get']['parameters']['query']> {
	return {
		sort: filters.sort,
		...(filters.q ? { q: filters.q } : {}),
		...(filters.type ? { type: filters.type } : {}),
		...(filters.category ? { category: filters.category } : {}),
		...(filters.orderableOnly ? { orderableOnly: true } : {})
	};
}

/** Categories for the filter, sorted in the locale, without duplicates. */
export function categoriesOf(items: { reward: { category: string } }[] | { category: string }[], locale: string): string[] {
	const names = items.map((item) => ('reward' in item ? item.reward.category : item.category));
	return [...new Set(names)].sort((a, b) => a.localeCompare(b, locale));
}

/** The quantity asked for (`?quantity=`): 1 to MAX_QUANTITY, else null. */
export function parseQuantity(text: string | null | undefined): number | null {
	const value = parseInteger(text ?? '');
	return value !== null && value >= 1 && value <= MAX_QUANTITY ? value : null;
}

/**
 * Voucher codes pasted or uploaded: one per line (commas, semicolons and tabs also separate), trimmed, empty ones and
 * repeats dropped, a UTF-8 byte order mark ignored. A CSV with a header `code` loses the header.
 */
export function parseCodes(text: string): string[] {
	const codes = text
		.replace(/^\uFEFF/, '')
		.split(/[\r\n,;\t]+/)
		.map((code) => code.trim().replace(/^"(.*)"$/, '$1').trim())
		.filter(Boolean);
	if (codes[0]?.toLowerCase() === 'code') codes.shift();
	return [...new Set(codes)];
}

/** An order's points, co-pay and quantity for a reward. */
export function orderTotals(reward: { pricePoints: number; cash: { amountMinor: number; currency: string } | null }, quantity: number, balance: number) {
	const points = reward.pricePoints * quantity;
	return {
		points,
		cash: reward.cash ? { amountMinor: reward.cash.amountMinor * quantity, currency: reward.cash.currency } : null,
		balanceAfter: balance - points,
		enough: balance >= points
	};
}

/** A comma-separated list as typed (tier labels, segments): trimmed, empty items dropped (the API drops repeats). */
export function splitList(text: string): string[] {
	return text
		.split(',')
		.map((item) => item.trim())
		.filter(Boolean);
}

/** The reward form's values as the browser sends them. */
export type RewardFormValues = Record<string, string>;

export const REWARD_TEXT_FIELDS = LANGUAGES.flatMap((lang) => [`name.${lang}`, `description.${lang}`]);
export const REWARD_FIELDS = [
	'programId',
	'sku',
	'type',
	'fulfilment',
	'supplierId',
	...REWARD_TEXT_FIELDS,
	'category',
	'pricePoints',
	'cash.amount',
	'cash.currency',
	'availableFrom',
	'availableTo',
	'limit.quantity',
	'limit.period',
	'stockMode',
	'stock',
	'approvalRequired',
	'status',
	'labels',
	'segments'
] as const;

export type RewardFormError =
	| 'required'
	| 'sku'
	| 'type'
	| 'fulfilment'
	| 'points'
	| 'amount'
	| 'currency'
	| 'cashIncomplete'
	| 'date'
	| 'windowOrder'
	| 'limitQuantity'
	| 'limitIncomplete'
	| 'stock'
	| 'status';

/**
 * The reward form checked and turned into the API's body (create: with program, SKU and type; edit: without them, which
 * the API does not change). Errors are codes by field name, for the page to say in words. Days are the program's time
 * zone's: the window starts at the start of `availableFrom` and ends at the start of the day after `availableTo` (the
 * API's `availableTo` is exclusive; the form's last day is included).
 */
export function parseRewardForm(
	values: RewardFormValues,
	options: { mode: 'create' | 'edit'; timeZone: string; voucherPool: boolean; provider?: Pick<FulfilmentProvider, 'settings'> }
): { ok: true; body: Omit<RewardBody, 'programId' | 'sku' | 'type'> & Partial<Pick<RewardBody, 'programId' | 'sku' | 'type' | 'fulfilment' | 'supplierId' | 'fulfilmentSettings'>> } | { ok: false; errors: Record<string, RewardFormError> } {
	const errors: Record<string, RewardFormError> = {};
	const v = (name: string) => (values[name] ?? '').trim();
	const required = [...REWARD_TEXT_FIELDS, 'category', 'pricePoints', ...(options.mode === 'create' ? ['programId', 'sku', 'type'] : [])];
	for (const name of required) if (!v(name)) errors[name] = 'required';

	if (options.mode === 'create') {
		if (v('sku') && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(v('sku'))) errors.sku = 'sku';
		if (v('type') && !isRewardType(v('type'))) errors.type = 'type';
		if (v('fulfilment') && !isFulfilment(v('fulfilment'))) errors.fulfilment = 'fulfilment';
		if (v('fulfilment') === 'supplier' && !v('supplierId')) errors.supplierId = 'required';
	}
	const price = parseInteger(v('pricePoints'));
	if (v('pricePoints') && (price === null || price < 1 || price > 1_000_000_000)) errors.pricePoints = 'points';

	let cash: RewardBody['cash'] = null;
	const currency = v('cash.currency').toUpperCase();
	if (v('cash.amount') || currency) {
		if (!v('cash.amount')) errors['cash.amount'] = 'cashIncomplete';
		else if (!/^[A-Z]{3}$/.test(currency)) errors['cash.currency'] = currency ? 'currency' : 'cashIncomplete';
		else {
			const minor = toMinorUnits(v('cash.amount'), currency);
			if (minor === null || minor < 1) errors['cash.amount'] = 'amount';
			else cash = { amountMinor: minor, currency };
		}
	}

	const from = v('availableFrom') ? startOfDay(v('availableFrom'), options.timeZone) : null;
	const lastDay = v('availableTo');
	let to: string | null = null;
	if (lastDay) {
		const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(lastDay);
		const next = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1)).toISOString().slice(0, 10) : '';
		to = m && startOfDay(lastDay, options.timeZone) ? startOfDay(next, options.timeZone) : null;
	}
	if (v('availableFrom') && !from) errors.availableFrom = 'date';
	if (lastDay && !to) errors.availableTo = 'date';
	if (from && to && to <= from) errors.availableTo = 'windowOrder';

	let limit: RewardBody['limit'] = null;
	if (v('limit.quantity') || v('limit.period')) {
		const quantity = parseInteger(v('limit.quantity'));
		if (!v('limit.quantity')) errors['limit.quantity'] = 'limitIncomplete';
		else if (quantity === null || quantity < 1 || quantity > 10_000) errors['limit.quantity'] = 'limitQuantity';
		else if (!isLimitPeriod(v('limit.period'))) errors['limit.period'] = 'limitIncomplete';
		else limit = { quantity, period: v('limit.period') as LimitPeriod };
	}

	let stock: number | null | undefined;
	if (!options.voucherPool) {
		if (v('stockMode') === 'unlimited') stock = null;
		else if (v('stockMode') === 'limited') {
			const n = parseInteger(v('stock'));
			if (!v('stock')) errors.stock = 'required';
			else if (n === null || n < 0 || n > 10_000_000) errors.stock = 'stock';
			else stock = n;
		} else if (options.mode === 'create') stock = null;
	}
	const status = v('status') || 'draft';
	if (!isRewardStatus(status)) errors.status = 'status';
	const labels = splitList(v('labels'));
	const segments = splitList(v('segments'));

	if (Object.keys(errors).length > 0) return { ok: false, errors };
	const text = (field: 'name' | 'description'): Localized => ({ en: v(`${field}.en`), pl: v(`${field}.pl`), ru: v(`${field}.ru`) });
	return {
		ok: true,
		body: {
			...(options.mode === 'create' ? { programId: v('programId'), sku: v('sku'), type: v('type') as RewardType } : {}),
			...(options.mode === 'create' && v('fulfilment') ? { fulfilment: v('fulfilment') as Fulfilment } : {}),
			...(options.mode === 'create' && v('fulfilment') === 'supplier' ? { supplierId: v('supplierId') } : {}),
			...(options.mode === 'create' && options.provider?.settings ? { fulfilmentSettings: settingsFromForm(values, options.provider) } : {}),
			name: text('name'),
			description: text('description'),
			category: v('category'),
			pricePoints: price!,
			cash,
			availableFrom: from,
			availableTo: to,
			limit,
			...(stock !== undefined ? { stock } : {}),
			approvalRequired: v('approvalRequired') === 'on' || v('approvalRequired') === 'true',
			status: status as RewardStatus,
			labels,
			segments
		}
	};
}

/** A reward as the form's starting values (edit). `availableTo` is shown as the last day included. */
export function rewardFormValues(reward: Reward, timeZone: string, dayIn: (instant: string, zone: string) => string | null, minorToText: (minor: number, currency: string) => string): RewardFormValues {
	const values: RewardFormValues = {
		programId: reward.programId,
		sku: reward.sku,
		type: reward.type,
		fulfilment: reward.fulfilment,
		supplierId: reward.supplierId ?? '',
		category: reward.category,
		pricePoints: String(reward.pricePoints),
		'cash.amount': reward.cash ? minorToText(reward.cash.amountMinor, reward.cash.currency) : '',
		'cash.currency': reward.cash?.currency ?? '',
		availableFrom: reward.availableFrom ? (dayIn(reward.availableFrom, timeZone) ?? '') : '',
		availableTo: reward.availableTo ? (dayIn(new Date(Date.parse(reward.availableTo) - 1).toISOString(), timeZone) ?? '') : '',
		'limit.quantity': reward.limit ? String(reward.limit.quantity) : '',
		'limit.period': reward.limit?.period ?? '',
		stockMode: reward.stock === null ? 'unlimited' : 'limited',
		stock: reward.stock === null ? '' : String(reward.stock),
		approvalRequired: reward.approvalRequired ? 'on' : '',
		status: reward.status,
		labels: reward.labels.join(', '),
		segments: reward.segments.join(', ')
	};
	for (const lang of LANGUAGES) {
		values[`name.${lang}`] = reward.name[lang];
		values[`description.${lang}`] = reward.description[lang];
	}
	return values;
}

/** Minor units as the plain decimal typed into a form (`12345`, PLN → `123.45`). */
export function minorToPlain(minor: number, fractionDigits: number): string {
	if (fractionDigits === 0) return String(minor);
	const s = String(minor).padStart(fractionDigits + 1, '0');
	return `${s.slice(0, -fractionDigits)}.${s.slice(-fractionDigits)}`;
}
