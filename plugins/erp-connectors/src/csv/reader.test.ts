import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkMapping, normalizeDecimal, parseDate, type CsvMapping } from './mapping.ts';
import { readCsv } from './reader.ts';

/* The CSV reader without a database: notations, dates, the mapping's checks and a Polish Windows-1250 file. */

const polish = checkMapping({
  delimiter: ';',
  decimalSeparator: ',',
  thousandsSeparator: ' ',
  encoding: 'windows-1250',
  dateFormat: 'DD.MM.YYYY',
  columns: { invoiceNumber: 'Nr faktury', issueDate: 'Data wystawienia', nip: 'NIP nabywcy', sku: 'Indeks', quantity: 'Ilość', netAmount: 'Wartość netto', currency: 'Waluta', paymentDate: 'Data zapłaty' },
});

describe('CSV notation', () => {
  it('reads amounts exactly in the mapping’s notation, and nothing else', () => {
    const pl = { decimalSeparator: ',', thousandsSeparator: ' ' } as const;
    expect(normalizeDecimal('1 626,01', pl)).toBe('1626.01');
    expect(normalizeDecimal('1\u00a0626,01', pl)).toBe('1626.01');
    expect(normalizeDecimal('-0,5', pl)).toBe('-0.5');
    expect(normalizeDecimal('1.626,01', pl)).toBeNull();
    expect(normalizeDecimal('1,2,3', pl)).toBeNull();
    const de = { decimalSeparator: ',', thousandsSeparator: '.' } as const;
    expect(normalizeDecimal('1.234.567,89', de)).toBe('1234567.89');
    expect(normalizeDecimal('12.34,5', de)).toBeNull();
    const en = { decimalSeparator: '.', thousandsSeparator: ',' } as const;
    expect(normalizeDecimal('1,000.00', en)).toBe('1000.00');
    expect(normalizeDecimal('1,00.00', en)).toBeNull();
    expect(normalizeDecimal('ten', en)).toBeNull();
  });

  it('reads real calendar days in each date format', () => {
    expect(parseDate('02.03.2026', 'DD.MM.YYYY')).toBe('2026-03-02');
    expect(parseDate('2.3.2026', 'DD.MM.YYYY')).toBe('2026-03-02');
    expect(parseDate('03/02/2026', 'MM/DD/YYYY')).toBe('2026-03-02');
    expect(parseDate('20260302', 'YYYYMMDD')).toBe('2026-03-02');
    expect(parseDate('29.02.2025', 'DD.MM.YYYY')).toBeNull();
    expect(parseDate('2026-03-02', 'DD.MM.YYYY')).toBeNull();
  });

  it('checks a mapping field by field', () => {
    expect(polish.ok).toBe(true);
    const bad = checkMapping({ delimiter: ',', decimalSeparator: ',', dateFormat: 'DD.MM.YY', headerRow: false, columns: { invoiceNumber: 'A', issueDate: 2, sku: 2, netAmount: 4, colour: 5 } });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems.map((p) => [p.field, p.key])).toEqual([
      ['/dateFormat', 'csv.mapping.oneOf'],
      ['/decimalSeparator', 'csv.mapping.sameAsDelimiter'],
      ['/columns/colour', 'csv.mapping.unknownField'],
      ['/columns/invoiceNumber', 'csv.mapping.number'],
      ['/columns/sku', 'csv.mapping.duplicate'],
      ['/columns/partnerCode', 'csv.mapping.partner'],
      ['/defaultCurrency', 'csv.mapping.currencyNeeded'],
    ]);
  });
});

describe('readCsv', () => {
  it('groups the lines of the Polish export into invoices, exact in grosze, Windows-1250 decoded', async () => {
    const file = readFileSync(new URL('../../test/fixtures/csv/faktury-sprzedaz-cp1250.csv', import.meta.url));
    const progress: number[] = [];
    const read = await readCsv(file, (polish as { mapping: CsvMapping }).mapping, 'invoices', { code: 'erp-test', programId: '00000000-0000-4000-8000-000000000001' }, (n) => void progress.push(n), 2);
    expect(read).toMatchObject({ rowsRead: 7, rowsRejected: 0, invoicesValid: 3, invoicesRejected: 0, problems: [] });
    expect(progress).toEqual([2, 4, 6, 7]);
    expect(read.events.map((e) => (e.type === 'invoice.issued' ? [e.externalId, e.partner, e.lines.map((l) => `${l.sku} ${l.quantity} ${l.netAmount}`)] : [e.externalId, e.occurredAt]))).toEqual([
      ['inv:FV/2026/03/001', { nip: '5260250995' }, ['LOD-ZT-1 2 325202', 'ZMY-ŻK-2 1 99999', 'MON-3 1 4065']],
      ['inv:FV/2026/03/002', { nip: '5250007738' }, ['PIE-Ł-4 3 360150', 'LOD-ZT-1 1 162601']],
      ['inv:FV/2026/03/003', { nip: '7740001454' }, ['KAB-Ś-5 12.5 475']],
      ['paid:FV/2026/03/003', '2026-03-15T00:00:00.000Z'],
    ]);
  });

  it('a seller code or GTIN column is sent for the program’s SKU mapping; a bad GTIN is a problem at its column', async () => {
    const mapping = checkMapping({ delimiter: ';', decimalSeparator: ',', dateFormat: 'YYYY-MM-DD', defaultCurrency: 'PLN', columns: { invoiceNumber: 'nr', issueDate: 'data', nip: 'nip', sellerCode: 'indeks', gtin: 'ean', netAmount: 'netto' } });
    if (!mapping.ok) throw new Error(JSON.stringify(mapping.problems));
    const text = 'nr;data;nip;indeks;ean;netto\nA;2026-01-01;5260250995;LOD-1;5901234123457;10,00\nA;2026-01-01;5260250995;;5901234123457;1,00\nB;2026-01-01;5260250995;X;123;1,00\n';
    const read = await readCsv(Buffer.from(text), mapping.mapping, 'invoices', { code: 'c', programId: '00000000-0000-4000-8000-000000000001' });
    expect(read.events).toMatchObject([{ externalId: 'inv:A', lines: [{ sku: 'LOD-1', sellerCode: 'LOD-1', gtin: '5901234123457', quantity: 1, netAmount: 1000 }, { sku: '5901234123457', gtin: '5901234123457', quantity: 1, netAmount: 100 }] }]);
    expect(read.problems.map((p) => [p.row, p.column, p.code])).toEqual([[4, 'ean', 'gtin'], [4, null, 'invoiceLeftOut']]);
  });

  it('a badly quoted row is reported on its line; the rows before it are read', async () => {
    const mapping = checkMapping({ delimiter: ',', decimalSeparator: '.', dateFormat: 'YYYY-MM-DD', defaultCurrency: 'PLN', columns: { invoiceNumber: 'n', issueDate: 'd', partnerCode: 'p', sku: 's', netAmount: 'a' } });
    if (!mapping.ok) throw new Error('mapping');
    const text = 'n,d,p,s,a\nA,2026-01-01,P1,X,1.00\nB,2026-01-01,P1,"X"y,1.00\n';
    const read = await readCsv(Buffer.from(text), mapping.mapping, 'invoices', { code: 'c', programId: '00000000-0000-4000-8000-000000000001' });
    expect(read.events.map((e) => e.externalId)).toEqual(['inv:A']);
    expect(read.problems).toEqual([{ row: 3, column: null, columnNumber: null, invoiceNumber: null, code: 'malformed', params: { reason: 'CSV_INVALID_CLOSING_QUOTE' } }]);
  });
});
