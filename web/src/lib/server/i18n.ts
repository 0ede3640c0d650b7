import type { ResourceLanguage, TFunction } from 'i18next';
import { LOCALES, NAMESPACES, type AppNamespaces, type Locale } from '#lib/i18n/config.ts';

// Every `locales/<locale>/<namespace>.json`, bundled into the server build only (this module
// lives under lib/server, so SvelteKit refuses to import it into browser code). The browser
// receives the active locale's resources through the root layout's data instead.
const files = import.meta.glob<ResourceLanguage[string]>('../i18n/locales/*/*.json', {
	eager: true,
	import: 'default'
});

function collect(locale: Locale): ResourceLanguage {
	const resources: ResourceLanguage = {};
	for (const namespace of NAMESPACES) {
		const file = files[`../i18n/locales/${locale}/${namespace}.json`];
		if (!file) throw new Error(`Missing translations: locales/${locale}/${namespace}.json`);
		resources[namespace] = file;
	}
	return resources;
}

const RESOURCES = Object.fromEntries(LOCALES.map((locale) => [locale, collect(locale)])) as Record<
	Locale,
	ResourceLanguage
>;

/** All namespaces of one locale. Treat the result as read-only: it is shared by all requests. */
export function resourcesFor(locale: Locale): ResourceLanguage {
	return RESOURCES[locale];
}

/** The request's translate function (its own i18next instance, see `hooks.server.ts`). */
export function translatorOf(event: { locals: App.Locals }): TFunction<AppNamespaces> {
	return event.locals.i18n.t.bind(event.locals.i18n) as TFunction<AppNamespaces>;
}
