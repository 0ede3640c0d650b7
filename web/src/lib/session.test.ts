import { describe, expect, it } from 'vitest';
import { landingPathFor, type ClientSession } from './session.ts';

const person = (kind: 'admin' | 'partner'): ClientSession => ({
	user: { id: '1', email: 'a@b.c', displayName: 'A', kind, locale: 'en', partnerId: null, roles: [] },
	permissions: []
});

describe('landingPathFor', () => {
	it('sends staff to the admin panel and partner users to the portal', () => {
		expect(landingPathFor(person('admin'), null)).toBe('/admin');
		expect(landingPathFor(person('partner'), '')).toBe('/portal');
	});

	it('follows `next` only inside the person’s own area', () => {
		expect(landingPathFor(person('admin'), '/admin/partners?q=volt')).toBe('/admin/partners?q=volt');
		expect(landingPathFor(person('partner'), '/admin/users')).toBe('/portal');
		expect(landingPathFor(person('partner'), '/portal/team')).toBe('/portal/team');
		expect(landingPathFor(person('admin'), '//evil.example/admin')).toBe('/admin');
		expect(landingPathFor(person('admin'), '/administrator')).toBe('/admin');
	});
});
