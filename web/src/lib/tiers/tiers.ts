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
