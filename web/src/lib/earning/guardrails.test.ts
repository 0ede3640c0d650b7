import { describe, expect, it } from 'vitest';
import type { I18nContext } from '#lib/i18n/context.ts';
import {
	decisionOf,
	detectFxFormat,
	formatFromFileName,
	heldNetTotal,
	isFxFormat,
	isReviewStatus,
	localizeRate,
	parseMinInvoices,
	parseVolumeFactor,
	reasonText,
	reviewIdempotencyKey
} from './guardrails.ts';

/** A translator that shows which key was asked for with which values. */
const i18n = {
	locale: 'en',
	intlLocale: 'en-US',
	t: ((key: string, options?: Record<string, unknown>) => (options ? `${key}(${Object.entries(options).map(([k, v]) => `${k}=${String(v)}`).join(',')})` : key)) as unknown as I18nContext['t']
} as I18nContext;

describe('review queue helpers', () => {
	it('derives one idempotency key per rendered form and decision', () => {
		const nonce = 'a'.repeat(32);
		const id = '0190a0a0-0000-7000-8000-000000000001';
		expect(reviewIdempotencyKey('approve', id, nonce)).toBe(`web:review:approve:${id}:${nonce}`);
		expect(reviewIdempotencyKey('approve', id, nonce)).toBe(reviewIdempotencyKey('approve', id, nonce));
		expect(reviewIdempotencyKey('reject', id, nonce)).not.toBe(reviewIdempotencyKey('approve', id, nonce));
		expect(reviewIdempotencyKey('approve', id, 'not-a-nonce')).toBeNull();
		expect(reviewIdempotencyKey('approve', id, '')).toBeNull();
	});

	it('knows the statuses', () => {
		expect(isReviewStatus('open')).toBe(true);
		expect(isReviewStatus('approved')).toBe(true);
		expect(isReviewStatus('pending')).toBe(false);
		expect(isReviewStatus(null)).toBe(false);
	});

	it('sums the held lines in the program currency', () => {
		expect(heldNetTotal({ currency: 'PLN', lines: [{ netAmount: 100_00 }, { netAmount: 50_50 }] })).toEqual({ amount: 150_50, currency: 'PLN' });
		expect(heldNetTotal({ currency: 'PLN', lines: [] })).toEqual({ amount: 0, currency: 'PLN' });
		expect(heldNetTotal({ lines: [{ netAmount: 1 }] })).toBeNull();
		expect(heldNetTotal({ currency: 'PLN', lines: [{ sku: 'x' }] })).toBeNull();
	});

	it('reads a decision, with who made it as text or as an actor', () => {
		expect(decisionOf({ action: 'reject', reason: 'duplicate', by: 'anna@example.com', at: '2026-01-01T00:00:00Z' })).toEqual({
			action: 'reject',
			reason: 'duplicate',
			by: 'anna@example.com',
			at: '2026-01-01T00:00:00Z'
		});
		expect(decisionOf({ action: 'approve', by: { type: 'user', email: 'jan@example.com' } })?.by).toBe('jan@example.com');
		expect(decisionOf({ action: 'approve' })).toEqual({ action: 'approve', by: null, at: null, reason: null });
		expect(decisionOf({ action: 'other' })).toBeNull();
		expect(decisionOf(null)).toBeNull();
	});

	it('says why an event was held, in words', () => {
		expect(reasonText(i18n, { kind: 'document-number', number: 'FV/1', otherPartnerId: 'p2', otherEventId: 'e2' }, 'PLN', { p2: 'Hurtownia Beta' })).toBe(
			'earning:reviews.reasons.documentNumber(number=FV/1,partner=Hurtownia Beta)'
		);
		expect(reasonText(i18n, { kind: 'document-number', number: 'FV/1' }, 'PLN')).toBe('earning:reviews.reasons.documentNumber(number=FV/1,partner=earning:reviews.otherPartner)');
		expect(reasonText(i18n, { kind: 'volume', netTotal: 1_000_000, average: 10_000, factor: 2.5, invoices: 3 }, 'PLN').replace(/\u00a0/g, ' ')).toBe(
			'earning:reviews.reasons.volume(count=3,netTotal=PLN 10,000.00,average=PLN 100.00,factor=2.5)'
		);
		expect(reasonText(i18n, { kind: 'cap', code: 'kable', cap: 'period', limit: 1000, alreadyGranted: 950, grantedNow: 50, uncapped: 200 }, 'PLN')).toBe(
			'earning:reviews.reasons.cap(code=kable,kind=earning:reviews.capKinds.period,limit=ledger:value(count=1000,value=1,000),already=ledger:value(count=950,value=950),now=ledger:value(count=50,value=50),uncapped=ledger:value(count=200,value=200))'
		);
		expect(reasonText(i18n, { kind: 'related-party' } as never, 'PLN')).toBe('related-party');
	});
});

describe('guardrail settings input', () => {
	it('reads the volume factor in any of our notations', () => {
		expect(parseVolumeFactor('3')).toBe(3);
		expect(parseVolumeFactor('2,5')).toBe(2.5);
		expect(parseVolumeFactor('1.2345')).toBe(1.2345);
		expect(parseVolumeFactor(' ')).toBeNull();
		expect(parseVolumeFactor('')).toBeNull();
		// Out of range or too precise is the API's to name: sent as typed.
		expect(parseVolumeFactor('0,5')).toBe(0.5);
		expect(parseVolumeFactor('1,23456')).toBe(1.23456);
		expect(parseVolumeFactor('trzy')).toBeUndefined();
		expect(parseVolumeFactor('-2')).toBeUndefined();
	});

	it('reads the minimum number of invoices', () => {
		expect(parseMinInvoices('5')).toBe(5);
		expect(parseMinInvoices('1 000')).toBe(1000);
		expect(parseMinInvoices('0')).toBe(0);
		expect(parseMinInvoices('2,5')).toBeUndefined();
		expect(parseMinInvoices('pięć')).toBeUndefined();
	});
});

describe('exchange rate files', () => {
	it('tells the format from the content', () => {
		expect(detectFxFormat('[{"table":"A","no":"170/A/NBP/2022","rates":[]}]')).toBe('nbp-json');
		expect(detectFxFormat('\uFEFF  {"table":"A"}')).toBe('nbp-json');
		expect(detectFxFormat('<?xml version="1.0"?><ArrayOfExchangeRatesTable><ExchangeRatesTable/></ArrayOfExchangeRatesTable>')).toBe('nbp-xml');
		expect(detectFxFormat('<?xml version="1.0" encoding="ISO-8859-2"?><tabela_kursow typ="A"></tabela_kursow>')).toBe('nbp-xml');
		expect(detectFxFormat('<?xml version="1.0"?><gesmes:Envelope xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref"><Cube/></gesmes:Envelope>')).toBe('ecb-xml');
		expect(detectFxFormat('<html></html>')).toBeNull();
		expect(detectFxFormat('USD;4,7')).toBeNull();
		expect(formatFromFileName('tabela.JSON')).toBe('nbp-json');
		expect(formatFromFileName('tabela.xml')).toBeNull();
		expect(isFxFormat('ecb-xml')).toBe(true);
		expect(isFxFormat('csv')).toBe(false);
	});

	it('shows a rate in the person notation without rounding it', () => {
		expect(localizeRate('4.7144', 'pl-PL')).toBe('4,7144');
		expect(localizeRate('4.7144', 'en-US')).toBe('4.7144');
		expect(localizeRate('0.031234567891', 'ru-RU')).toBe('0,031234567891');
		expect(localizeRate('8618/2141', 'pl-PL')).toBe('8618/2141');
		expect(localizeRate('5', 'pl-PL')).toBe('5');
	});
});
