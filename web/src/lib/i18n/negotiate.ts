import { DEFAULT_LOCALE, isLocale, LOCALES, type Locale } from './config.ts';

/**
 * Parses an `Accept-Language` header into language tags ordered by preference (highest `q`
 * first, header order for ties). Tags with `q=0` and the `*` wildcard are dropped.
 */
export function parseAcceptLanguage(header: string | null | undefined): string[] {
	if (!header) return [];

	const entries: Array<{ tag: string; q: number; index: number }> = [];

	header.split(',').forEach((part, index) => {
		const [rawTag = '', ...params] = part.trim().split(';');
		const tag = rawTag.trim().toLowerCase();
		if (!tag || tag === '*') return;

		let q = 1;
		for (const param of params) {
			const [key, value] = param.trim().split('=');
			if (key?.trim().toLowerCase() === 'q' && value !== undefined) {
				const parsed = Number.parseFloat(value);
				q = Number.isFinite(parsed) ? Math.min(Math.max(parsed, 0), 1) : 0;
			}
		}

		if (q > 0) entries.push({ tag, q, index });
	});

	entries.sort((a, b) => b.q - a.q || a.index - b.index);
	return entries.map((entry) => entry.tag);
}

/** Picks the best supported locale from an `Accept-Language` header, if any matches. */
export function matchAcceptLanguage(header: string | null | undefined): Locale | undefined {
	for (const tag of parseAcceptLanguage(header)) {
		const primary = tag.split('-')[0];
		const match = LOCALES.find((locale) => locale === primary);
		if (match) return match;
	}
	return undefined;
}

/**
 * Resolves the UI locale for a request: the `laurel_locale` cookie wins, then the
 * `Accept-Language` header, then English.
 */
export function resolveLocale(input: {
	cookie: string | null | undefined;
	acceptLanguage: string | null | undefined;
}): Locale {
	if (isLocale(input.cookie)) return input.cookie;
	return matchAcceptLanguage(input.acceptLanguage) ?? DEFAULT_LOCALE;
}
