import { Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import { isValidNip, minorUnitsOf, parseQuantity, toMinor } from '../money.ts';
import type { InvoiceIssued, InvoicePaid, PartnerIdentification } from '../types.ts';
import { INVOICE_FIELDS, PARTNER_FIELDS, normalizeDecimal, parseDate, type ColumnRef, type CsvMapping } from './mapping.ts';

/*
 * A CSV file → canonical events, streamed: the bytes are decoded chunk by chunk (UTF-8 or Windows-1250, with
 * TextDecoder) into csv-parse's stream parser; each record is checked field by field (every problem names its row and
 * column); rows are grouped into invoices by invoice number (several line rows per invoice, in any order); an
 * invoice with any bad row is left out whole — nothing of it is posted — while the other invoices go on.
 */

export type ImportKind = 'invoices' | 'payments';

/** One problem of the validation report: i18n key `csv.row.<code>` of the plugin's namespace with its params. */
export interface RowProblem {
  /** The line of the file the record ends on (the header is line 1), as a spreadsheet numbers rows. */
  row: number | null;
  /** The column's header (or its number as text when the file has no header row). */
  column: string | null;
  columnNumber: number | null;
  invoiceNumber: string | null;
  code: string;
  params: Record<string, unknown>;
}

export interface CsvSourceRef {
  /** The source name of the events (the CSV source's code): with the external id the inbox's key. */
  code: string;
  programId: string;
}

export interface ReadOutcome {
  rowsRead: number;
  rowsRejected: number;
  /** Invoices (payments files: invoices paid) whose rows were all valid: their events are in `events`. */
  invoicesValid: number;
  /** Invoices left out because one of their rows was not valid. */
  invoicesRejected: number;
  /** invoice.issued first (in the file's order), then invoice.paid. */
  events: (InvoiceIssued | InvoicePaid)[];
  /** Invoice number → the row it starts on (for the inbox's refusals in the report). */
  firstRows: Map<string, number>;
  problems: RowProblem[];
}

const CHUNK = 64 * 1024;
export const MAX_INVOICE_LINES = 1000;

/** The bytes as text chunks, decoded as the mapping says (a UTF-8 BOM is dropped; bad bytes become U+FFFD). */
function* decoded(bytes: Uint8Array, encoding: CsvMapping['encoding']): Generator<string> {
  const decoder = new TextDecoder(encoding);
  for (let at = 0; at < bytes.length; at += CHUNK) {
    const text = decoder.decode(bytes.subarray(at, at + CHUNK), { stream: true });
    if (text) yield text;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

/** Whether the file is valid in the mapping's encoding (UTF-8 is checked strictly; every Windows-1250 byte decodes). */
export function decodesAs(bytes: Uint8Array, encoding: CsvMapping['encoding']): boolean {
  if (encoding !== 'utf-8') return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

interface Record_ {
  record: string[];
  line: number;
}

/** The file's records with their lines; malformed records (quoting) are reported through `onMalformed`. */
async function* records(bytes: Uint8Array, mapping: CsvMapping, onMalformed: (line: number, code: string) => void): AsyncGenerator<Record_> {
  const parser = parse({ delimiter: mapping.delimiter, relax_column_count: true, skip_empty_lines: true, info: true, skip_records_with_error: true, bom: true });
  parser.on('skip', (err: CsvError) => onMalformed(typeof err.lines === 'number' ? err.lines : parser.info.lines, err.code));
  const input = Readable.from(decoded(bytes, mapping.encoding));
  input.pipe(parser);
  for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    yield { record: item.record, line: item.info.lines };
  }
}

/** Count the records of the file past its header (for progress: rows read of the total). */
export async function countRows(bytes: Uint8Array, mapping: CsvMapping): Promise<number> {
  let n = 0;
  const broken = new Set<number>();
  for await (const _ of records(bytes, mapping, (line) => void broken.add(line))) n += 1;
  return Math.max(0, n + broken.size - (mapping.headerRow ? 1 : 0));
}

export interface Columns {
  /** field → index in a record (0-based) */
  index: Partial<Record<string, number>>;
  /** field → the column's name as the report shows it */
  name: Partial<Record<string, string>>;
}

/** Resolve the mapping's columns against the header (exact, then case-insensitive); the missing ones are listed. */
export function resolveColumns(refs: Partial<Record<string, ColumnRef>>, header: string[] | null): { ok: true; columns: Columns } | { ok: false; missing: { field: string; column: string }[] } {
  const columns: Columns = { index: {}, name: {} };
  const missing: { field: string; column: string }[] = [];
  const trimmed = header?.map((h) => h.trim()) ?? null;
  // In the order of the fields (a mapping read back from jsonb has its keys in another order).
  const order = (f: string) => (INVOICE_FIELDS as readonly string[]).indexOf(f);
  for (const [field, ref] of Object.entries(refs).sort(([a], [b]) => order(a) - order(b))) {
    if (ref === undefined) continue;
    if (typeof ref === 'number') {
      columns.index[field] = ref - 1;
      columns.name[field] = trimmed?.[ref - 1] || String(ref);
      continue;
    }
    let i = trimmed ? trimmed.indexOf(ref) : -1;
    if (i < 0 && trimmed) i = trimmed.findIndex((h) => h.toLowerCase() === ref.toLowerCase());
    if (i < 0) missing.push({ field, column: ref });
    else {
      columns.index[field] = i;
      columns.name[field] = trimmed![i]!;
    }
  }
  return missing.length ? { ok: false, missing } : { ok: true, columns };
}

/** The refs a kind of file uses. */
export function refsOf(mapping: CsvMapping, kind: ImportKind): Partial<Record<string, ColumnRef>> {
  return kind === 'payments' ? (mapping.paymentColumns ?? {}) : mapping.columns;
}

/**
 * The file's header (its first record) checked against the mapping: the mapped columns that are missing, or, for a
 * file without a header row, how many columns the first record has when the mapping needs more.
 */
export async function checkHeader(bytes: Uint8Array, mapping: CsvMapping, kind: ImportKind): Promise<{ ok: true } | { ok: false; missing: { field: string; column: string }[] } | { ok: false; empty: true }> {
  const refs = refsOf(mapping, kind);
  for await (const { record } of records(bytes.subarray(0, Math.min(bytes.length, 256 * 1024)), mapping, () => {})) {
    if (mapping.headerRow) {
      const r = resolveColumns(refs, record);
      return r.ok ? { ok: true } : { ok: false, missing: r.missing };
    }
    const missing = Object.entries(refs)
      .sort(([a], [b]) => (INVOICE_FIELDS as readonly string[]).indexOf(a) - (INVOICE_FIELDS as readonly string[]).indexOf(b))
      .filter(([, ref]) => typeof ref === 'number' && ref > record.length)
      .map(([field, ref]) => ({ field, column: String(ref) }));
    return missing.length ? { ok: false, missing } : { ok: true };
  }
  return { ok: false, empty: true };
}

interface Group {
  number: string;
  firstRow: number;
  rows: number;
  bad: boolean;
  issueDate?: string;
  partner?: { key: string; value: PartnerIdentification; row: number; field: string };
  currency?: { code: string; row: number };
  paymentDate?: { date: string; row: number } | null;
  lines: Map<string, { sku: string; sellerCode: string | null; gtin: string | null; net: number; quantity: bigint; scale: number; category: string | null }>;
}

/** Exact decimal quantity as a scaled integer (for summing rows of one SKU), and back. */
function scaled(text: string): { value: bigint; scale: number } {
  const negative = text.startsWith('-');
  const [w, f = ''] = text.replace(/^[+-]/, '').split('.');
  const value = BigInt(w!) * 10n ** BigInt(f.length) + BigInt(f || '0');
  return { value: negative ? -value : value, scale: f.length };
}
function rescale(value: bigint, from: number, to: number): bigint {
  return to >= from ? value * 10n ** BigInt(to - from) : value / 10n ** BigInt(from - to);
}

const MAX_PROBLEMS_KEPT = 10_000;

/**
 * Read the whole file: validate every row, group rows into invoices and make the events of the valid ones.
 * `onProgress(rowsRead)` is called every `every` rows (the caller stores the progress); it may be async.
 */
export async function readCsv(
  bytes: Uint8Array,
  mapping: CsvMapping,
  kind: ImportKind,
  source: CsvSourceRef,
  onProgress: (rowsRead: number) => Promise<void> | void = () => {},
  every = 2000,
): Promise<ReadOutcome> {
  const problems: RowProblem[] = [];
  let problemCount = 0;
  const problem = (p: Omit<RowProblem, 'params'> & { params?: Record<string, unknown> }) => {
    problemCount += 1;
    if (problems.length < MAX_PROBLEMS_KEPT) problems.push({ ...p, params: p.params ?? {} });
  };
  const groups = new Map<string, Group>();
  const badRows = new Set<number>();
  let rowsRead = 0;
  let columns: Columns | null = null;
  const refs = refsOf(mapping, kind);

  if (!mapping.headerRow) {
    const r = resolveColumns(refs, null);
    if (r.ok) columns = r.columns;
  }
  let first = true;
  const malformed = (line: number, code: string) => {
    // csv-parse may report one broken record twice (a bad closing quote, then the quote left open to the end).
    if (badRows.has(line)) return;
    rowsRead += 1;
    badRows.add(line);
    problem({ row: line, column: null, columnNumber: null, invoiceNumber: null, code: 'malformed', params: { reason: code } });
  };

  for await (const { record, line } of records(bytes, mapping, malformed)) {
    if (first && mapping.headerRow) {
      first = false;
      const r = resolveColumns(refs, record);
      if (!r.ok) {
        for (const m of r.missing) problem({ row: line, column: m.column, columnNumber: null, invoiceNumber: null, code: 'columnMissing', params: { field: m.field } });
        return { rowsRead: 0, rowsRejected: 0, invoicesValid: 0, invoicesRejected: 0, events: [], firstRows: new Map(), problems };
      }
      columns = r.columns;
      continue;
    }
    first = false;
    rowsRead += 1;
    if (rowsRead % every === 0) await onProgress(rowsRead);
    const cols = columns!;
    let rowBad = false;
    const at = (field: string) => ({ column: cols.name[field] ?? null, columnNumber: cols.index[field] === undefined ? null : cols.index[field]! + 1 });
    const cell = (field: string): string => {
      const i = cols.index[field];
      return i === undefined ? '' : (record[i] ?? '').trim();
    };
    const invoiceNumber = cell('invoiceNumber');
    const fail = (field: string | null, code: string, params: Record<string, unknown> = {}) => {
      rowBad = true;
      problem({ row: line, ...(field ? at(field) : { column: null, columnNumber: null }), invoiceNumber: invoiceNumber || null, code, params });
    };
    const needed = (field: string): string | null => {
      const v = cell(field);
      if (v === '') {
        fail(field, cols.index[field] !== undefined && record.length <= cols.index[field]! ? 'columnShort' : 'required');
        return null;
      }
      return v;
    };
    const tooLong = (field: string, value: string, max = 100) => {
      if ([...value].length > max) {
        fail(field, 'tooLong', { max });
        return true;
      }
      return false;
    };

    if (invoiceNumber === '') {
      needed('invoiceNumber');
    } else tooLong('invoiceNumber', invoiceNumber);

    if (kind === 'payments') {
      const paid = needed('paymentDate');
      const date = paid === null ? null : parseDate(paid, mapping.dateFormat);
      if (paid !== null && date === null) fail('paymentDate', 'date', { value: paid.slice(0, 40), format: mapping.dateFormat });
      if (rowBad || invoiceNumber === '') {
        badRows.add(line);
        const g = groups.get(invoiceNumber);
        if (g) {
          g.bad = true;
          g.rows += 1;
        }
        else if (invoiceNumber) groups.set(invoiceNumber, { number: invoiceNumber, firstRow: line, rows: 1, bad: true, lines: new Map() });
        continue;
      }
      const g = groups.get(invoiceNumber) ?? { number: invoiceNumber, firstRow: line, rows: 0, bad: false, lines: new Map(), paymentDate: null };
      g.rows += 1;
      // Several payments of one invoice: it is paid in full at the last of them.
      if (!g.paymentDate || date! > g.paymentDate.date) g.paymentDate = { date: date!, row: line };
      groups.set(invoiceNumber, g);
      continue;
    }

    // Invoice line.
    const issueText = needed('issueDate');
    const issueDate = issueText === null ? null : parseDate(issueText, mapping.dateFormat);
    if (issueText !== null && issueDate === null) fail('issueDate', 'date', { value: issueText.slice(0, 40), format: mapping.dateFormat });

    let partner: Group['partner'] | undefined;
    for (const f of PARTNER_FIELDS) {
      const v = cell(f);
      if (v === '' || cols.index[f] === undefined) continue;
      if (tooLong(f, v, 40)) break;
      if (f === 'nip') {
        const nip = v.replace(/^PL/i, '').replace(/[\s-]/g, '');
        if (!isValidNip(nip)) fail(f, 'nip', { value: v.slice(0, 20) });
        else partner = { key: `nip:${nip}`, value: { nip }, row: line, field: f };
      } else if (f === 'regon') {
        const regon = v.replace(/[\s-]/g, '');
        if (!/^(\d{9}|\d{14})$/.test(regon)) fail(f, 'regon', { value: v.slice(0, 20) });
        else partner = { key: `regon:${regon}`, value: { regon } as PartnerIdentification, row: line, field: f };
      } else if (f === 'euVat') {
        const vat = v.replace(/[\s.-]/g, '').toUpperCase();
        if (!/^[A-Z]{2}[0-9A-Z+*]{2,18}$/.test(vat)) fail(f, 'euVat', { value: v.slice(0, 20) });
        else partner = { key: `euVat:${vat}`, value: { euVat: vat }, row: line, field: f };
      } else partner = { key: `code:${v}`, value: { partnerCode: v }, row: line, field: f };
      break;
    }
    if (!partner && !PARTNER_FIELDS.some((f) => cell(f) !== '')) {
      const f = PARTNER_FIELDS.find((x) => cols.index[x] !== undefined)!;
      fail(f, 'partnerMissing', { columns: PARTNER_FIELDS.filter((x) => cols.name[x]).map((x) => cols.name[x]).join(', ') });
    }

    const currencyText = cell('currency') || mapping.defaultCurrency || '';
    const digits = /^[A-Z]{3}$/.test(currencyText.toUpperCase()) ? minorUnitsOf(currencyText.toUpperCase()) : undefined;
    const currency = digits === undefined ? null : currencyText.toUpperCase();
    if (currency === null) {
      if (currencyText === '') fail('currency', 'required');
      else fail('currency', 'currency', { value: currencyText.slice(0, 20) });
    }

    // The item: the program SKU, or the seller's code / GTIN for the program's SKU mapping (the inbox maps them).
    const skuText = cell('sku');
    const sellerCode = cell('sellerCode');
    const gtin = cell('gtin').replace(/\s/g, '');
    let sku: string | null = skuText || sellerCode || gtin || null;
    if (sku === null) {
      const f = (['sku', 'sellerCode', 'gtin'] as const).find((x) => cols.index[x] !== undefined)!;
      needed(f);
    } else {
      if (skuText) tooLong('sku', skuText);
      if (sellerCode) tooLong('sellerCode', sellerCode);
      if (gtin && !/^([0-9]{8}|[0-9]{12,14})$/.test(gtin)) {
        fail('gtin', 'gtin', { value: gtin.slice(0, 20) });
        sku = null;
      }
    }
    const category = cell('category') || null;
    if (category) tooLong('category', category);

    let quantity = '1';
    const qText = cell('quantity');
    if (cols.index.quantity !== undefined && qText !== '') {
      const q = normalizeDecimal(qText, mapping);
      const parsed = q === null ? null : parseQuantity(q);
      if (!parsed || !parsed.ok) fail('quantity', 'quantity', { value: qText.slice(0, 40) });
      else if (parsed.value <= 0) fail('quantity', 'quantityPositive', { value: qText.slice(0, 40) });
      else quantity = parsed.text;
    }

    let net: number | null = null;
    const netText = needed('netAmount');
    if (netText !== null && currency !== null) {
      const normalized = normalizeDecimal(netText, mapping);
      const minor = normalized === null ? null : toMinor(normalized, digits!);
      if (minor === null || (!minor.ok && minor.problem === 'format')) fail('netAmount', 'amount', { value: netText.slice(0, 40), decimal: mapping.decimalSeparator });
      else if (!minor.ok) fail('netAmount', minor.problem === 'precision' ? 'precision' : 'range', { value: netText.slice(0, 40), currency, digits });
      else if (minor.value < 0) fail('netAmount', 'negative', { value: netText.slice(0, 40) });
      else net = minor.value;
    }

    let paymentDate: string | null = null;
    const paidText = cell('paymentDate');
    if (paidText !== '') {
      paymentDate = parseDate(paidText, mapping.dateFormat);
      if (paymentDate === null) fail('paymentDate', 'date', { value: paidText.slice(0, 40), format: mapping.dateFormat });
    }

    if (invoiceNumber === '') {
      badRows.add(line);
      continue;
    }
    let g = groups.get(invoiceNumber);
    if (!g) {
      g = { number: invoiceNumber, firstRow: line, rows: 0, bad: false, lines: new Map() };
      groups.set(invoiceNumber, g);
    }
    g.rows += 1;
    // The rows of one invoice agree on its date, partner, currency and payment.
    if (!rowBad) {
      if (g.issueDate !== undefined && g.issueDate !== issueDate) fail('issueDate', 'differs', { first: g.firstRow, value: g.issueDate });
      if (g.partner && partner && g.partner.key !== partner.key) fail(partner.field, 'differs', { first: g.partner.row, value: g.partner.key.replace(/^[a-zA-Z]+:/, '') });
      if (g.currency && g.currency.code !== currency) fail('currency', 'differs', { first: g.currency.row, value: g.currency.code });
      if (g.paymentDate !== undefined && (g.paymentDate?.date ?? null) !== paymentDate) fail('paymentDate', 'differs', { first: g.paymentDate?.row ?? g.firstRow, value: g.paymentDate?.date ?? '—' });
    }
    if (rowBad) {
      g.bad = true;
      badRows.add(line);
      continue;
    }
    g.issueDate = issueDate!;
    g.partner ??= partner!;
    g.currency ??= { code: currency!, row: line };
    if (g.paymentDate === undefined) g.paymentDate = paymentDate ? { date: paymentDate, row: line } : null;
    const key = `${sku}\u0000${sellerCode}\u0000${gtin}\u0000${category ?? ''}`;
    const l = g.lines.get(key);
    const q = scaled(quantity);
    if (l) {
      const scale = Math.max(l.scale, q.scale);
      l.quantity = rescale(l.quantity, l.scale, scale) + rescale(q.value, q.scale, scale);
      l.scale = scale;
      l.net += net!;
    } else {
      if (g.lines.size >= MAX_INVOICE_LINES) {
        fail('sku', 'tooManyLines', { max: MAX_INVOICE_LINES });
        g.bad = true;
        badRows.add(line);
        continue;
      }
      g.lines.set(key, { sku: sku!, sellerCode: sellerCode || null, gtin: gtin || null, net: net!, quantity: q.value, scale: q.scale, category });
    }
  }
  if (first && mapping.headerRow) problem({ row: null, column: null, columnNumber: null, invoiceNumber: null, code: 'empty', params: {} });

  const issued: InvoiceIssued[] = [];
  const paid: InvoicePaid[] = [];
  let invoicesValid = 0;
  let invoicesRejected = 0;
  const leftOut: RowProblem[] = [];
  for (const g of groups.values()) {
    if (g.bad) {
      invoicesRejected += 1;
      leftOut.push({ row: g.firstRow, column: null, columnNumber: null, invoiceNumber: g.number, code: kind === 'payments' ? 'paymentLeftOut' : 'invoiceLeftOut', params: { number: g.number, rows: g.rows } });
      continue;
    }
    invoicesValid += 1;
    const invoiceExternalId = invoiceExternalIdOf(g.number);
    if (kind === 'invoices') {
      issued.push({
        type: 'invoice.issued',
        source: source.code,
        programId: source.programId,
        externalId: invoiceExternalId,
        occurredAt: `${g.issueDate}T00:00:00.000Z`,
        partner: g.partner!.value,
        number: g.number,
        currency: g.currency!.code,
        lines: [...g.lines.values()].map((l) => ({ sku: l.sku, ...(l.sellerCode ? { sellerCode: l.sellerCode } : {}), ...(l.gtin ? { gtin: l.gtin } : {}), quantity: Number(formatScaled(l.quantity, l.scale)), netAmount: l.net, ...(l.category ? { category: l.category } : {}) })),
      });
    }
    if (g.paymentDate) {
      paid.push({ type: 'invoice.paid', source: source.code, programId: source.programId, externalId: paidExternalIdOf(g.number), occurredAt: `${g.paymentDate.date}T00:00:00.000Z`, invoiceExternalId });
    }
  }
  // The rows' problems by row, then the invoices they leave out.
  problems.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  for (const p of leftOut) problem(p);
  await onProgress(rowsRead);
  return { rowsRead, rowsRejected: badRows.size, invoicesValid, invoicesRejected, events: [...issued, ...paid], firstRows: new Map([...groups.values()].map((g) => [g.number, g.firstRow])), problems: problemCount > problems.length ? [...problems, { row: null, column: null, columnNumber: null, invoiceNumber: null, code: 'moreProblems', params: { count: problemCount - problems.length } }] : problems };
}

function formatScaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const s = (negative ? -value : value).toString().padStart(scale + 1, '0');
  return (negative ? '-' : '') + (scale === 0 ? s : `${s.slice(0, -scale)}.${s.slice(-scale)}`);
}

/** The inbox key of an invoice of a CSV source (the source is the event's `source`): `inv:<number>`. */
export const invoiceExternalIdOf = (number: string) => `inv:${number}`;
/** The inbox key of an invoice's payment: `paid:<number>`. */
export const paidExternalIdOf = (number: string) => `paid:${number}`;
