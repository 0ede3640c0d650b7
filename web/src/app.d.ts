import type { i18n } from 'i18next';
import type { Locale } from '#lib/i18n/config.ts';
import type { ApiSession, ClientSession } from '#lib/session.ts';

declare global {
	namespace App {
		interface Locals {
			/** UI locale of this request: cookie `laurel_locale`, then Accept-Language, then `en`. */
			locale: Locale;
			/** This request's own i18next instance (created in `hooks.server.ts`). */
			i18n: i18n;
			/** The signed-in person with their CSRF token (server only), or null. */
			session: ApiSession | null;
		}
		interface PageData {
			/** The signed-in person as the browser may know them (no CSRF token), from the root layout. */
			session: ClientSession | null;
		}
	}
}

export {};
