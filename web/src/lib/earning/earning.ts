import type { paths } from '#lib/api/client.ts';
import { currencyFractionDigits } from '#lib/format/index.ts';
import type { StatusTone } from '#lib/ui/StatusBadge.svelte';

/** One version of an earning rule. */
export type Rule = paths['/api/v1/earning/rules/{id}']['get']['responses'][200]['content']['application/json'];
export type RuleStatus = Rule['status'];
export type RuleEffect = Rule['effect'];
/** One received event with its raw payload, status, result and resolution. */
export type EarningEvent = paths['/api/v1/earning/events/{id}']['get']['responses'][200]['content']['application/json'];
export type EventStatus = EarningEvent['status'];
export type EventPage = paths['/api/v1/earning/events']['get']['responses'][200]['content']['application/json'];
/** What `POST /api/v1/earning/simulate` answers. */
export type Simulation = paths['/api/v1/earning/simulate']['post']['responses'][200]['content']['application/json'];
export type SimulatedLine = Simulation['lines'][number];
/** What `POST /api/v1/earning/simulate/draft` answers: a simulation and the rule set it ran (drafts, replaced versions). */
export type DraftSimulation = paths['/api/v1/earning/simulate/draft']['post']['responses'][200]['content']['application/json'];
export type SkipReason = SimulatedLine['skipped'][number]['reason'];
export type InvoiceIssuedBody = Extract<
	paths['/api/v1/earning/simulate']['post']['requestBody']['content']['application/json'],
	{ type: 'invoice.issued' }
>;
export type PartnerIdentification = InvoiceIssuedBody['partner'];

export const RULE_STATUSES: readonly RuleStatus[] = ['draft', 'active', 'retired'];
export const EVENT_STATUSES: readonly EventStatus[] = ['received', 'processed', 'unmatched', 'refused', 'rejected'];
/** Event types a rule can answer (the canonical events the inbox takes today). */
export const EVENT_TYPES = ['invoice.issued', 'invoice.paid'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const TARGETS = ['pending', 'available'] as const;
export const SKIP_REASONS: readonly SkipReason[] = ['event-type', 'not-yet-valid', 'no-longer-valid', 'condition', 'condition-error', 'effect-error'];

export function isRuleStatus(value: unknown): value is RuleStatus {
	return typeof value === 'string' && (RULE_STATUSES as readonly string[]).includes(value);
}

export function isEventStatus(value: unknown): value is EventStatus {
	return typeof value === 'string' && (EVENT_STATUSES as readonly string[]).includes(value);
}

export function isEventType(value: unknown): value is EventType {
	return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

/** i18n keys cannot contain dots inside a key: `invoice.issued` → `invoiceIssued`. */
export function eventTypeKey(type: string): 'invoiceIssued' | 'invoicePaid' | null {
	return type === 'invoice.issued' ? 'invoiceIssued' : type === 'invoice.paid' ? 'invoicePaid' : null;
}

/** i18n key of a skip reason: `not-yet-valid` → `notYetValid`. */
export function skipReasonKey(reason: SkipReason): 'eventType' | 'notYetValid' | 'noLongerValid' | 'condition' | 'conditionError' | 'effectError' {
	return reason.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as ReturnType<typeof skipReasonKey>;
}

export function ruleStatusTone(status: RuleStatus): StatusTone {
	return status === 'active' ? 'success' : status === 'draft' ? 'info' : 'neutral';
}

export function eventStatusTone(status: EventStatus): StatusTone {
	switch (status) {
		case 'processed':
			return 'success';
		case 'unmatched':
			return 'warning';
		case 'refused':
			return 'danger';
		case 'received':
			return 'info';
		default:
			return 'neutral';
	}
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** JSON as people read it: two-space indentation. */
export function prettyJson(value: unknown): string {
	return JSON.stringify(value, null, 2) ?? '';
}

export type ParsedJson = { ok: true; value: unknown } | { ok: false; line: number; column: number };

/**
 * Parses JSON typed into a textarea. On a syntax error, the line and column (1-based) of the problem when the engine
 * names a position, else the end of the text.
 */
export function parseJsonText(text: string): ParsedJson {
	try {
		return { ok: true, value: JSON.parse(text) };
	} catch (error) {
		const message = String((error as Error)?.message ?? '');
		const explicit = /line (\d+) column (\d+)/.exec(message);
		if (explicit) return { ok: false, line: Number(explicit[1]), column: Number(explicit[2]) };
		const position = /position (\d+)/.exec(message);
		let offset = position ? Math.min(Number(position[1]), text.length) : text.length;
		// V8 without a position: `Unexpected token 'x', ..."n": [\n    x\n  ]\n}" is not valid JSON`, a slice of the
		// text with (after a leading ellipsis) ten characters before the token.
		const token = /^Unexpected token '([\s\S])', (\.\.\.)?"([\s\S]*?)"(?:\.\.\.)? is not valid JSON/.exec(message);
		if (!position && token) {
			const [, char = '', cut, context = ''] = token;
			const at = text.indexOf(context);
			const within = cut ? 10 : context.indexOf(char);
			if (at !== -1 && within !== -1) offset = at + within;
		}
		const before = text.slice(0, offset).split('\n');
		return { ok: false, line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
	}
}

/**
 * A decimal number as typed in any of our locales, normalised to `1234.56`: spaces (also non-breaking) group
 * thousands; with both `,` and `.` the last one is the decimal separator; a lone `,` is the decimal separator (Polish,
 * Russian). Null when it is not a plain non-negative decimal.
 */
export function normalizeDecimal(text: string): string | null {
	let s = text.replace(/[\s\u00a0\u202f']/g, '');
	if (s === '') return null;
	const comma = s.lastIndexOf(',');
	const dot = s.lastIndexOf('.');
	if (comma !== -1 && dot !== -1) {
		const decimal = comma > dot ? ',' : '.';
		const group = decimal === ',' ? '.' : ',';
		s = s.split(group).join('').replace(decimal, '.');
	} else if (comma !== -1) {
		if (s.indexOf(',') !== comma) return null;
		s = s.replace(',', '.');
	}
	return /^\d+(\.\d+)?$/.test(s) ? s : /^\.\d+$/.test(s) ? `0${s}` : null;
}

/**
 * An amount typed in currency units (`1 234,56`) as integer minor units of the currency (123456 for PLN); null when
 * it is not a non-negative amount with at most the currency's decimal places or does not fit a safe integer.
 */
export function toMinorUnits(text: string, currency: string): number | null {
	const decimal = normalizeDecimal(text);
	if (decimal === null) return null;
	let scale: number;
	try {
		scale = currencyFractionDigits(currency);
	} catch {
		return null;
	}
	const [whole = '0', fraction = ''] = decimal.split('.');
	if (fraction.length > scale) return null;
	const minor = BigInt(whole) * 10n ** BigInt(scale) + BigInt((fraction || '0').padEnd(scale, '0') || '0');
	return minor <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(minor) : null;
}

/** Points per currency unit: a positive decimal with at most 4 decimal places (the API's limit), else null. */
export function parsePointsPerUnit(text: string): number | null {
	const decimal = normalizeDecimal(text);
	if (decimal === null || !/^\d+(\.\d{1,4})?$/.test(decimal)) return null;
	const value = Number(decimal);
	return value > 0 && value <= 1000 ? value : null;
}

/** An integer typed with an optional sign (also the typographic minus), else null. */
export function parseInteger(text: string): number | null {
	const s = text.replace(/[\s\u00a0\u202f]/g, '').replace(/^\u2212/, '-');
	return /^[+-]?\d{1,9}$/.test(s) ? Number(s) : null;
}

/** The offset of a time zone from UTC at an instant, in milliseconds (Warsaw in summer: +2 h). */
function zoneOffset(at: number, timeZone: string): number {
	const parts = new Intl.DateTimeFormat('en-US', {
		timeZone,
		hourCycle: 'h23',
		year: 'numeric',
		month: '2-digit',
		day: '2-digit',
		hour: '2-digit',
		minute: '2-digit',
		second: '2-digit'
	}).formatToParts(new Date(at));
	const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
	const local = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
	return local - Math.floor(at / 1000) * 1000;
}

/** The instant a calendar day (`YYYY-MM-DD`) starts in a time zone, as ISO 8601; null for anything else. */
export function startOfDay(day: string, timeZone: string): string | null {
	const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
	if (!m) return null;
	const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
	if (Number.isNaN(utc) || new Date(utc).toISOString().slice(0, 10) !== day) return null;
	try {
		let at = utc - zoneOffset(utc, timeZone);
		at = utc - zoneOffset(at, timeZone);
		return new Date(at).toISOString();
	} catch {
		return null;
	}
}

/** The calendar day (`YYYY-MM-DD`) of an instant in a time zone. */
export function dayIn(instant: string, timeZone: string): string | null {
	const at = Date.parse(instant);
	if (Number.isNaN(at)) return null;
	try {
		return new Date(at + zoneOffset(at, timeZone)).toISOString().slice(0, 10);
	} catch {
		return new Date(at).toISOString().slice(0, 10);
	}
}

/**
 * How an event names its partner, from what someone typed: a Laurel id, a NIP (ten digits, separators and a `PL`
 * prefix allowed) or else a PartnerID. Null when empty.
 */
export function partnerIdentifier(text: string): PartnerIdentification | null {
	const value = text.trim();
	if (!value) return null;
	if (UUID.test(value)) return { partnerId: value.toLowerCase() };
	const digits = value.replace(/^PL/i, '').replace(/[\s-]/g, '');
	if (/^\d{10}$/.test(digits)) return { nip: digits };
	return { partnerCode: value };
}

/** The identifiers an event's payload names its partner by, in the order matching tries them. */
export function payloadIdentifiers(payload: Record<string, unknown>): { kind: 'partnerId' | 'nip' | 'euVat' | 'regon' | 'partnerCode'; value: string }[] {
	const partner = payload.partner;
	if (!partner || typeof partner !== 'object') return [];
	const p = partner as Record<string, unknown>;
	return (['partnerId', 'nip', 'euVat', 'regon', 'partnerCode'] as const)
		.filter((kind) => typeof p[kind] === 'string' && p[kind] !== '')
		.map((kind) => ({ kind, value: p[kind] as string }));
}

/** The invoice facts of a payload for a list: number, currency and the net total of its lines (minor units). */
export function invoiceSummary(payload: Record<string, unknown>): { number: string | null; currency: string | null; netTotal: number | null; lines: number } {
	const lines = Array.isArray(payload.lines) ? payload.lines : [];
	const amounts = lines.map((l) => (l && typeof l === 'object' ? (l as Record<string, unknown>).netAmount : undefined));
	const netTotal = amounts.length > 0 && amounts.every((a) => Number.isSafeInteger(a)) ? (amounts as number[]).reduce((s, a) => s + a, 0) : null;
	return {
		number: typeof payload.number === 'string' ? payload.number : null,
		currency: typeof payload.currency === 'string' && /^[A-Z]{3}$/.test(payload.currency) ? payload.currency : null,
		netTotal,
		lines: lines.length
	};
}

/**
 * Field errors of a form: a problem's keys (`lines.0.netAmount`, `eventTypes.1`, `effect.pointsPerUnit`) are given to
 * the longest form field they start with; the rest stay to be listed on their own.
 */
export function assignFieldErrors(
	errors: Record<string, string> | undefined,
	fields: readonly string[]
): { byField: Record<string, string>; other: { field: string; message: string }[] } {
	const byField: Record<string, string> = {};
	const other: { field: string; message: string }[] = [];
	const sorted = [...fields].sort((a, b) => b.length - a.length);
	for (const [key, message] of Object.entries(errors ?? {})) {
		const field = sorted.find((name) => key === name || key.startsWith(`${name}.`));
		if (field) byField[field] ??= message;
		else other.push({ field: key, message });
	}
	return { byField, other };
}

/** One line of the simulation form as typed. */
export interface LineInput {
	sku: string;
	quantity: string;
	netAmount: string;
	category: string;
}

export function lineIsEmpty(line: LineInput): boolean {
	return !line.sku.trim() && !line.quantity.trim() && !line.netAmount.trim() && !line.category.trim();
}

export interface InvoiceInput {
	programId: string;
	partner: string;
	occurredOn: string;
	currency: string;
	number: string;
	lines: LineInput[];
	timeZone: string;
}

export type InvoiceError = 'required' | 'partner' | 'date' | 'currency' | 'quantity' | 'amount' | 'noLines';

/**
 * The `invoice.issued` event the simulation form describes, or the fields that are wrong (keys as the API names them:
 * `partner`, `occurredAt`, `currency`, `lines.0.netAmount`; empty lines are left out, line numbers keep the form's rows).
 */
export function buildInvoice(input: InvoiceInput): { ok: true; event: InvoiceIssuedBody; rows: number[] } | { ok: false; errors: Record<string, InvoiceError> } {
	const errors: Record<string, InvoiceError> = {};
	const partner = partnerIdentifier(input.partner);
	if (!input.partner.trim()) errors.partner = 'required';
	else if (!partner) errors.partner = 'partner';
	const occurredAt = input.occurredOn ? startOfDay(input.occurredOn, input.timeZone) : null;
	if (!input.occurredOn) errors.occurredAt = 'required';
	else if (!occurredAt) errors.occurredAt = 'date';
	const currency = input.currency.trim().toUpperCase();
	let currencyOk = /^[A-Z]{3}$/.test(currency);
	try {
		if (currencyOk) currencyFractionDigits(currency);
	} catch {
		currencyOk = false;
	}
	if (!currencyOk) errors.currency = currency ? 'currency' : 'required';
	const lines: InvoiceIssuedBody['lines'] = [];
	const rows: number[] = [];
	input.lines.forEach((line, row) => {
		if (lineIsEmpty(line)) return;
		const index = lines.length;
		const at = `lines.${row}`;
		if (!line.sku.trim()) errors[`${at}.sku`] = 'required';
		const quantity = normalizeDecimal(line.quantity || '1');
		if (quantity === null || Number(quantity) <= 0) errors[`${at}.quantity`] = 'quantity';
		const netAmount = currencyOk ? toMinorUnits(line.netAmount, currency) : null;
		if (!line.netAmount.trim()) errors[`${at}.netAmount`] = 'required';
		else if (currencyOk && netAmount === null) errors[`${at}.netAmount`] = 'amount';
		lines[index] = {
			sku: line.sku.trim(),
			quantity: Number(quantity ?? 0),
			netAmount: netAmount ?? 0,
			...(line.category.trim() ? { category: line.category.trim() } : {})
		};
		rows.push(row);
	});
	if (lines.length === 0) errors['lines.0.sku'] ??= 'noLines';
	if (Object.keys(errors).length > 0 || !partner || !occurredAt) return { ok: false, errors };
	return {
		ok: true,
		rows,
		event: {
			type: 'invoice.issued',
			source: 'laurel-simulation',
			externalId: 'simulation',
			occurredAt,
			...(input.programId ? { programId: input.programId } : {}),
			partner,
			number: input.number.trim() || 'SIM/1',
			currency,
			lines
		}
	};
}

/**
 * A problem's field keys about the simulated event (`lines.1.netAmount`) put back on the form's rows: the event left
 * empty rows out, so its line 1 may be the form's row 3.
 */
export function toFormRows(errors: Record<string, string>, rows: number[]): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [key, message] of Object.entries(errors)) {
		const m = /^lines\.(\d+)(\..*)?$/.exec(key);
		const row = m ? rows[Number(m[1])] : undefined;
		out[m && row !== undefined ? `lines.${row}${m[2] ?? '.sku'}` : key] ??= message;
	}
	return out;
}

/** Filters of the events list that the API does not apply itself: partner, type and a period of the event's date. */
export interface EventFilters {
	partner?: string;
	type?: EventType;
	from?: string;
	to?: string;
}

/**
 * Whether an event passes the filters. `partner` matches the partner's id, name (given `names`), or an identifier of
 * the payload (a NIP with or without separators); `from`/`to` are calendar days (UTC) of `occurredAt`, both included.
 */
export function eventMatches(event: Pick<EarningEvent, 'partnerId' | 'type' | 'occurredAt' | 'payload'>, filters: EventFilters, names: Record<string, string> = {}): boolean {
	if (filters.type && event.type !== filters.type) return false;
	const day = event.occurredAt.slice(0, 10);
	if (filters.from && day < filters.from) return false;
	if (filters.to && day > filters.to) return false;
	const q = filters.partner?.trim().toLowerCase();
	if (q) {
		const digits = q.replace(/[\s-]/g, '');
		const candidates = [
			event.partnerId ?? '',
			event.partnerId ? (names[event.partnerId] ?? '') : '',
			...payloadIdentifiers(event.payload).map((i) => i.value)
		].map((c) => c.toLowerCase());
		if (!candidates.some((c) => c && (c.includes(q) || (digits.length >= 3 && c.replace(/[\s-]/g, '').includes(digits))))) return false;
	}
	return true;
}

/**
 * One page of events for a filter the API does not know: reads the API's pages (newest first) until `limit` events
 * match or `maxReads` pages were read. `nextBefore` continues exactly after the last event looked at.
 */
export async function collectMatching<T extends { id: string }>(
	read: (before: string | undefined) => Promise<{ items: T[]; nextBefore: string | null }>,
	matches: (item: T) => boolean | Promise<boolean>,
	options: { limit: number; maxReads: number; before?: string }
): Promise<{ items: T[]; nextBefore: string | null; scanned: number }> {
	const items: T[] = [];
	let before = options.before;
	let scanned = 0;
	for (let reads = 0; reads < options.maxReads; reads += 1) {
		const page = await read(before);
		for (const [i, item] of page.items.entries()) {
			scanned += 1;
			if (await matches(item)) items.push(item);
			if (items.length === options.limit) {
				const more = i < page.items.length - 1 || page.nextBefore !== null;
				return { items, nextBefore: more ? item.id : null, scanned };
			}
		}
		if (!page.nextBefore) return { items, nextBefore: null, scanned };
		before = page.nextBefore;
	}
	return { items, nextBefore: before ?? null, scanned };
}

/** A stored refusal's problem (`result.problem` of a refused event): its code and parameters. */
export function refusalOf(result: Record<string, unknown> | null): { code: string; params: Record<string, unknown> } | null {
	const problem = result?.problem;
	if (!problem || typeof problem !== 'object') return null;
	const p = problem as Record<string, unknown>;
	return typeof p.code === 'string' ? { code: p.code, params: (p.params as Record<string, unknown>) ?? {} } : null;
}

/** A stored resolution (`{ action: 'map', partnerId, by, at }` or `{ action: 'reject', reason, by, at }`). */
export function resolutionOf(resolution: Record<string, unknown> | null): { action: 'map' | 'reject'; partnerId: string | null; reason: string | null; by: string | null; at: string | null } | null {
	if (!resolution || (resolution.action !== 'map' && resolution.action !== 'reject')) return null;
	const text = (v: unknown) => (typeof v === 'string' && v ? v : null);
	const by = resolution.by;
	const byText = text(by) ?? (by && typeof by === 'object' ? (text((by as Record<string, unknown>).email) ?? text((by as Record<string, unknown>).name) ?? text((by as Record<string, unknown>).userId)) : null);
	return { action: resolution.action, partnerId: text(resolution.partnerId), reason: text(resolution.reason), by: byText, at: text(resolution.at) };
}

/** How a recent event is offered as a sample to simulate against: number (or type), partner identifier, date. */
export function sampleLabel(event: { type: string; externalId: string; occurredAt: string; payload: Record<string, unknown> }, timeZone: string): string {
	const payload = event.payload as { number?: unknown; partner?: Record<string, unknown>; lines?: unknown[] };
	const who = payload.partner ? Object.values(payload.partner).find((v) => typeof v === 'string') : undefined;
	const name = typeof payload.number === 'string' ? payload.number : `${event.type} ${event.externalId}`;
	return [name, who, dayIn(event.occurredAt, timeZone)].filter(Boolean).join(' · ');
}
