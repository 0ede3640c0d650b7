import i18next from 'i18next';
import type { Handle, HandleFetch, HandleServerError } from '@sveltejs/kit/hooks';
import { LOCALE_COOKIE } from '#lib/i18n/config.ts';
import { resolveLocale } from '#lib/i18n/negotiate.ts';
import { i18nOptions } from '#lib/i18n/options.ts';
import { resourcesFor } from '#lib/server/i18n.ts';
import { internalApiOrigin, isApiPath, toInternalApiRequest } from '#lib/server/api-proxy.ts';
import { LOCALE_COOKIE_OPTIONS } from '#lib/i18n/cookie.ts';
import { isHttps } from '#lib/server/request.ts';
import { loadSession } from '#lib/server/session.ts';

export const handle: Handle = async ({ event, resolve }) => {
	// The signed-in person (only asked when the session cookie is there). Form actions take the CSRF
	// token from here; the browser never sees it.
	const session = await loadSession(event);
	event.locals.session = session;

	// The person's own language wins (as in the API's messages), then the cookie, then
	// Accept-Language, then English. The cookie follows the person's language, so the UI stays in
	// it after signing out.
	const cookieLocale = event.cookies.get(LOCALE_COOKIE);
	const locale =
		session?.user.locale ??
		resolveLocale({ cookie: cookieLocale, acceptLanguage: event.request.headers.get('accept-language') });
	if (session && cookieLocale !== locale) {
		event.cookies.set(LOCALE_COOKIE, locale, { ...LOCALE_COOKIE_OPTIONS, secure: isHttps(event) });
	}

	// One i18next instance per request. Never call `changeLanguage` on a shared instance:
	// concurrent requests would see each other's language.
	const i18n = i18next.createInstance();
	// Resources are in memory and `initAsync` is off, so the instance is ready synchronously.
	void i18n.init(i18nOptions(locale, resourcesFor(locale)));

	event.locals.locale = locale;
	event.locals.i18n = i18n;

	const response = await resolve(event, {
		transformPageChunk: ({ html }) => html.replace('%laurel.lang%', locale),
		// openapi-fetch reads these to detect empty bodies. SvelteKit forbids reading headers of a
		// response fetched in a universal `load` during SSR unless they are serialised with it.
		filterSerializedResponseHeaders: (name) =>
			name === 'content-type' || name === 'content-length' || name === 'transfer-encoding'
	});

	// Pages differ by language; tell caches (and say which language this is).
	if (response.headers.get('x-sveltekit-page') === 'true') {
		response.headers.set('content-language', locale);
		response.headers.append('vary', 'Cookie, Accept-Language');
	}

	return response;
};

/**
 * API requests made with `event.fetch` while rendering (e.g. the health page's `load`) must reach
 * Fastify, not this app: see #lib/server/api-proxy.ts.
 */
export const handleFetch: HandleFetch = async ({ event, request, fetch }) => {
	const url = new URL(request.url);

	if (url.origin === event.url.origin && isApiPath(url.pathname)) {
		const origin = internalApiOrigin(event);
		if (origin) return globalThis.fetch(toInternalApiRequest(event, request, origin));
	}

	return fetch(request);
};

export const handleError: HandleServerError = ({ kind, error, event }) => {
	if (kind === 'unknown') {
		console.error(`[laurel-web] ${event.request.method} ${event.url.pathname}`, error);
	}
};
