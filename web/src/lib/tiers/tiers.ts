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
