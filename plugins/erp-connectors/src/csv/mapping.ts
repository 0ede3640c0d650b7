import { minorUnitsOf } from '../money.ts';

/*
 * The column mapping of a CSV source: how its files are written (delimiter, decimal separator, encoding, header row,
 * date format) and which column holds which field. Checked here, field by field: every problem names its field (a
 * JSON pointer under the mapping) with an i18n key of the plugin's `csv.mapping.*` messages.
 */

export const DELIMITERS = [',', ';', '\t', '|'] as const;
export const DECIMAL_SEPARATORS = ['.', ','] as const;
export const THOUSANDS_SEPARATORS = ['', ' ', '.', ',', "'"] as const;
export const ENCODINGS = ['utf-8', 'windows-1250'] as const;
export const DATE_FORMATS = ['YYYY-MM-DD', 'DD.MM.YYYY', 'DD-MM-YYYY', 'DD/MM/YYYY', 'MM/DD/YYYY', 'YYYY.MM.DD', 'YYYY/MM/DD', 'YYYYMMDD'] as const;

export type Encoding = (typeof ENCODINGS)[number];
export type DateFormat = (typeof DATE_FORMATS)[number];
/** A column: its header (when the file has a header row) or its number, 1 for the first. */
export type ColumnRef = string | number;

/** The fields of an invoice file: one row per invoice line. */
export const INVOICE_FIELDS = ['invoiceNumber', 'issueDate', 'partnerCode', 'nip', 'regon', 'euVat', 'currency', 'sku', 'sellerCode', 'gtin', 'quantity', 'netAmount', 'category', 'paymentDate'] as const;
export type InvoiceField = (typeof INVOICE_FIELDS)[number];
/** The fields of a payments file: one row per payment. */
export const PAYMENT_FIELDS = ['invoiceNumber', 'paymentDate'] as const;
export type PaymentField = (typeof PAYMENT_FIELDS)[number];
/** Partner identifiers, in the order the first one given on a row decides. */
export const PARTNER_FIELDS = ['partnerCode', 'nip', 'regon', 'euVat'] as const;

export interface CsvMapping {
  delimiter: (typeof DELIMITERS)[number];
  decimalSeparator: (typeof DECIMAL_SEPARATORS)[number];
  /** Digit grouping inside amounts (besides spaces, always allowed): '' none. */
  thousandsSeparator: (typeof THOUSANDS_SEPARATORS)[number];
  encoding: Encoding;
  headerRow: boolean;
  dateFormat: DateFormat;
  /** The currency of rows without a currency column (or with it empty). */
  defaultCurrency: string | null;
  columns: Partial<Record<InvoiceField, ColumnRef>>;
  /** Columns of a payments file (invoice number and payment date), when the source sends payments. */
  paymentColumns: Partial<Record<PaymentField, ColumnRef>> | null;
}

export interface MappingProblem {
  /** JSON pointer under the mapping, e.g. `/columns/netAmount`. */
  field: string;
  /** i18n key under the plugin namespace, e.g. `csv.mapping.required`. */
  key: string;
  params?: Record<string, unknown>;
}

const REQUIRED_INVOICE: InvoiceField[] = ['invoiceNumber', 'issueDate', 'netAmount'];
/** What names the item: the program SKU, or the seller's code or GTIN for the program's SKU mapping. */
export const ITEM_FIELDS = ['sku', 'sellerCode', 'gtin'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkColumns(
  value: unknown,
  fields: readonly string[],
  required: readonly string[],
  headerRow: boolean,
  at: string,
  problems: MappingProblem[],
): Record<string, ColumnRef> {
  const out: Record<string, ColumnRef> = {};
  if (!isObject(value)) {
    problems.push({ field: at, key: 'csv.mapping.object' });
    return out;
  }
  for (const name of Object.keys(value)) {
    if (!fields.includes(name)) problems.push({ field: `${at}/${name}`, key: 'csv.mapping.unknownField', params: { name: name.slice(0, 40), fields: fields.join(', ') } });
  }
  const used = new Map<string, string>();
  for (const name of fields) {
    const raw = value[name];
    if (raw === undefined || raw === null || raw === '') {
      if (required.includes(name)) problems.push({ field: `${at}/${name}`, key: 'csv.mapping.required' });
      continue;
    }
    if (headerRow) {
      if (typeof raw !== 'string' || raw.trim() === '' || raw.length > 100) {
        problems.push({ field: `${at}/${name}`, key: 'csv.mapping.header' });
        continue;
      }
    } else if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > 500) {
      problems.push({ field: `${at}/${name}`, key: 'csv.mapping.number' });
      continue;
    }
    const ref = typeof raw === 'string' ? raw.trim() : raw;
    const key = String(ref).toLowerCase();
    const other = used.get(key);
    if (other) {
      problems.push({ field: `${at}/${name}`, key: 'csv.mapping.duplicate', params: { column: String(ref), other } });
      continue;
    }
    used.set(key, name);
    out[name] = ref;
  }
  return out;
}

/**
 * Check a mapping as sent (any JSON) and return it normalized, or the problems (each naming its field under
 * `/mapping`).
 */
export function checkMapping(input: unknown): { ok: true; mapping: CsvMapping } | { ok: false; problems: MappingProblem[] } {
  const problems: MappingProblem[] = [];
  if (!isObject(input)) return { ok: false, problems: [{ field: '', key: 'csv.mapping.object' }] };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback?: T): T => {
    const value = input[name] ?? fallback;
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    problems.push({ field: `/${name}`, key: value === undefined ? 'csv.mapping.required' : 'csv.mapping.oneOf', params: { allowed: allowed.map((a) => (a === '\t' ? 'TAB' : a === ' ' ? 'SPACE' : a === '' ? '""' : a)).join(' ') } });
    return allowed[0]!;
  };
  const delimiter = oneOf('delimiter', DELIMITERS);
  const decimalSeparator = oneOf('decimalSeparator', DECIMAL_SEPARATORS);
  const thousandsSeparator = oneOf('thousandsSeparator', THOUSANDS_SEPARATORS, '');
  const encoding = oneOf('encoding', ENCODINGS, 'utf-8');
  const dateFormat = oneOf('dateFormat', DATE_FORMATS);
  if (decimalSeparator === delimiter) problems.push({ field: '/decimalSeparator', key: 'csv.mapping.sameAsDelimiter' });
  if (thousandsSeparator !== '' && thousandsSeparator === decimalSeparator) problems.push({ field: '/thousandsSeparator', key: 'csv.mapping.thousands' });
  const headerRow = input.headerRow ?? true;
  if (typeof headerRow !== 'boolean') problems.push({ field: '/headerRow', key: 'csv.mapping.boolean' });
  const header = headerRow !== false;

  let defaultCurrency: string | null = null;
  if (input.defaultCurrency !== undefined && input.defaultCurrency !== null && input.defaultCurrency !== '') {
    const code = input.defaultCurrency;
    if (typeof code !== 'string' || !/^[A-Z]{3}$/.test(code) || minorUnitsOf(code) === undefined) problems.push({ field: '/defaultCurrency', key: 'csv.mapping.currency', params: { currency: String(code).slice(0, 20) } });
    else defaultCurrency = code;
  }

  const columns = checkColumns(input.columns, INVOICE_FIELDS, REQUIRED_INVOICE, header, '/columns', problems) as CsvMapping['columns'];
  if (isObject(input.columns)) {
    if (!PARTNER_FIELDS.some((f) => columns[f] !== undefined) && !PARTNER_FIELDS.some((f) => input.columns && (input.columns as Record<string, unknown>)[f])) {
      problems.push({ field: '/columns/partnerCode', key: 'csv.mapping.partner' });
    }
    if (!ITEM_FIELDS.some((f) => columns[f] !== undefined || (input.columns as Record<string, unknown>)[f])) problems.push({ field: '/columns/sku', key: 'csv.mapping.item' });
    if (columns.currency === undefined && defaultCurrency === null && !(input.columns as Record<string, unknown>).currency) problems.push({ field: '/defaultCurrency', key: 'csv.mapping.currencyNeeded' });
  }
  let paymentColumns: CsvMapping['paymentColumns'] = null;
  if (input.paymentColumns !== undefined && input.paymentColumns !== null) {
    paymentColumns = checkColumns(input.paymentColumns, PAYMENT_FIELDS, PAYMENT_FIELDS, header, '/paymentColumns', problems) as CsvMapping['paymentColumns'];
  }
  for (const name of Object.keys(input)) {
    if (!['delimiter', 'decimalSeparator', 'thousandsSeparator', 'encoding', 'headerRow', 'dateFormat', 'defaultCurrency', 'columns', 'paymentColumns'].includes(name)) {
      problems.push({ field: `/${name}`, key: 'csv.mapping.unknownSetting', params: { name: name.slice(0, 40) } });
    }
  }
  if (problems.length) return { ok: false, problems };
  return { ok: true, mapping: { delimiter, decimalSeparator, thousandsSeparator, encoding, headerRow: header, dateFormat, defaultCurrency, columns, paymentColumns } };
}

/** A date written in `format` as YYYY-MM-DD, or null when it is not one (or not a real calendar day). */
export function parseDate(text: string, format: DateFormat): string | null {
  const value = text.trim();
  const patterns: Record<DateFormat, [RegExp, 'ymd' | 'dmy' | 'mdy']> = {
    'YYYY-MM-DD': [/^(\d{4})-(\d{1,2})-(\d{1,2})$/, 'ymd'],
    'DD.MM.YYYY': [/^(\d{1,2})\.(\d{1,2})\.(\d{4})$/, 'dmy'],
    'DD-MM-YYYY': [/^(\d{1,2})-(\d{1,2})-(\d{4})$/, 'dmy'],
    'DD/MM/YYYY': [/^(\d{1,2})\/(\d{1,2})\/(\d{4})$/, 'dmy'],
    'MM/DD/YYYY': [/^(\d{1,2})\/(\d{1,2})\/(\d{4})$/, 'mdy'],
    'YYYY.MM.DD': [/^(\d{4})\.(\d{1,2})\.(\d{1,2})$/, 'ymd'],
    'YYYY/MM/DD': [/^(\d{4})\/(\d{1,2})\/(\d{1,2})$/, 'ymd'],
    'YYYYMMDD': [/^(\d{4})(\d{2})(\d{2})$/, 'ymd'],
  };
  const [re, order] = patterns[format];
  const m = re.exec(value);
  if (!m) return null;
  const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [y, mo, d] = order === 'ymd' ? [a, b, c] : order === 'dmy' ? [c, b, a] : [c, a, b];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1900 || y > 2999 || date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * An amount or quantity as written in the file → a plain decimal string (`1 234,56` with `,` → `1234.56`), or null
 * when it is not a number in the mapping's notation. Spaces (also non-breaking) between digits are always allowed.
 */
export function normalizeDecimal(text: string, mapping: Pick<CsvMapping, 'decimalSeparator' | 'thousandsSeparator'>): string | null {
  let value = text.trim().replace(/[\s\u00a0\u202f]/g, '');
  if (value === '') return null;
  if (mapping.thousandsSeparator && mapping.thousandsSeparator !== ' ') {
    // Grouping only where it groups: 1.234.567,89 — never 12.34,5.
    const sep = mapping.thousandsSeparator;
    const [whole = '', ...rest] = value.split(mapping.decimalSeparator);
    if (whole.includes(sep)) {
      const groups = whole.replace(/^[+-]/, '').split(sep);
      if (groups.some((g, i) => (i === 0 ? !/^\d{1,3}$/.test(g) : !/^\d{3}$/.test(g)))) return null;
      value = [whole.split(sep).join(''), ...rest].join(mapping.decimalSeparator);
    }
  }
  if (mapping.decimalSeparator === ',') {
    if (value.includes('.')) return null;
    value = value.replace(',', '.');
  } else if (value.includes(',')) return null;
  return /^[+-]?\d{1,20}(\.\d{1,20})?$/.test(value) ? value.replace(/^\+/, '') : null;
}
