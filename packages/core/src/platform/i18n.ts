import i18next, { type i18n, type TFunction } from 'i18next';
import { LOCALES, type Locale } from '@laurel/plugin-sdk';
import en from '../locales/en.json' with { type: 'json' };
import pl from '../locales/pl.json' with { type: 'json' };
import ru from '../locales/ru.json' with { type: 'json' };

export const DEFAULT_LOCALE: Locale = 'en';
export const CORE_NAMESPACE = 'core';

type Resources = Record<Locale, object>;

/**
 * One i18next instance for the server's lifetime holding every namespace (core + enabled plugins). Its
 * language is never changed: each request takes a fixed `t` for its own locale, so concurrent requests
 * cannot leak a locale into each other.
 */
export class Translator {
  private readonly i18n: i18n;

  constructor(namespaces: Record<string, Resources>) {
    const all: Record<string, Resources> = { [CORE_NAMESPACE]: { en, pl, ru }, ...namespaces };
    const resources: Record<string, Record<string, object>> = {};
    for (const locale of LOCALES) {
      resources[locale] = {};
      for (const [ns, byLocale] of Object.entries(all)) resources[locale][ns] = byLocale[locale];
    }
    this.i18n = i18next.createInstance();
    void this.i18n.init({
      resources,
      lng: DEFAULT_LOCALE,
      fallbackLng: DEFAULT_LOCALE,
      supportedLngs: [...LOCALES],
      ns: Object.keys(all),
      defaultNS: CORE_NAMESPACE,
      // `errors.X` of any module resolves without a namespace prefix: core first, then each plugin's.
      fallbackNS: Object.keys(all),
      interpolation: { escapeValue: false },
      initAsync: false,
    });
  }

  /** A `t` bound to one locale. Keys may be prefixed with a namespace: `ledger:errors.X`. */
  fixed(locale: Locale): TFunction {
    return this.i18n.getFixedT(locale);
  }

  has(locale: Locale, key: string): boolean {
    return this.i18n.exists(key, { lng: locale, fallbackLng: false });
  }
}

/** Pick the best supported locale from an `Accept-Language` header (RFC 9110 q-values). */
export function negotiateLocale(header: string | undefined | null): Locale {
  if (!header) return DEFAULT_LOCALE;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const quality = q ? Number(q.slice(2)) : 1;
      return { tag: tag.trim().toLowerCase(), quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((r) => r.tag !== '' && r.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  for (const { tag } of ranked) {
    const primary = tag.split('-')[0];
    const match = LOCALES.find((l) => l === primary);
    if (match) return match;
  }
  return DEFAULT_LOCALE;
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}
