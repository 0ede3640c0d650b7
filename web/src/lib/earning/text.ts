import { formatCalendarDay, formatNumber } from '#lib/format/index.ts';
import type { I18nContext } from '#lib/i18n/context.ts';
import { dayIn, eventTypeKey } from './earning.ts';

/*
 * Sentences of the earning pages, built from the active locale's strings (`earning:` namespace) and `Intl`.
 */

/** A number of points in words: `1 234 punkty`; fractions too (points per unit). */
export function pointsText(i18n: I18nContext, value: number, options: Intl.NumberFormatOptions = {}): string {
	return i18n.t('ledger:value', {
		count: Math.abs(value),
		value: formatNumber(value, i18n.intlLocale, { useGrouping: 'always', maximumFractionDigits: 4, ...options })
	});
}

/**
 * An effect in words: `1.5 points per PLN of net value, to Pending, rounded down`, or a fixed number of points. Typed
 * loosely on purpose, so effect types the API adds later still read (as their type) instead of breaking the page.
 */
export function effectText(i18n: I18nContext, effect: { type: string; target: string; pointsPerUnit?: number; points?: number }, currency: string | null): string {
	const t = i18n.t;
	const target = t('earning:rules.effect.target', { target: effect.target === 'available' ? t('earning:targets.available') : t('earning:targets.pending') });
	if (effect.type === 'fixed' && typeof effect.points === 'number') {
		return `${t('earning:rules.effect.fixed', { value: pointsText(i18n, effect.points) })}, ${target}`;
	}
	if (typeof effect.pointsPerUnit !== 'number') return `${effect.type}, ${target}`;
	const value = t('earning:rules.perUnitPoints', {
		count: effect.pointsPerUnit,
		value: formatNumber(effect.pointsPerUnit, i18n.intlLocale, { maximumFractionDigits: 4 })
	});
	const per = currency ? t('earning:rules.effect.perAmount', { value, currency }) : t('earning:rules.effect.perAmountUnit', { value });
	return `${per}, ${target}, ${t('earning:rules.effect.rounding')}`;
}

/** A calendar day of an instant in the program's time zone, in words. */
export function dayText(i18n: I18nContext, instant: string, timeZone: string): string {
	const day = dayIn(instant, timeZone);
	return day ? formatCalendarDay(day, i18n.intlLocale, { dateStyle: 'medium' }) : instant;
}

/** A rule's validity: `from 1 Mar 2026` or `1 Mar 2026 – 1 Jul 2026`. */
export function validityText(i18n: I18nContext, rule: { validFrom: string; validTo: string | null }, timeZone: string): string {
	const from = dayText(i18n, rule.validFrom, timeZone);
	return rule.validTo
		? i18n.t('earning:rules.validRange', { from, to: dayText(i18n, rule.validTo, timeZone) })
		: i18n.t('earning:rules.validFromOpen', { from });
}

/** An event type in words (`Invoice issued`), or as it comes when it has no name. */
export function eventTypeText(i18n: I18nContext, type: string): string {
	const key = eventTypeKey(type);
	return key ? i18n.t(`earning:eventTypes.${key}`) : type;
}
