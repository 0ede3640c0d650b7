import i18next, { type i18n, type ResourceLanguage, type TFunction } from 'i18next';
import { isLocale, DEFAULT_LOCALE, INTL_LOCALE, type AppNamespaces, type Locale } from './config.ts';
import { i18nOptions } from './options.ts';

/**
 * Wraps one i18next instance. On the server it wraps the per-request instance created in
 * `hooks.server.ts`; the root layout returns it as data and the `transport` hook in
 * `src/hooks.ts` sends the active locale's resources to the browser, where
 * `Translator.fromResources` rebuilds an equivalent instance.
 */
export class Translator {
	readonly i18n: i18n;
	readonly locale: Locale;
	/** BCP 47 tag for `Intl` formatters, e.g. `pl-PL`. */
	readonly intlLocale: string;
	/** Translates a key, e.g. `t('health:title')` or `t('nav.home')` (default namespace `common`). */
	readonly t: TFunction<AppNamespaces>;

	constructor(instance: i18n) {
		this.i18n = instance;
		this.locale = isLocale(instance.language) ? instance.language : DEFAULT_LOCALE;
		this.intlLocale = INTL_LOCALE[this.locale];
		this.t = instance.t.bind(instance) as TFunction<AppNamespaces>;
	}

	/** The active locale's resources, keyed by namespace. */
	resources(): ResourceLanguage {
		return this.i18n.getDataByLanguage(this.locale) ?? {};
	}

	/** Builds a translator from serialised resources (used in the browser). */
	static fromResources(locale: Locale, resources: ResourceLanguage): Translator {
		const instance = i18next.createInstance();
		void instance.init(i18nOptions(locale, resources));
		return new Translator(instance);
	}
}
