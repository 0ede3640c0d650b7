import { redirect } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { isLocale, LOCALE_COOKIE } from '#lib/i18n/config.ts';
import { LOCALE_COOKIE_OPTIONS, safeReturnPath } from '#lib/i18n/cookie.ts';

/**
 * `GET /locale?lang=pl&next=/system/health` stores the language in the `laurel_locale` cookie
 * and redirects back to `next`. This is the no-JavaScript path of the language switcher (a GET
 * form, so it works over plain HTTP without CSRF origin configuration); with JavaScript the
 * switcher sets the cookie itself and reloads data in place.
 */
export const GET: RequestHandler = ({ url, cookies, request, platform }) => {
	const lang = url.searchParams.get('lang');

	if (isLocale(lang)) {
		// Mark the cookie Secure only when the request demonstrably arrived over HTTPS; behind a
		// plain-HTTP deployment a Secure cookie would be dropped and the switch would not stick.
		const socket = platform?.req?.socket;
		const secure =
			(socket !== undefined && 'encrypted' in socket && socket.encrypted === true) ||
			request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';

		cookies.set(LOCALE_COOKIE, lang, { ...LOCALE_COOKIE_OPTIONS, secure });
	}

	redirect(303, safeReturnPath(url.searchParams.get('next'), url.origin));
};
