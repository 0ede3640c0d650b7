import type { TFunction } from 'i18next';
import { formatMoney, formatNumber, formatPercent } from '#lib/format/index.ts';
import type { AppNamespaces, Locale } from '#lib/i18n/config.ts';

export type Localized = { en: string; pl: string; ru: string };
export type Unit = 'money' | 'points' | 'count' | 'percent' | 'number';
export const BUILTIN_METRICS = ['net-turnover', 'points-earned', 'paid-invoices', 'active-months', 'strategic-share'] as const;
const UNITS: Record<string, Unit> = { 'net-turnover': 'money', 'points-earned': 'points', 'paid-invoices': 'count', 'active-months': 'count', 'strategic-share': 'percent' };
export const WINDOWS = ['rolling-12-months', 'calendar-quarter', 'program-year'] as const;
export type Window = (typeof WINDOWS)[number];
export type Change = 'promoted' | 'demoted' | 'protected' | 'override' | 'override-ended';

/** A tier's (or track's) name in the UI language. */
export function nameOf(name: Localized | null | undefined, locale: Locale): string {
	return name ? name[locale] || name.en : '';
}

/** A metric's value as people read it: money in the program currency, percent, or a number. */
export function formatMetric(value: number, unit: Unit, currency: string, intlLocale: string): string {
	if (unit === 'money') return formatMoney(value, currency, intlLocale, { minimumFractionDigits: value % 100 === 0 ? 0 : undefined });
	if (unit === 'percent') return formatPercent(value / 100, intlLocale);
	return formatNumber(value, intlLocale, { maximumFractionDigits: 2 });
}

export function unitOf(metric: string): Unit {
	return UNITS[metric] ?? 'number';
}

/** A built-in metric's name; a plugin's metric is shown by its code. */
export function metricLabel(t: TFunction<AppNamespaces>, metric: string): string {
	return (BUILTIN_METRICS as readonly string[]).includes(metric) ? t(`tiers:metrics.${metric as (typeof BUILTIN_METRICS)[number]}`) : metric;
}

/** One qualification condition in words: "Net turnover at least PLN 50,000 (last 12 months)". */
export function conditionText(t: TFunction<AppNamespaces>, c: { metric: string; min: number; window: Window }, currency: string, intlLocale: string): string {
	return t('tiers:condition', { metric: metricLabel(t, c.metric), value: formatMetric(c.min, unitOf(c.metric), currency, intlLocale), window: t(`tiers:windows.${c.window}`) });
}

/** The review settings of a track in words. */
export function reviewText(t: TFunction<AppNamespaces>, review: { every: 'quarter' | 'year'; graceMonths: number; maxDowngradeSteps: number | null }): string {
	return [
		t(`tiers:reviewEvery.${review.every}`),
		review.graceMonths > 0 ? t('tiers:grace', { count: review.graceMonths }) : t('tiers:noGrace'),
		review.maxDowngradeSteps === null ? t('tiers:noLimit') : t('tiers:steps', { count: review.maxDowngradeSteps })
	].join('; ');
}

/** Condition rows a tier form offers (an empty metric leaves a row unused). */
export const CONDITION_ROWS = 3;

/** A number typed in the UI language ("12 300,50", "12,300.50", "1.25"), or undefined when it is not one. */
export function parseDecimal(text: string): number | undefined {
	const compact = text.replace(/[\s\u00a0\u202f]/g, '');
	if (!compact) return undefined;
	// The last ',' or '.' is the decimal separator when 1, 2 or 4 digits follow it (3 digits are a thousands group).
	const match = /^(-?[\d.,]*?)([.,](\d{1,2}|\d{4}))?$/.exec(compact);
	if (!match) return undefined;
	const whole = match[1]!.replace(/[.,]/g, '');
	if (!/^-?\d+$/.test(whole)) return undefined;
	const value = Number(`${whole}${match[3] ? `.${match[3]}` : ''}`);
	return Number.isFinite(value) ? value : undefined;
}

/** A condition's threshold as the API takes it: money typed in whole currency units → minor units. */
export function thresholdOf(metric: string, typed: number, currencyDigits: number): number {
	return unitOf(metric) === 'money' ? Math.round(typed * 10 ** currencyDigits) : typed;
}

/** A threshold as a person types it (money in currency units), for prefilling a form. */
export function typedThreshold(metric: string, min: number, currencyDigits: number): string {
	return String(unitOf(metric) === 'money' ? min / 10 ** currencyDigits : min);
}

/** A privilege a tier gives (priority ordering, a dedicated advisor …): a code and its name in three languages. */
export type Privilege = { code: string; name: Localized };
export type CatalogueBenefit = { access: boolean; labels: string[] };

/** The API takes at most this many privileges per tier. */
export const MAX_PRIVILEGES = 30;
/** Empty privilege rows a tier form offers for new privileges, below the ones it has. */
export const BLANK_PRIVILEGE_ROWS = 2;
/** A privilege row's fields: `privilegeCode0`, `privilegeEn0`, `privilegePl0`, `privilegeRu0` (and `privilegeRemove0`). */
export const PRIVILEGE_FIELDS = ['Code', 'En', 'Pl', 'Ru'] as const;
const LANGS = { En: 'en', Pl: 'pl', Ru: 'ru' } as const;

/** A tier's privileges and catalogue benefit as form values (privileges in numbered rows). */
export function benefitValues(benefits: { privileges: Privilege[]; catalogue: CatalogueBenefit }): Record<string, string> {
	const values: Record<string, string> = { catalogueLabels: benefits.catalogue.labels.join(', ') };
	if (benefits.catalogue.access) values.catalogueAccess = 'on';
	benefits.privileges.forEach((p, i) => {
		values[`privilegeCode${i}`] = p.code;
		values[`privilegeEn${i}`] = p.name.en;
		values[`privilegePl${i}`] = p.name.pl;
		values[`privilegeRu${i}`] = p.name.ru;
	});
	return values;
}

const rowFilled = (values: Record<string, string>, i: number) => PRIVILEGE_FIELDS.some((f) => (values[`privilege${f}${i}`] ?? '').trim() !== '');

/** How many privilege rows a form shows: up to the last filled one, then blank rows (at most MAX_PRIVILEGES). */
export function privilegeRowCount(values: Record<string, string>): number {
	let last = -1;
	for (let i = 0; i < MAX_PRIVILEGES; i += 1) if (rowFilled(values, i)) last = i;
	return Math.min(MAX_PRIVILEGES, last + 1 + BLANK_PRIVILEGE_ROWS);
}

/** Whether a privilege row was filled (it offers "remove"; an empty row is simply not sent). */
export function privilegeRowFilled(values: Record<string, string>, i: number): boolean {
	return rowFilled(values, i);
}

/** A privilege code made from its English name: "Priority order handling" → "priority-order-handling". */
export function privilegeCode(name: string): string {
	return name
		.normalize('NFKD')
		.replace(/[\u0300-\u036f]/g, '')
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-+/, '')
		.slice(0, 40)
		.replace(/-+$/, '');
}

/** Catalogue labels typed comma-separated: trimmed, empty items and repeats dropped. */
export function splitLabels(text: string): string[] {
	return [
		...new Set(
			text
				.split(',')
				.map((label) => label.trim())
				.filter(Boolean)
		)
	];
}

export type BenefitError = 'required' | 'code' | 'duplicate';
/** A privilege code as the API takes it. */
const PRIVILEGE_CODE = /^[a-z0-9][a-z0-9-]{0,39}$/;

/**
 * A tier form's privilege rows and catalogue fields → the API's `benefits` (without the multiplier). Rows left empty
 * or marked "remove" are not sent; an empty code is made from the English name. `rows` holds the form row of each
 * privilege sent (to put the API's `benefits.privileges.N…` problems back on their row); `errors` what cannot be sent.
 */
export function readBenefits(values: Record<string, string>): { privileges: Privilege[]; catalogue: CatalogueBenefit; rows: number[]; errors: Record<string, BenefitError> } {
	const privileges: Privilege[] = [];
	const rows: number[] = [];
	const errors: Record<string, BenefitError> = {};
	const seen = new Set<string>();
	for (let i = 0; i < MAX_PRIVILEGES; i += 1) {
		if (values[`privilegeRemove${i}`] === 'on' || !rowFilled(values, i)) continue;
		const v = (field: (typeof PRIVILEGE_FIELDS)[number]) => (values[`privilege${field}${i}`] ?? '').trim();
		const code = v('Code') || privilegeCode(v('En'));
		let ok = true;
		if (!code) {
			errors[`privilegeCode${i}`] = 'required';
			ok = false;
		} else if (!PRIVILEGE_CODE.test(code)) {
			errors[`privilegeCode${i}`] = 'code';
			ok = false;
		} else if (seen.has(code)) {
			errors[`privilegeCode${i}`] = 'duplicate';
			ok = false;
		}
		seen.add(code);
		for (const field of ['En', 'Pl', 'Ru'] as const)
			if (!v(field)) {
				errors[`privilege${field}${i}`] = 'required';
				ok = false;
			}
		if (!ok) continue;
		privileges.push({ code, name: { en: v('En'), pl: v('Pl'), ru: v('Ru') } });
		rows.push(i);
	}
	return { privileges, catalogue: { access: values.catalogueAccess === 'on', labels: splitLabels(values.catalogueLabels ?? '') }, rows, errors };
}

/**
 * The form field of an API problem about benefits (`benefits.privileges.1.name.pl` → `privilegePl3` when the second
 * privilege sent came from row 3; `benefits.catalogue.labels.0` → `catalogueLabels`), or undefined for other fields.
 */
export function benefitFieldOf(key: string, rows: number[]): string | undefined {
	const privilege = /^benefits\.privileges\.(\d+)(?:\.(code|name)(?:\.(en|pl|ru))?)?$/.exec(key);
	if (privilege) {
		const row = rows[Number(privilege[1])] ?? Number(privilege[1]);
		const lang = privilege[3] ? (Object.keys(LANGS) as (keyof typeof LANGS)[]).find((k) => LANGS[k] === privilege[3]) : undefined;
		return privilege[2] === 'name' ? `privilege${lang ?? 'En'}${row}` : `privilegeCode${row}`;
	}
	if (key === 'benefits.privileges') return 'privileges';
	if (key === 'benefits.catalogue.access') return 'catalogueAccess';
	if (/^benefits\.catalogue(\.labels(\.\d+)?)?$/.test(key)) return 'catalogueLabels';
	return undefined;
}
