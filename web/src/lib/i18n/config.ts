/**
 * Locale configuration shared by the server and the browser. Keep this module free of resources:
 * the browser only ever receives the active locale's strings, through the root layout's data.
 */

export const LOCALES = ['en', 'pl', 'ru'] as const;
export type Locale = (typeof LOCALES)[number];

export const DEFAULT_LOCALE: Locale = 'en';

/** Namespaces, one JSON file each in `locales/<locale>/<namespace>.json`. */
export const NAMESPACES = ['common', 'home', 'health', 'auth', 'admin', 'partners', 'portal', 'ledger', 'earning', 'disputes', 'catalogue', 'webhooks', 'tiers'] as const;
export type Namespace = (typeof NAMESPACES)[number];
/** For `TFunction<AppNamespaces>`: keys of every namespace, as `ns:key` (or bare keys of `common`). */
export type AppNamespaces = typeof NAMESPACES;
export const DEFAULT_NAMESPACE: Namespace = 'common';

/** Cookie that remembers the chosen language (1 year, SameSite=Lax, readable by scripts). */
export const LOCALE_COOKIE = 'laurel_locale';
export const LOCALE_COOKIE_MAX_AGE = 60 * 60 * 24 * 365;

/** BCP 47 tags handed to `Intl` formatters for each UI locale. */
export const INTL_LOCALE: Record<Locale, string> = {
	en: 'en-US',
	pl: 'pl-PL',
	ru: 'ru-RU'
};

/** Each language's name in that language, for the language switcher. */
export const LOCALE_NATIVE_NAME: Record<Locale, string> = {
	en: 'English',
	pl: 'Polski',
	ru: 'Русский'
};

export function isLocale(value: unknown): value is Locale {
	return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}
