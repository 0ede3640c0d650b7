import { LOCALE_COOKIE, LOCALE_COOKIE_MAX_AGE, type Locale } from './config.ts';

/** Options for the `laurel_locale` cookie, shared by the server endpoint and the browser. */
export const LOCALE_COOKIE_OPTIONS = {
	path: '/',
	maxAge: LOCALE_COOKIE_MAX_AGE,
	sameSite: 'lax',
	// Not a secret, and the language switcher rewrites it from script when JavaScript runs.
	httpOnly: false
} as const;

/** `document.cookie` assignment that stores the chosen locale for a year. */
export function localeCookieString(locale: Locale, secure: boolean): string {
	return [
		`${LOCALE_COOKIE}=${locale}`,
		`Path=${LOCALE_COOKIE_OPTIONS.path}`,
		`Max-Age=${LOCALE_COOKIE_OPTIONS.maxAge}`,
		'SameSite=Lax',
		...(secure ? ['Secure'] : [])
	].join('; ');
}

/**
 * Where to send the user after switching language: a path on this site, never another origin
 * (`//evil.example`, `/\evil.example` and absolute URLs fall back to `/`).
 */
export function safeReturnPath(next: string | null | undefined, origin: string): string {
	if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
	try {
		const url = new URL(next, origin);
		if (url.origin !== origin) return '/';
		return `${url.pathname}${url.search}${url.hash}`;
	} catch {
		return '/';
	}
}
