import { describe, expect, it } from 'vitest';
import { defaultFulfilment, parseRewardForm } from './catalogue.ts';
import { activeSuppliersOf, callOutcomeTone, parseSupplierForm, supplierFieldOf, supplierFormValues, type Supplier } from './suppliers.ts';

const texts = { 'name.en': 'Course', 'name.pl': 'Kurs', 'name.ru': 'Курс', 'description.en': 'd', 'description.pl': 'd', 'description.ru': 'd' };

describe('supplier helpers', () => {
	it('reads the supplier form: the timeout in whole seconds (10 when empty), an http(s) address, a name', () => {
		expect(parseSupplierForm({ name: ' Giftco ', url: 'https://giftco.example/orders', timeout: '15' })).toEqual({
			ok: true,
			body: { name: 'Giftco', url: 'https://giftco.example/orders', timeoutMs: 15_000 }
		});
		expect(parseSupplierForm({ name: 'A', url: 'http://127.0.0.1:8080/x', timeout: '' })).toMatchObject({ ok: true, body: { timeoutMs: 10_000 } });
		expect(parseSupplierForm({ name: '', url: 'giftco.example', timeout: '61' })).toEqual({ ok: false, errors: { name: 'required', url: 'url', timeout: 'timeout' } });
		expect(parseSupplierForm({ name: 'A', url: 'ftp://x/', timeout: '0' })).toEqual({ ok: false, errors: { url: 'url', timeout: 'timeout' } });
		expect(parseSupplierForm({ name: 'A', url: '', timeout: '1.5' })).toEqual({ ok: false, errors: { url: 'required', timeout: 'timeout' } });
	});

	it('shows a supplier in the edit form in seconds and maps the API field back', () => {
		expect(supplierFormValues({ name: 'G', url: 'https://g/', timeoutMs: 2500 })).toEqual({ name: 'G', url: 'https://g/', timeout: '3' });
		expect(supplierFieldOf('timeoutMs')).toBe('timeout');
		expect(supplierFieldOf('url')).toBe('url');
	});

	it('offers only a program’s active suppliers, by name, and tells outcomes apart', () => {
		const s = (id: string, programId: string, name: string, status: Supplier['status']) => ({ id, programId, name, status }) as Supplier;
		const all = [s('1', 'p', 'Zeta', 'active'), s('2', 'p', 'Alfa', 'active'), s('3', 'p', 'Off', 'disabled'), s('4', 'q', 'Other', 'active')];
		expect(activeSuppliersOf(all, 'p', 'pl').map((x) => x.name)).toEqual(['Alfa', 'Zeta']);
		expect(callOutcomeTone('fulfilled')).toBe('success');
		expect(callOutcomeTone('failed')).toBe('warning');
		expect(callOutcomeTone('refused')).toBe('danger');
	});

	it('sends the fulfilment of a new reward, and a supplier only with fulfilment by a supplier', () => {
		expect(defaultFulfilment('voucher')).toBe('voucher-pool');
		expect(defaultFulfilment('training')).toBe('manual');
		const base = { ...texts, programId: 'p', sku: 'C-1', type: 'training', category: 'c', pricePoints: '5', stockMode: 'unlimited' };
		const bySupplier = parseRewardForm({ ...base, fulfilment: 'supplier', supplierId: 's-1' }, { mode: 'create', timeZone: 'UTC', voucherPool: false });
		expect(bySupplier).toMatchObject({ ok: true, body: { fulfilment: 'supplier', supplierId: 's-1', stock: null } });
		const manual = parseRewardForm({ ...base, fulfilment: 'manual', supplierId: 's-1' }, { mode: 'create', timeZone: 'UTC', voucherPool: false });
		expect(manual.ok && manual.body).toMatchObject({ fulfilment: 'manual' });
		expect(manual.ok && 'supplierId' in manual.body).toBe(false);
		expect(parseRewardForm({ ...base, fulfilment: 'supplier' }, { mode: 'create', timeZone: 'UTC', voucherPool: false })).toEqual({ ok: false, errors: { supplierId: 'required' } });
		expect(parseRewardForm({ ...base, fulfilment: 'Drone!' }, { mode: 'create', timeZone: 'UTC', voucherPool: false })).toEqual({ ok: false, errors: { fulfilment: 'fulfilment' } });
		// A plugin's provider id is the API's to know (an unknown one is a problem at the field, from the API).
		expect(parseRewardForm({ ...base, fulfilment: 'drones.air' }, { mode: 'create', timeZone: 'UTC', voucherPool: false })).toMatchObject({ ok: true, body: { fulfilment: 'drones.air' } });
		const edit = parseRewardForm({ ...texts, category: 'c', pricePoints: '5', fulfilment: 'supplier', supplierId: 's-1' }, { mode: 'edit', timeZone: 'UTC', voucherPool: false });
		expect(edit.ok && ('fulfilment' in edit.body || 'supplierId' in edit.body)).toBe(false);
	});
});
