/**
 * `Intl` formatting helpers. Pass the BCP 47 tag of the active locale (`getI18n().intlLocale`,
 * e.g. `pl-PL`); never rely on the runtime's default locale, which differs between the server and
 * each browser. Formatters are cached because constructing them is comparatively expensive.
 */

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
	const key = `n|${locale}|${JSON.stringify(options)}`;
	let formatter = cache.get(key) as Intl.NumberFormat | undefined;
	if (!formatter) {
		formatter = new Intl.NumberFormat(locale, options);
		cache.set(key, formatter);
	}
	return formatter;
}

function dateTimeFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
	const key = `d|${locale}|${JSON.stringify(options)}`;
	let formatter = cache.get(key) as Intl.DateTimeFormat | undefined;
	if (!formatter) {
		formatter = new Intl.DateTimeFormat(locale, options);
		cache.set(key, formatter);
	}
	return formatter;
}

/** Formats a number, e.g. `formatNumber(1234.5, 'pl-PL')` → `1234,5`, `('en-US')` → `1,234.5`. */
export function formatNumber(
	value: number | bigint,
	locale: string,
	options: Intl.NumberFormatOptions = {}
): string {
	return numberFormat(locale, options).format(value);
}

/** Formats a share given as a fraction, e.g. `formatPercent(0.125, 'pl-PL')` → `12,5%`. */
export function formatPercent(
	fraction: number,
	locale: string,
	options: Intl.NumberFormatOptions = {}
): string {
	return numberFormat(locale, { style: 'percent', maximumFractionDigits: 1, ...options }).format(
		fraction
	);
}

/** Formats a duration in milliseconds, e.g. `12 ms` / `12 мс`; sub-millisecond values keep one decimal. */
export function formatDurationMs(ms: number, locale: string): string {
	return numberFormat(locale, {
		style: 'unit',
		unit: 'millisecond',
		unitDisplay: 'short',
		maximumFractionDigits: ms < 10 ? 1 : 0
	}).format(ms);
}

/** Number of minor units (fraction digits) of an ISO 4217 currency: PLN 2, JPY 0, BHD 3. */
export function currencyFractionDigits(currency: string): number {
	return (
		numberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
	);
}

/**
 * Converts integer minor units to an exact decimal string (`123456n`, 2 digits → `"1234.56"`),
 * so amounts beyond `Number.MAX_SAFE_INTEGER` are not rounded on the way.
 */
export function minorUnitsToDecimalString(minor: number | bigint, fractionDigits: number): string {
	if (typeof minor === 'number' && !Number.isSafeInteger(minor)) {
		throw new RangeError(`Money amounts must be integer minor units, got ${minor}`);
	}
	const value = BigInt(minor);
	const negative = value < 0n;
	const digits = (negative ? -value : value).toString().padStart(fractionDigits + 1, '0');
	const whole = digits.slice(0, digits.length - fractionDigits);
	const fraction = digits.slice(digits.length - fractionDigits);
	return `${negative ? '-' : ''}${whole}${fractionDigits > 0 ? `.${fraction}` : ''}`;
}

/**
 * Formats money stored as integer minor units with its ISO 4217 currency code, e.g.
 * `formatMoney(123456, 'PLN', 'pl-PL')` → `1 234,56 zł` and `('en-US')` → `PLN 1,234.56`.
 * Thousands are always grouped (CLDR would leave 4-digit Polish amounts ungrouped) so that
 * amounts in a column line up.
 */
export function formatMoney(
	minorUnits: number | bigint,
	currency: string,
	locale: string,
	options: Omit<Intl.NumberFormatOptions, 'style' | 'currency'> = {}
): string {
	const code = currency.toUpperCase();
	const digits = currencyFractionDigits(code);
	const formatter = numberFormat(locale, {
		style: 'currency',
		currency: code,
		useGrouping: 'always',
		...options
	});
	// Intl accepts exact decimal strings; the cast only works around older lib typings.
	return formatter.format(
		minorUnitsToDecimalString(minorUnits, digits) as unknown as number
	);
}

/** Parses an ISO 8601 string (or passes a Date through); `undefined` if it is not a valid date. */
export function toDate(value: string | number | Date | null | undefined): Date | undefined {
	if (value === null || value === undefined) return undefined;
	const date = value instanceof Date ? value : new Date(value);
	return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * Formats a date and time, e.g. `23 lis 2025, 14:05:09 UTC`. Pass `timeZone` explicitly when the
 * output is rendered on the server; `<LocalTime>` in #lib/ui switches to the viewer's zone after
 * hydration.
 */
export function formatDateTime(
	value: string | number | Date,
	locale: string,
	options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'medium' }
): string {
	const date = toDate(value);
	return date ? dateTimeFormat(locale, options).format(date) : '';
}

/** Formats a calendar date, e.g. `23.11.2025` (pl-PL), `11/23/2025` (en-US). */
export function formatDate(
	value: string | number | Date,
	locale: string,
	options: Intl.DateTimeFormatOptions = { dateStyle: 'short' }
): string {
	return formatDateTime(value, locale, options);
}

/**
 * Formats a calendar day given as `YYYY-MM-DD`, e.g. `31 March 2027`, `31 marca 2027`, `31 марта 2027 г.`; the same
 * day on the server and in every browser (no time zone applies to a day). Anything else comes back unchanged.
 */
export function formatCalendarDay(
	day: string,
	locale: string,
	options: Omit<Intl.DateTimeFormatOptions, 'timeZone'> = { dateStyle: 'long' }
): string {
	if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return day;
	const date = toDate(`${day}T12:00:00Z`);
	return date ? dateTimeFormat(locale, { ...options, timeZone: 'UTC' }).format(date) : day;
}

/**
 * Formats a Polish NIP (tax identification number) the way it is usually written:
 * `5260250995` → `526-025-09-95`. Anything that is not ten digits is returned unchanged.
 */
export function formatNip(nip: string | null | undefined): string {
	if (!nip) return '';
	const digits = nip.replace(/[\s-]/g, '');
	if (!/^\d{10}$/.test(digits)) return nip;
	return `${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6, 8)}-${digits.slice(8)}`;
}
