import { redirect, type RequestEvent } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { isLocale, LOCALE_COOKIE, type Locale } from '#lib/i18n/config.ts';
import { LOCALE_COOKIE_OPTIONS, safeReturnPath } from '#lib/i18n/cookie.ts';
import { serverApi } from '#lib/server/api.ts';
import { isHttps } from '#lib/server/request.ts';

function remember(event: RequestEvent, lang: Locale): void {
	// Secure only when the request demonstrably arrived over HTTPS; behind a plain-HTTP deployment
	// a Secure cookie would be dropped and the switch would not stick.
	event.cookies.set(LOCALE_COOKIE, lang, { ...LOCALE_COOKIE_OPTIONS, secure: isHttps(event) });
}

/**
 * `GET /locale?lang=pl&next=/system/health` stores the language in the `laurel_locale` cookie
 * and redirects back to `next`. This is the no-JavaScript path of the language switcher for
 * anonymous visitors (a GET form, so it works over plain HTTP without CSRF origin configuration);
 * with JavaScript the switcher sets the cookie itself and reloads data in place.
 */
export const GET: RequestHandler = (event) => {
	const lang = event.url.searchParams.get('lang');
	if (isLocale(lang)) remember(event, lang);
	redirect(303, safeReturnPath(event.url.searchParams.get('next'), event.url.origin));
};

/**
 * `POST /locale` (form fields `lang`, `next`): the switcher of a signed-in person. The language is
 * also saved to their profile (`PATCH /api/v1/access/me`), since the person's stored language wins
 * over the cookie. A POST, because it changes stored data. Scripts send `accept: application/json`
 * and get 204 instead of the redirect.
 */
export const POST: RequestHandler = async (event) => {
	const form = await event.request.formData();
	const lang = form.get('lang');
	const next = form.get('next');

	if (isLocale(lang)) {
		remember(event, lang);
		if (event.locals.session && event.locals.session.user.locale !== lang) {
			try {
				const { response } = await serverApi(event).PATCH('/api/v1/access/me', { body: { locale: lang } });
				if (!response.ok) console.error(`[laurel-web] saving the language answered HTTP ${response.status}`);
			} catch (cause) {
				console.error('[laurel-web] saving the language failed', cause);
			}
		}
	}

	if (event.request.headers.get('accept')?.includes('application/json')) {
		return new Response(null, { status: 204 });
	}
	redirect(303, safeReturnPath(typeof next === 'string' ? next : null, event.url.origin));
};
