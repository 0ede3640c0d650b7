import { describe, expect, it } from 'vitest';
import { actionApplies, fillRoute, pluginText, renderValue, routeParams } from './render.ts';

/** Rendered values with non-breaking and narrow spaces as plain ones. */
const plain = (r: unknown) => JSON.parse(JSON.stringify(r).replace(/[\u00a0\u202f]/g, ' ')) as unknown;
const strings = { ui: { status: { posted: 'Posted' }, title: 'Document {{number}} of {{seller.name}}' } };

describe('plugin page values', () => {
	it('looks up and fills a plugin string, and shows a missing key as itself', () => {
		expect(pluginText(strings, 'ui.title', { number: 'FV/1', seller: { name: 'Acme' } })).toBe('Document FV/1 of Acme');
		expect(pluginText(strings, 'ui.missing')).toBe('ui.missing');
	});

	it('formats by the declared format, in the person’s language', () => {
		const row = { status: 'posted', total: 123456, currency: 'PLN', at: '2026-11-23T15:30:00.000Z', day: '2026-02-15', lines: [1, 2, 3], reading: { x: 1 } };
		expect(renderValue(row, { key: 'status', label: 'x', format: 'status', statusLabels: 'ui.status', tones: { posted: 'success' } }, strings, 'en-US')).toEqual({ kind: 'status', text: 'Posted', tone: 'success' });
		expect(renderValue(row, { key: 'status', label: 'x', format: 'status', statusLabels: 'ui.status' }, {}, 'en-US')).toEqual({ kind: 'status', text: 'posted', tone: 'neutral' });
		expect(plain(renderValue(row, { key: 'total', label: 'x', format: 'money', currencyKey: 'currency' }, strings, 'en-US'))).toEqual({ kind: 'text', text: 'PLN 1,234.56' });
		expect(plain(renderValue(row, { key: 'at', label: 'x', format: 'datetime' }, strings, 'en-US'))).toEqual({ kind: 'text', text: 'Nov 23, 2026, 3:30:00 PM UTC' });
		expect(plain(renderValue(row, { key: 'day', label: 'x', format: 'date' }, strings, 'pl-PL'))).toEqual({ kind: 'text', text: '15 lutego 2026' });
		expect(renderValue(row, { key: 'lines', label: 'x', format: 'count' }, strings, 'en-US')).toEqual({ kind: 'text', text: '3' });
		expect(renderValue(row, { key: 'reading', label: 'x', format: 'json' }, strings, 'en-US')).toEqual({ kind: 'block', text: '{\n  "x": 1\n}' });
		expect(renderValue(row, { key: 'nothing.here', label: 'x' }, strings, 'en-US')).toEqual({ kind: 'empty' });
	});

	it('fills route parameters as single encoded path segments', () => {
		expect(fillRoute('/documents/:id/raw', { id: '../../earning' })).toBe('/documents/..%2F..%2Fearning/raw');
		expect(fillRoute('/documents/:id', {})).toBeNull();
		expect(routeParams('/a/:x/b/:y')).toEqual(['x', 'y']);
	});

	it('offers an action only for records it applies to', () => {
		expect(actionApplies({ when: { key: 'status', in: ['active'] } }, { status: 'revoked' })).toBe(false);
		expect(actionApplies({ when: { key: 'status', in: ['active'] } }, { status: 'active' })).toBe(true);
		expect(actionApplies({}, {})).toBe(true);
	});
});
