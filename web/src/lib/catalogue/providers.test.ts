import { describe, expect, it } from 'vitest';
import { isBuiltinFulfilment, isFulfilment, parseRewardForm, providerSettingFields, settingsFromForm } from './catalogue.ts';

const texts = { 'name.en': 'Card', 'name.pl': 'Karta', 'name.ru': 'Карта', 'description.en': 'd', 'description.pl': 'd', 'description.ru': 'd' };
const giftcards = {
	settings: { type: 'object', properties: { productCode: { type: 'string', title: 'Product code' }, faceValue: { type: 'integer' }, tags: { type: 'array' } }, required: ['productCode'] }
};

describe('fulfilment providers in the reward form', () => {
	it('takes a plugin provider id as the API does, and tells built-in ones apart', () => {
		expect(isFulfilment('giftcards.api')).toBe(true);
		expect(isFulfilment('manual')).toBe(true);
		expect(isFulfilment('Giftcards API')).toBe(false);
		expect(isBuiltinFulfilment('giftcards.api')).toBe(false);
		expect(isBuiltinFulfilment('voucher-pool')).toBe(true);
	});

	it('asks for the string and number settings of a provider schema, required ones marked', () => {
		expect(providerSettingFields(giftcards)).toEqual([
			{ name: 'productCode', label: 'Product code', type: 'text', required: true },
			{ name: 'faceValue', label: 'faceValue', type: 'number', required: false }
		]);
		expect(providerSettingFields({ settings: null })).toEqual([]);
		expect(providerSettingFields(undefined)).toEqual([]);
	});

	it('sends the settings typed, numbers as numbers and empty ones left out, only for a provider with settings', () => {
		expect(settingsFromForm({ 'fulfilmentSettings.productCode': ' EMPIK-100 ', 'fulfilmentSettings.faceValue': '100' }, giftcards)).toEqual({ productCode: 'EMPIK-100', faceValue: 100 });
		expect(settingsFromForm({ 'fulfilmentSettings.productCode': '' }, giftcards)).toEqual({});
		const base = { ...texts, programId: 'p', sku: 'GC', type: 'voucher', category: 'c', pricePoints: '10', status: 'active' };
		const parsed = parseRewardForm({ ...base, fulfilment: 'giftcards.api', 'fulfilmentSettings.productCode': 'X' }, { mode: 'create', timeZone: 'UTC', voucherPool: false, provider: giftcards });
		expect(parsed).toMatchObject({ ok: true, body: { fulfilment: 'giftcards.api', fulfilmentSettings: { productCode: 'X' } } });
		const manual = parseRewardForm({ ...base, fulfilment: 'manual' }, { mode: 'create', timeZone: 'UTC', voucherPool: false });
		expect(manual.ok && 'fulfilmentSettings' in manual.body).toBe(false);
	});
});
