import { createContext } from 'svelte';
import type { TFunction } from 'i18next';
import type { AppNamespaces, Locale } from './config.ts';

/**
 * What components read to translate and format. The root layout provides it with getters over
 * its `data`, so everything re-renders when the language changes.
 */
export interface I18nContext {
	readonly t: TFunction<AppNamespaces>;
	readonly locale: Locale;
	/** BCP 47 tag for `Intl` formatters, e.g. `pl-PL`. */
	readonly intlLocale: string;
}

const [getI18n, setI18n] = createContext<I18nContext>();

export { getI18n, setI18n };
