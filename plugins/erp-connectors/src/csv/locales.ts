import en from './locales/en.json' with { type: 'json' };
import pl from './locales/pl.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };

/* The CSV import's messages live in their own files (src/csv/locales) and join the plugin's namespace. */

type Tree = { [key: string]: string | Tree };

function merge(a: Tree, b: Tree): Tree {
  const out: Tree = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const have = out[k];
    out[k] = typeof v === 'object' && typeof have === 'object' ? merge(have, v) : v;
  }
  return out;
}

/** The plugin's locales with the CSV import's messages added. */
export function withCsvLocales(resources: { en: object; pl: object; ru: object }): { en: object; pl: object; ru: object } {
  return { en: merge(resources.en as Tree, en), pl: merge(resources.pl as Tree, pl), ru: merge(resources.ru as Tree, ru) };
}
