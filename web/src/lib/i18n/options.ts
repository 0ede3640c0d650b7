import type { InitOptions, ResourceLanguage } from 'i18next';
import { DEFAULT_NAMESPACE, NAMESPACES, type Locale } from './config.ts';

/**
 * i18next options used for every instance, on the server (one per request, see
 * `hooks.server.ts`) and in the browser (rebuilt from the root layout's data).
 * Resources are passed in up front, so `init` completes synchronously.
 */
export function i18nOptions(locale: Locale, resources: ResourceLanguage): InitOptions {
	return {
		lng: locale,
		// Only the active locale is loaded. CI checks that every key exists in every locale,
		// so there is nothing to fall back to.
		fallbackLng: false,
		supportedLngs: [locale],
		ns: [...NAMESPACES],
		defaultNS: DEFAULT_NAMESPACE,
		resources: { [locale]: resources },
		initAsync: false,
		returnNull: false,
		// Svelte escapes text when rendering; never pass translations to {@html}.
		interpolation: { escapeValue: false }
	};
}
