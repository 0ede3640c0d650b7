import { describe, expect, it } from 'vitest';
import { benefitFieldOf, benefitValues, MAX_PRIVILEGES, parseDecimal, privilegeCode, privilegeRowCount, readBenefits, splitLabels, thresholdOf, typedThreshold } from './tiers.ts';

describe('tier form helpers', () => {
	it('reads numbers typed the Polish, Russian or English way', () => {
		expect(parseDecimal('12 300,50')).toBe(12300.5);
		expect(parseDecimal('12,300.50')).toBe(12300.5);
		expect(parseDecimal('1.25')).toBe(1.25);
		expect(parseDecimal('1,25')).toBe(1.25);
		expect(parseDecimal('50000')).toBe(50000);
		expect(parseDecimal('12,300')).toBe(12300);
		expect(parseDecimal('1.2500')).toBe(1.25);
		expect(parseDecimal('12a')).toBeUndefined();
		expect(parseDecimal('')).toBeUndefined();
	});
	it('turns money thresholds into minor units and back; other metrics stay as typed', () => {
		expect(thresholdOf('net-turnover', 50_000, 2)).toBe(5_000_000);
		expect(thresholdOf('active-months', 6, 2)).toBe(6);
		expect(typedThreshold('net-turnover', 5_000_000, 2)).toBe('50000');
		expect(typedThreshold('strategic-share', 25, 2)).toBe('25');
	});
	it('makes privilege codes from English names the way the API takes them', () => {
		expect(privilegeCode('Priority order handling')).toBe('priority-order-handling');
		expect(privilegeCode('  A dedicated advisor!  ')).toBe('a-dedicated-advisor');
		expect(privilegeCode('Café & crème 24/7')).toBe('cafe-creme-24-7');
		expect(privilegeCode('Персональный менеджер')).toBe('');
		const long = privilegeCode('Access to scarce products before everybody else does');
		expect(long.length).toBeLessThanOrEqual(40);
		expect(long).toMatch(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
	});
	it('splits catalogue labels typed comma-separated: trimmed, empty items and repeats dropped', () => {
		expect(splitLabels(' gold-club, ,silver ,gold-club,')).toEqual(['gold-club', 'silver']);
		expect(splitLabels('  ')).toEqual([]);
	});
	it('puts a tier\'s benefits into form rows and reads them back', () => {
		const benefits = {
			privileges: [
				{ code: 'priority', name: { en: 'Priority order handling', pl: 'Priorytetowa realizacja zamówień', ru: 'Приоритетная обработка заказов' } },
				{ code: 'advisor', name: { en: 'A dedicated advisor', pl: 'Dedykowany opiekun', ru: 'Персональный менеджер' } }
			],
			catalogue: { access: true, labels: ['gold-club', 'silver'] }
		};
		const values = benefitValues(benefits);
		expect(values).toMatchObject({ privilegeCode1: 'advisor', privilegePl0: 'Priorytetowa realizacja zamówień', catalogueAccess: 'on', catalogueLabels: 'gold-club, silver' });
		expect(privilegeRowCount(values)).toBe(4);
		expect(readBenefits(values)).toEqual({ ...benefits, rows: [0, 1], errors: {} });
		expect(benefitValues({ privileges: [], catalogue: { access: false, labels: [] } })).toEqual({ catalogueLabels: '' });
		expect(readBenefits({}).catalogue).toEqual({ access: false, labels: [] });
	});
	it('skips empty and removed privilege rows, makes a missing code and names what cannot be sent', () => {
		const read = readBenefits({
			privilegeCode0: 'priority', privilegeEn0: 'Priority', privilegePl0: 'Priorytet', privilegeRu0: 'Приоритет', privilegeRemove0: 'on',
			privilegeCode1: '', privilegeEn1: '', privilegePl1: '', privilegeRu1: '',
			privilegeEn2: 'A dedicated advisor', privilegePl2: 'Dedykowany opiekun', privilegeRu2: 'Персональный менеджер',
			privilegeCode3: 'a-dedicated-advisor', privilegeEn3: 'Advisor', privilegePl3: 'Opiekun', privilegeRu3: 'Менеджер',
			privilegeEn4: 'Early access', privilegePl4: ' ',
			privilegeCode5: 'x', privilegeRu5: 'Икс',
			privilegeCode6: 'Wczesny dostęp!', privilegeEn6: 'Early access', privilegePl6: 'Wcześniejszy dostęp', privilegeRu6: 'Ранний доступ',
			catalogueAccess: 'on', catalogueLabels: 'vip'
		});
		expect(read.privileges).toEqual([{ code: 'a-dedicated-advisor', name: { en: 'A dedicated advisor', pl: 'Dedykowany opiekun', ru: 'Персональный менеджер' } }]);
		expect(read.rows).toEqual([2]);
		expect(read.errors).toEqual({ privilegeCode3: 'duplicate', privilegePl4: 'required', privilegeRu4: 'required', privilegeEn5: 'required', privilegePl5: 'required', privilegeCode6: 'code' });
		expect(read.catalogue).toEqual({ access: true, labels: ['vip'] });
		expect(privilegeRowCount({ privilegeEn4: 'x' })).toBe(7);
		expect(privilegeRowCount({ [`privilegeEn${MAX_PRIVILEGES - 1}`]: 'x' })).toBe(MAX_PRIVILEGES);
	});
	it('puts the API\'s benefit problems back on the form row they came from', () => {
		expect(benefitFieldOf('benefits.privileges.1.code', [0, 3])).toBe('privilegeCode3');
		expect(benefitFieldOf('benefits.privileges.0.name.pl', [2])).toBe('privilegePl2');
		expect(benefitFieldOf('benefits.privileges.0.name', [2])).toBe('privilegeEn2');
		expect(benefitFieldOf('benefits.privileges.0', [1])).toBe('privilegeCode1');
		expect(benefitFieldOf('benefits.privileges', [])).toBe('privileges');
		expect(benefitFieldOf('benefits.catalogue.labels.4', [])).toBe('catalogueLabels');
		expect(benefitFieldOf('benefits.catalogue.access', [])).toBe('catalogueAccess');
		expect(benefitFieldOf('benefits.multiplier', [])).toBeUndefined();
	});
});
