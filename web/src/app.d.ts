import type { i18n } from 'i18next';
import type { Locale } from '#lib/i18n/config.ts';

declare global {
	namespace App {
		interface Locals {
			/** UI locale of this request: cookie `laurel_locale`, then Accept-Language, then `en`. */
			locale: Locale;
			/** This request's own i18next instance (created in `hooks.server.ts`). */
			i18n: i18n;
		}
	}
}

export {};
