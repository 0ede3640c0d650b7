/**
 * Locale check: every message key exists in en, pl and ru; every pluralised key has each plural form its
 * language needs (Intl.PluralRules), so no Polish or Russian count falls back to English; no message is
 * empty; and a translation uses the same {{placeholders}} as English (`count` may be left out of a form).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const LOCALES = ['en', 'pl', 'ru'] as const;
const PLURAL_SUFFIXES = ['_zero', '_one', '_two', '_few', '_many', '_other'];

function entries(obj: unknown, prefix = ''): [string, unknown][] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return [[prefix, obj]];
  return Object.entries(obj as Record<string, unknown>).flatMap(([k, v]) => entries(v, prefix ? `${prefix}.${k}` : k));
}

function placeholders(text: unknown): string {
  const names = new Set([...String(text).matchAll(/\{\{\s*([\w.]+)[^}]*\}\}/g)].map((m) => m[1]!));
  names.delete('count');
  return [...names].sort().join(',');
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.') || name === 'build') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.json') && path.includes(`${'/'}locales${'/'}`)) out.push(path);
  }
  return out;
}

/** Group locale files: `x/locales/en.json` and `x/locales/en/ns.json` styles. */
function groupKey(path: string): { group: string; locale: string } | null {
  const parts = path.split('/');
  const i = parts.lastIndexOf('locales');
  const rest = parts.slice(i + 1);
  if (rest.length === 1) {
    const locale = rest[0]!.replace(/\.json$/, '');
    return { group: parts.slice(0, i + 1).join('/'), locale };
  }
  if (rest.length === 2) return { group: `${parts.slice(0, i + 1).join('/')}/*/${rest[1]}`, locale: rest[0]! };
  return null;
}

export function checkLocales(root: string): string[] {
  const problems: string[] = [];
  const groups = new Map<string, Map<string, string[]>>();
  const values = new Map<string, Map<string, Map<string, unknown>>>();
  for (const file of walk(root)) {
    const g = groupKey(relative(root, file));
    if (!g) continue;
    let flat: [string, unknown][];
    try {
      flat = entries(JSON.parse(readFileSync(file, 'utf8')));
    } catch (error) {
      problems.push(`${relative(root, file)}: not valid JSON (${(error as Error).message})`);
      continue;
    }
    for (const [key, value] of flat) {
      if (typeof value !== 'string' || value.trim() === '') problems.push(`${g.group} [${g.locale}]: "${key}" is empty or not a string`);
    }
    if (!groups.has(g.group)) groups.set(g.group, new Map());
    if (!values.has(g.group)) values.set(g.group, new Map());
    groups.get(g.group)!.set(g.locale, flat.map(([k]) => k));
    values.get(g.group)!.set(g.locale, new Map(flat));
  }
  for (const [group, byLocale] of groups) {
    for (const locale of byLocale.keys()) {
      if (!(LOCALES as readonly string[]).includes(locale)) problems.push(`${group}: unexpected locale "${locale}"`);
    }
    const base = (k: string): string => PLURAL_SUFFIXES.reduce((acc, s) => (acc.endsWith(s) ? acc.slice(0, -s.length) : acc), k);
    const bases = new Map<string, Set<string>>();
    for (const locale of LOCALES) {
      const keys = byLocale.get(locale);
      if (!keys) {
        problems.push(`${group}: no ${locale} file`);
        continue;
      }
      bases.set(locale, new Set(keys.map(base)));
      // plural completeness
      const plurals = new Map<string, Set<string>>();
      for (const k of keys) {
        const suffix = PLURAL_SUFFIXES.find((s) => k.endsWith(s));
        if (suffix) plurals.set(base(k), (plurals.get(base(k)) ?? new Set()).add(suffix.slice(1)));
      }
      const needed = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
      for (const [key, forms] of plurals) {
        const missing = needed.filter((c) => !forms.has(c));
        if (missing.length) problems.push(`${group} [${locale}]: "${key}" lacks plural form(s) ${missing.join(', ')}`);
      }
    }
    const en = bases.get('en');
    if (!en) continue;
    const enValues = values.get(group)?.get('en') ?? new Map<string, unknown>();
    for (const locale of ['pl', 'ru'] as const) {
      for (const [key, value] of values.get(group)?.get(locale) ?? []) {
        const reference = enValues.get(key) ?? enValues.get(`${base(key)}_other`) ?? enValues.get(base(key));
        if (reference !== undefined && placeholders(value) !== placeholders(reference)) {
          problems.push(`${group} [${locale}]: "${key}" uses placeholders {${placeholders(value)}}, English uses {${placeholders(reference)}}`);
        }
      }
    }
    for (const locale of ['pl', 'ru'] as const) {
      const other = bases.get(locale);
      if (!other) continue;
      for (const k of en) if (!other.has(k)) problems.push(`${group} [${locale}]: missing "${k}"`);
      for (const k of other) if (!en.has(k)) problems.push(`${group} [${locale}]: "${k}" is not in en`);
    }
  }
  return problems;
}
