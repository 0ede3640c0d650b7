import { describe, expect, it } from 'vitest';
import { safeReturnPath } from './cookie.ts';
import { matchAcceptLanguage, parseAcceptLanguage, resolveLocale } from './negotiate.ts';

describe('parseAcceptLanguage', () => {
	it('orders tags by q, keeping header order for ties and dropping q=0 and *', () => {
		expect(parseAcceptLanguage('de;q=0.5, pl-PL, ru;q=0.9, en;q=0.9, fr;q=0, *')).toEqual([
			'pl-pl',
			'ru',
			'en',
			'de'
		]);
	});

	it('handles empty and malformed headers', () => {
		expect(parseAcceptLanguage(undefined)).toEqual([]);
		expect(parseAcceptLanguage('')).toEqual([]);
		expect(parseAcceptLanguage(' ;q=1, ,pl;q=abc')).toEqual([]);
	});
});

describe('resolveLocale', () => {
	it('prefers the cookie, then Accept-Language, then English', () => {
		expect(resolveLocale({ cookie: 'ru', acceptLanguage: 'pl' })).toBe('ru');
		expect(resolveLocale({ cookie: 'xx', acceptLanguage: 'de, pl-PL;q=0.8' })).toBe('pl');
		expect(resolveLocale({ cookie: undefined, acceptLanguage: 'de, fr' })).toBe('en');
		expect(matchAcceptLanguage('RU-ru')).toBe('ru');
	});
});

describe('safeReturnPath', () => {
	const origin = 'https://laurel.example';

	it('keeps same-site paths with query and hash', () => {
		expect(safeReturnPath('/system/health?x=1#top', origin)).toBe('/system/health?x=1#top');
	});

	it('refuses other origins', () => {
		for (const next of ['//evil.example', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', null]) {
			expect(safeReturnPath(next, origin)).toBe('/');
		}
	});
});
