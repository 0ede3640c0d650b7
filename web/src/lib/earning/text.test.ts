import { describe, expect, it } from 'vitest';
import type { I18nContext } from '#lib/i18n/context.ts';
import { effectText, eventTypeText, validityText } from './text.ts';

/** A translator that shows which key was asked for with which values. */
const i18n = {
	locale: 'en',
	intlLocale: 'en-US',
	t: ((key: string, options?: Record<string, unknown>) => (options ? `${key}(${Object.entries(options).map(([k, v]) => `${k}=${String(v)}`).join(',')})` : key)) as unknown as I18nContext['t']
} as I18nContext;

describe('earning sentences', () => {
	it('says what an effect does, also for effect types added later', () => {
		expect(effectText(i18n, { type: 'per-amount', pointsPerUnit: 1.5, target: 'pending' }, 'PLN')).toBe(
			'earning:rules.effect.perAmount(value=earning:rules.perUnitPoints(count=1.5,value=1.5),currency=PLN), earning:rules.effect.target(target=earning:targets.pending), earning:rules.effect.rounding'
		);
		expect(effectText(i18n, { type: 'fixed', points: 1000, target: 'available' }, 'PLN')).toBe(
			'earning:rules.effect.fixed(value=ledger:value(count=1000,value=1,000)), earning:rules.effect.target(target=earning:targets.available)'
		);
		expect(effectText(i18n, { type: 'per-margin', target: 'pending' }, null)).toBe('per-margin, earning:rules.effect.target(target=earning:targets.pending)');
	});

	it('names event types and validity in the program time zone', () => {
		expect(eventTypeText(i18n, 'invoice.paid')).toBe('earning:eventTypes.invoicePaid');
		expect(eventTypeText(i18n, 'custom.webinar')).toBe('custom.webinar');
		expect(validityText(i18n, { validFrom: '2025-12-31T23:00:00.000Z', validTo: null }, 'Europe/Warsaw')).toBe('earning:rules.validFromOpen(from=Jan 1, 2026)');
		expect(validityText(i18n, { validFrom: '2026-01-01T00:00:00.000Z', validTo: '2026-07-01T00:00:00.000Z' }, 'UTC')).toBe(
			'earning:rules.validRange(from=Jan 1, 2026,to=Jul 1, 2026)'
		);
	});
});
