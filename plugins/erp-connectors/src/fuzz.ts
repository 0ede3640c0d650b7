import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { CanonicalEvents, storableFormats, type TSchema } from '@laurel/plugin-sdk';
import type { CanonicalEvent } from './types.ts';
import { derived, realDocuments } from './test-documents.ts';

/*
 * Mutations of the real documents for the fuzz tests (the reader's and the route's): characters cut, hostile text
 * put in, element values replaced, elements dropped, doubled or swapped, the document cut short.
 */

export function seedDocuments(): string[] {
  return [...realDocuments().map((d) => d.xml), derived.advance(), derived.settlement(), derived.advanceCorrection(), derived.raisingCorrection(), derived.neutralCorrection(), derived.fa2()];
}

const HOSTILE_VALUES = [
  '', ' ', '-', '-0', '0', '0.00', '-1', '1e9', 'NaN', 'Infinity', '0x10', '١٢٣', '99999999999999999999.99', '10000000000.01', '0.001', '-162.605', '1.', '.5',
  '2026-02-30', '0000-01-01', '9999-12-31', '2026-13-01', 'PLN', 'XXX', 'XAU', 'eur', 'ZAL', 'ROZ', 'KOR', 'KOR_ZAL', 'KOR_ROZ', 'UPR', 'VAT', 'XYZ',
  '1', '2', 'x'.repeat(300), 'ł'.repeat(120), '\u{1F600}', '&amp;', '&lt;', '&#0;', '&#xD800;', '&undefined;', '<![CDATA[12.50]]>', '<x/>', '<!-- c -->',
];
const TOKENS = ['<', '>', '&', '"', "'", '</', '/>', '<!DOCTYPE a [<!ENTITY e "x">]>', ']]>', '<?pi?>', '\u0000', '\uFFFE', 'ą', '-', '.', '9', ' ', '\n', 'xmlns="urn:x"', '<FaWiersz>', '</Fa>', '<cac:InvoiceLine>'];

type Mutation = (xml: string) => string;

/** A fraction in [0, 1), evenly spread (fc.double favours its edges, which would mostly cut at the very start). */
const unit = fc.integer({ min: 0, max: 999_999 }).map((n) => n / 1_000_000);

const pos = (xml: string, r: number) => Math.floor(r * (xml.length + 1));

/** Elements with simple text content: <tag ...>value</tag>. */
const VALUE = /<([A-Za-z_][\w.:-]*)((?:\s[^<>]*)?)>([^<>]*)<\/\1>/g;
const START = /<([A-Za-z_][\w.:-]*)(?:\s[^<>]*)?>/g;

function nth(xml: string, re: RegExp, r: number): RegExpExecArray | null {
  const all = [...xml.matchAll(re)];
  return all.length ? (all[Math.floor(r * all.length)] as RegExpExecArray) : null;
}

/** One element, start tag to the first end tag of its name after it (any element, root included). */
function element(xml: string, r: number): { index: number; text: string } | null {
  const start = nth(xml, START, r);
  if (!start) return null;
  const end = xml.indexOf(`</${start[1]}>`, start.index);
  return end < 0 ? null : { index: start.index, text: xml.slice(start.index, end + start[1]!.length + 3) };
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 1, arbitrary: fc.tuple(unit, fc.integer({ min: 1, max: 40 })).map(([r, n]): Mutation => (xml) => xml.slice(0, pos(xml, r)) + xml.slice(pos(xml, r) + n)) },
  { weight: 1, arbitrary: fc.tuple(unit, fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 }))).map(([r, s]): Mutation => (xml) => xml.slice(0, pos(xml, r)) + s + xml.slice(pos(xml, r))) },
  { weight: 4, arbitrary: fc.tuple(unit, fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...HOSTILE_VALUES) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) })).map(
    ([r, v]): Mutation => (xml) => {
      const m = nth(xml, VALUE, r);
      return m ? xml.slice(0, m.index) + `<${m[1]}${m[2]}>${v}</${m[1]}>` + xml.slice(m.index + m[0].length) : xml;
    },
  ) },
  { weight: 2, arbitrary: fc.tuple(unit, fc.constantFrom('drop', 'double', 'move')).map(
    ([r, how]): Mutation => (xml) => {
      const m = element(xml, r);
      if (!m) return xml;
      const before = xml.slice(0, m.index);
      const after = xml.slice(m.index + m.text.length);
      if (how === 'drop') return before + after;
      if (how === 'double') return before + m.text + m.text + after;
      // Moved to just after another element's start tag.
      const rest = before + after;
      const other = nth(rest, START, (r * 7919) % 1);
      const at = other ? other.index + other[0].length : 0;
      return rest.slice(0, at) + m.text + rest.slice(at);
    },
  ) },
  { weight: 1, arbitrary: unit.map((r): Mutation => (xml) => xml.slice(0, pos(xml, r))) },
);

/** A real (or derived) document with 1–4 mutations. */
export function mutatedDocument(seeds: string[]): fc.Arbitrary<string> {
  return fc.tuple(fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([i, ms]) => ms.reduce((xml, m) => m(xml), seeds[i]!));
}

const ID = (v: unknown, max: number) => typeof v === 'string' && v.length >= 1 && v.length <= max;
const INSTANT = /^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/;

/** The inbox's own schemas of the canonical events (from the SDK), compiled as the inbox compiles them. */
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);
storableFormats(ajv);
const schemas = new Map<string, ValidateFunction>(
  (['invoice.issued', 'invoice.paid', 'invoice.corrected'] as const).map((type) => [type, ajv.compile(CanonicalEvents.EVENT_SCHEMAS[type] as TSchema)]),
);

/**
 * What is wrong with an event, or null: valid against the inbox's schema of its type, and every field there and in
 * range (nothing half-made).
 */
export function eventProblem(e: CanonicalEvent): string | null {
  const validate = schemas.get(e.type);
  if (!validate) return `type ${e.type}`;
  if (!validate(e)) return `schema: ${ajv.errorsText(validate.errors)}`;
  if (!ID(e.source, 100) || !ID(e.externalId, 200) || !INSTANT.test(e.occurredAt) || Number.isNaN(Date.parse(e.occurredAt))) return 'common fields';
  if (e.type === 'invoice.paid') return ID(e.invoiceExternalId, 200) ? null : 'invoiceExternalId';
  if (!ID(e.number, 100)) return 'number';
  if (!Array.isArray(e.lines) || e.lines.length < 1 || e.lines.length > 1000) return 'lines';
  for (const l of e.lines) {
    if (!ID(l.sku, 100)) return 'sku';
    if (!Number.isSafeInteger(l.netAmount) || l.netAmount < 0 || l.netAmount > 1_000_000_000_000) return 'netAmount';
    if (l.quantity !== undefined && !(Number.isFinite(l.quantity) && l.quantity >= 0 && l.quantity <= 1_000_000_000)) return 'quantity';
  }
  if (e.type === 'invoice.issued') {
    if (!/^[A-Z]{3}$/.test(e.currency)) return 'currency';
    if (e.lines.some((l) => !(l.quantity > 0))) return 'quantity > 0';
    const p = e.partner;
    if (!p || Object.keys(p).length === 0 || !Object.values(p).every((v) => ID(v, 40))) return 'partner';
    return null;
  }
  if (!ID(e.originalExternalId, 200) || (e.kind !== 'correction' && e.kind !== 'credit-note')) return 'correction fields';
  return null;
}
