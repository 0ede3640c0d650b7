import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLaurel, type LaurelTestApp } from '@laurel/testing';
import erpConnectors from '../index.ts';

/*
 * CSV import in the real app on a real PostgreSQL: sources with their mappings (checked, audited), files uploaded as
 * an admin would (multipart), read in the background by the plugin's scheduled task while the status is polled, and
 * their invoices earning points through the earning inbox. The files are in test/fixtures/csv (see SOURCES.md).
 */

let t: LaurelTestApp;
let programId: string;
const partners: Record<string, string> = {};

const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/csv/${name}`, import.meta.url));
const TASK = 'erp-connectors:csv-imports';

/** The Polish ERP export's mapping: `;`, decimal commas, spaces between thousands, Windows-1250, DD.MM.YYYY. */
const polishMapping = {
  delimiter: ';',
  decimalSeparator: ',',
  thousandsSeparator: ' ',
  encoding: 'windows-1250',
  headerRow: true,
  dateFormat: 'DD.MM.YYYY',
  columns: { invoiceNumber: 'Nr faktury', issueDate: 'Data wystawienia', nip: 'NIP nabywcy', sku: 'Indeks', quantity: 'Ilość', netAmount: 'Wartość netto', currency: 'Waluta', paymentDate: 'Data zapłaty' },
  paymentColumns: { invoiceNumber: 'Nr faktury', paymentDate: 'Data zapłaty' },
};

/** A CRM export: `,`, decimal points with `,` between thousands, UTF-8, ISO dates, PartnerID or NIP. */
const crmMapping = {
  delimiter: ',',
  decimalSeparator: '.',
  thousandsSeparator: ',',
  encoding: 'utf-8',
  dateFormat: 'YYYY-MM-DD',
  columns: { invoiceNumber: 'invoice_no', issueDate: 'issue_date', partnerCode: 'partner_id', nip: 'vat_number', sku: 'sku', quantity: 'qty', netAmount: 'net', currency: 'currency' },
};

async function createSource(code: string, mapping: object): Promise<string> {
  const res = await t.post('/api/v1/erp-connectors/csv/sources', { programId, code, name: `Source ${code}`, mapping });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

/** Upload as the admin panel does: multipart with the file in `file` and the kind. */
async function upload(sourceId: string, file: Buffer, fileName: string, kind: 'invoices' | 'payments' = 'invoices', as: Record<string, string> = t.admin) {
  const boundary = 'laurel-csv-boundary';
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n${kind}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: text/csv\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/erp-connectors/csv/sources/${sourceId}/imports`,
    headers: { ...as, 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload,
  });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

/** Upload and let the background task read it to the end; the import as its status route then shows it. */
async function importFile(sourceId: string, file: Buffer, fileName: string, kind: 'invoices' | 'payments' = 'invoices') {
  const up = await upload(sourceId, file, fileName, kind);
  expect(up.status, JSON.stringify(up.body)).toBe(202);
  expect(up.body).toMatchObject({ status: 'queued', kind, fileName });
  await t.runScheduled(TASK);
  const done = await t.get(`/api/v1/erp-connectors/csv/imports/${up.body.id}`);
  expect(done.body.status, JSON.stringify(done.body)).toBe('done');
  return done.body;
}

const events = (source: string) =>
  t.sql<{ external_id: string; type: string; status: string; partner_id: string | null; payload: Record<string, unknown>; result: Record<string, unknown> | null }>(
    `select external_id, type, status, partner_id, payload, result from earning_event where source = $1 order by external_id`,
    [source],
  );
const eventCount = async () => (await t.sql<{ n: number }>(`select count(*)::int as n from earning_event`))[0]!.n;

beforeAll(async () => {
  t = await startLaurel({ plugins: [erpConnectors] });
  programId = (await t.createProgram({ currency: 'PLN' })).id;
  // Buyers of the fixtures, by the NIPs of test/fixtures/pl_identifiers.csv (Orange, PKO BP, ORLEN), and one by PartnerID.
  for (const nip of ['5260250995', '5250007738', '7740001454']) partners[nip] = (await t.createPartner(programId, { nip })).id;
  partners['ACME-01'] = (await t.createPartner(programId, { partnerCode: 'ACME-01', nip: '6920000013' })).id;
  const rule = await t.post('/api/v1/earning/rules', {
    programId,
    code: 'per-pln',
    name: '1 point per PLN',
    validFrom: '2020-01-01T00:00:00.000Z',
    eventTypes: ['invoice.issued'],
    condition: true,
    effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' },
  });
  expect(rule.status).toBe(201);
  expect((await t.post(`/api/v1/earning/rules/${rule.body.id}/activate`, {})).status).toBe(200);
}, 180_000);

afterAll(async () => {
  await t?.close();
});

describe('CSV sources', () => {
  it('a mapping with problems is refused naming each field, in the caller’s language; a good one is saved and audited, and so is a change', async () => {
    const bad = await t.post(
      '/api/v1/erp-connectors/csv/sources',
      { programId, code: 'erp-bad', name: 'Bad', mapping: { ...polishMapping, delimiter: ',', columns: { invoiceNumber: 'Nr faktury', issueDate: 'Nr faktury', sku: 'Indeks' } } },
      { as: await t.signInAs(['admin'], { locale: 'pl' }) },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('ERP_CSV_MAPPING_INVALID');
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([
        { field: '/body/mapping/decimalSeparator', message: 'Separator dziesiętny nie może być separatorem pól.' },
        { field: '/body/mapping/columns/issueDate', message: 'Kolumna Nr faktury jest już przypisana do invoiceNumber.' },
        { field: '/body/mapping/columns/netAmount', message: 'Wymagane.' },
        { field: '/body/mapping/columns/partnerCode', message: expect.stringContaining('identyfikator partnera') },
      ]),
    );
    const wrongEnum = await t.post('/api/v1/erp-connectors/csv/sources', { programId, code: 'erp-bad', name: 'Bad', mapping: { ...polishMapping, encoding: 'latin-2' } });
    expect(wrongEnum.status).toBe(400);
    expect(wrongEnum.body.errors.map((e: { field: string }) => e.field)).toContain('/body/mapping/encoding');

    const id = await createSource('erp-mapping', polishMapping);
    const taken = await t.post('/api/v1/erp-connectors/csv/sources', { programId, code: 'erp-mapping', name: 'Again', mapping: polishMapping });
    expect(taken.status).toBe(409);
    expect(taken.body.errors[0].field).toBe('/body/code');

    const changed = await t.request('PUT', `/api/v1/erp-connectors/csv/sources/${id}`, { body: { version: 1, mapping: { ...polishMapping, dateFormat: 'YYYY-MM-DD' } } });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body).toMatchObject({ version: 2, mapping: { dateFormat: 'YYYY-MM-DD', columns: { invoiceNumber: 'Nr faktury' } } });
    const stale = await t.request('PUT', `/api/v1/erp-connectors/csv/sources/${id}`, { body: { version: 1, name: 'Late' } });
    expect(stale.status).toBe(409);
    const audit = await t.get('/api/v1/audit/records', { query: { subjectId: id } });
    expect(audit.body.items.map((r: { action: string }) => r.action).sort()).toEqual(['erp-connectors.csv-source.created', 'erp-connectors.csv-source.updated']);
    const update = audit.body.items.find((r: { action: string }) => r.action === 'erp-connectors.csv-source.updated');
    expect(update.data).toMatchObject({ before: { mapping: { dateFormat: 'DD.MM.YYYY' } }, after: { mapping: { dateFormat: 'YYYY-MM-DD' } } });

    const partner = await t.signInAsPartner(partners['5260250995']!);
    expect((await t.get('/api/v1/erp-connectors/csv/sources', { as: partner })).status).toBe(403);
  });
});

describe('CSV imports', () => {
  let polish: string;

  it('a Polish Windows-1250 export (;, decimal commas, lines of one invoice apart) posts each invoice once with its lines exact in grosze', async () => {
    polish = await createSource('erp-subiekt', polishMapping);
    const done = await importFile(polish, fixture('faktury-sprzedaz-cp1250.csv'), 'faktury-sprzedaz-cp1250.csv');
    expect(done.progress).toMatchObject({ rowsTotal: 7, rowsRead: 7, rowsRejected: 0, invoicesValid: 3, invoicesRejected: 0, eventsTotal: 4, eventsSent: 4, eventsPosted: 4, eventsReplayed: 0, eventsRefused: 0, problems: 0, percent: 100 });
    const posted = await events('erp-subiekt');
    expect(posted.map((e) => [e.type, e.external_id, e.status, e.partner_id])).toEqual([
      ['invoice.issued', 'inv:FV/2026/03/001', 'processed', partners['5260250995']],
      ['invoice.issued', 'inv:FV/2026/03/002', 'processed', partners['5250007738']],
      ['invoice.issued', 'inv:FV/2026/03/003', 'processed', partners['7740001454']],
      ['invoice.paid', 'paid:FV/2026/03/003', 'processed', partners['7740001454']],
    ]);
    expect(posted[0]!.payload).toMatchObject({
      occurredAt: '2026-03-02T00:00:00.000Z',
      number: 'FV/2026/03/001',
      currency: 'PLN',
      lines: [
        { sku: 'LOD-ZT-1', quantity: 2, netAmount: 325202 },
        { sku: 'ZMY-ŻK-2', quantity: 1, netAmount: 99999 },
        { sku: 'MON-3', quantity: 1, netAmount: 4065 },
      ],
    });
    expect(posted[1]!.payload.lines).toEqual([
      { sku: 'PIE-Ł-4', quantity: 3, netAmount: 360150 },
      { sku: 'LOD-ZT-1', quantity: 1, netAmount: 162601 },
    ]);
    // Two rows of one SKU (2,5 m and 10 m of cable) are one line: 12.5 m for 0,95 + 3,80 = 4,75 PLN.
    expect(posted[2]!.payload.lines).toEqual([{ sku: 'KAB-Ś-5', quantity: 12.5, netAmount: 475 }]);
    expect(posted[3]!.payload).toMatchObject({ occurredAt: '2026-03-15T00:00:00.000Z', invoiceExternalId: 'inv:FV/2026/03/003' });
    const audit = await t.get('/api/v1/audit/records', { query: { subjectId: done.id } });
    expect(audit.body.items).toEqual([expect.objectContaining({ action: 'erp-connectors.csv-import.uploaded', data: expect.objectContaining({ code: 'erp-subiekt', kind: 'invoices' }) })]);
  });

  it('the payments file pays the invoices (the last of two instalments is when 002 was paid)', async () => {
    const done = await importFile(polish, fixture('zaplaty-cp1250.csv'), 'zaplaty-cp1250.csv', 'payments');
    expect(done.progress).toMatchObject({ rowsTotal: 3, rowsRead: 3, rowsRejected: 0, invoicesValid: 2, eventsTotal: 2, eventsPosted: 2, eventsRefused: 0 });
    const paid = (await events('erp-subiekt')).filter((e) => e.type === 'invoice.paid');
    expect(paid.map((e) => [e.external_id, e.status, e.payload.occurredAt])).toEqual([
      ['paid:FV/2026/03/001', 'processed', '2026-03-20T00:00:00.000Z'],
      ['paid:FV/2026/03/002', 'processed', '2026-03-28T00:00:00.000Z'],
      ['paid:FV/2026/03/003', 'processed', '2026-03-15T00:00:00.000Z'],
    ]);
  });

  it('uploading the same files again posts nothing twice', async () => {
    const before = await eventCount();
    const again = await importFile(polish, fixture('faktury-sprzedaz-cp1250.csv'), 'faktury-sprzedaz-cp1250.csv');
    expect(again.progress).toMatchObject({ eventsTotal: 4, eventsSent: 4, eventsPosted: 0, eventsReplayed: 4, eventsRefused: 0 });
    const paidAgain = await importFile(polish, fixture('zaplaty-cp1250.csv'), 'zaplaty-cp1250.csv', 'payments');
    expect(paidAgain.progress).toMatchObject({ eventsPosted: 0, eventsReplayed: 2 });
    expect(await eventCount()).toBe(before);
  });

  it('a file with bad rows: the report names each row and column in the caller’s language, and the good invoices are posted', async () => {
    const crm = await createSource('crm-export', crmMapping);
    const done = await importFile(crm, fixture('faktury-bledy-utf8.csv'), 'faktury-bledy-utf8.csv');
    expect(done.progress).toMatchObject({ rowsTotal: 14, rowsRead: 14, rowsRejected: 8, invoicesValid: 3, invoicesRejected: 8, eventsTotal: 3, eventsPosted: 2, eventsRefused: 1 });
    const posted = await events('crm-export');
    expect(posted.map((e) => [e.external_id, e.status])).toEqual([
      ['inv:INV-100', 'processed'],
      ['inv:INV-105', 'refused'],
      ['inv:INV-111', 'processed'],
    ]);
    expect(posted[2]).toMatchObject({ partner_id: partners['ACME-01'], payload: { lines: [{ sku: 'SKU-A', quantity: 1, netAmount: 100000 }] } });

    const report = await t.get(`/api/v1/erp-connectors/csv/imports/${done.id}/report`, { as: await t.signInAs(['admin'], { locale: 'pl' }) });
    expect(report.status).toBe(200);
    const rows = report.body.items.filter((p: { code: string }) => !['invoiceLeftOut', 'invoiceRefused'].includes(p.code));
    expect(rows.map((p: { row: number; column: string; code: string }) => [p.row, p.column, p.code])).toEqual([
      [5, 'net', 'precision'],
      [6, 'issue_date', 'date'],
      [7, 'vat_number', 'nip'],
      [8, 'sku', 'required'],
      [11, 'vat_number', 'differs'],
      [12, 'net', 'negative'],
      [13, 'qty', 'quantity'],
      [14, 'partner_id', 'partnerMissing'],
    ]);
    expect(rows[0].message).toBe('Wiersz 5, kolumna net: 12.345 ma więcej miejsc po przecinku, niż ma PLN (2); kwoty nigdy nie są zaokrąglane.');
    expect(rows[1].message).toBe('Wiersz 6, kolumna issue_date: 2026-02-30 nie jest datą w formacie YYYY-MM-DD.');
    expect(rows[4].message).toBe('Wiersz 11, kolumna vat_number: różni się od wiersza 10 tej samej faktury (7740001454).');
    const leftOut = report.body.items.filter((p: { code: string }) => p.code === 'invoiceLeftOut').map((p: { invoiceNumber: string }) => p.invoiceNumber);
    expect(leftOut.sort()).toEqual(['INV-101', 'INV-102', 'INV-103', 'INV-104', 'INV-106', 'INV-108', 'INV-109', 'INV-110']);
    expect(report.body.items.find((p: { code: string }) => p.code === 'invoiceRefused')).toMatchObject({ row: 9, invoiceNumber: 'INV-105', message: expect.stringContaining('skrzynka naliczania odrzuciła fakturę INV-105 (EARNING_') });
    const ru = await t.get(`/api/v1/erp-connectors/csv/imports/${done.id}/report`, { as: await t.signInAs(['support'], { locale: 'ru' }), query: { limit: 1 } });
    expect(ru.body).toMatchObject({ total: report.body.total, nextAfter: 1, items: [{ row: 5, message: 'Строка 5, столбец net: у 12.345 больше знаков после запятой, чем у PLN (2); суммы никогда не округляются.' }] });
  });

  it('a file where nothing is valid posts nothing; a file without a mapped column or in the wrong encoding is refused at upload', async () => {
    const crm = (await t.get('/api/v1/erp-connectors/csv/sources')).body.items.find((s: { code: string }) => s.code === 'crm-export').id;
    const before = await eventCount();
    const done = await importFile(crm, fixture('nic-poprawnego-utf8.csv'), 'nic-poprawnego-utf8.csv');
    expect(done.progress).toMatchObject({ rowsRead: 3, rowsRejected: 3, invoicesValid: 0, invoicesRejected: 3, eventsTotal: 0, eventsSent: 0 });
    expect(await eventCount()).toBe(before);

    const noColumn = await upload(crm, Buffer.from('invoice_no,issue_date,vat_number,sku,net,currency\nA,2026-01-01,5260250995,X,1.00,PLN\n'), 'x.csv', 'invoices', await t.signInAs(['admin'], { locale: 'ru' }));
    expect(noColumn.status).toBe(422);
    expect(noColumn.body).toMatchObject({ code: 'ERP_CSV_COLUMNS_MISSING', errors: [{ field: '/body/file', message: 'В файле нет столбцов partner_id, qty, указанных в сопоставлении источника crm-export.' }] });
    const encoding = await upload(crm, fixture('faktury-sprzedaz-cp1250.csv'), 'cp1250.csv', 'invoices', await t.signInAs(['admin'], { locale: 'pl' }));
    expect(encoding.status).toBe(422);
    expect(encoding.body.errors[0]).toMatchObject({ field: '/body/file', message: expect.stringContaining('windows-1250') });
    const noPayments = await upload(crm, fixture('nic-poprawnego-utf8.csv'), 'p.csv', 'payments');
    expect(noPayments.status).toBe(422);
    expect(noPayments.body.errors[0].field).toBe('/body/kind');
    expect(await eventCount()).toBe(before);
  });

  it('an ERP’s API key sends the CSV as the body; an import left by a runner that stopped is taken over once its lease runs out', async () => {
    const key = await t.apiKey(['erp:write', 'erp:read']);
    const crm = (await t.get('/api/v1/erp-connectors/csv/sources', { as: key })).body.items.find((s: { code: string }) => s.code === 'crm-export').id;
    const csv = 'invoice_no,issue_date,partner_id,vat_number,sku,qty,net,currency\nINV-300,2026-03-12,,5250007738,SKU-A,1,"1,234.50",PLN\n';
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/erp-connectors/csv/sources/${crm}/imports?kind=invoices&fileName=crm.csv`, headers: { ...key, 'content-type': 'text/csv; charset=utf-8' }, payload: Buffer.from(csv) });
    expect(res.statusCode, res.body).toBe(202);
    const id = JSON.parse(res.body).id;
    // A runner took it and stopped (a restart): it shows as reading, its lease not run out yet — nobody takes it.
    await t.sql(`update erp_csv_import set status = 'reading', attempts = 1, lease_until = now() + interval '1 minute' where id = $1`, [id]);
    await t.runScheduled(TASK);
    expect((await t.get(`/api/v1/erp-connectors/csv/imports/${id}`, { as: key })).body).toMatchObject({ status: 'reading', attempts: 1 });
    await t.sql(`update erp_csv_import set lease_until = now() - interval '1 second' where id = $1`, [id]);
    await t.runScheduled(TASK);
    const done = (await t.get(`/api/v1/erp-connectors/csv/imports/${id}`, { as: key })).body;
    expect(done).toMatchObject({ status: 'done', attempts: 2, fileName: 'crm.csv', uploadedBy: { kind: 'api-key' }, progress: { eventsPosted: 1 } });
    expect((await events('crm-export')).find((e) => e.external_id === 'inv:INV-300')).toMatchObject({ status: 'processed', payload: { lines: [{ sku: 'SKU-A', quantity: 1, netAmount: 123450 }] } });
  });

  it('admin pages: CSV sources (list, mapping form) and CSV imports (upload, progress, report) through their routes', async () => {
    const manifest = await t.get('/api/v1/system/admin-pages', { query: { locale: 'pl' } });
    const ids = manifest.body.pages.filter((p: { pluginId: string }) => p.pluginId === 'erp-connectors').map((p: { id: string }) => p.id);
    expect(ids).toEqual(expect.arrayContaining(['csv-sources', 'csv-imports']));
    expect(manifest.body.strings['erp-connectors'].ui.csv.sources.nav).toBe('Źródła CSV');
    // The form as the panel sends it: flat fields; a problem is named at the form's field.
    const form = { programId, code: 'erp-form', name: 'Z formularza', delimiter: 'semicolon', decimalSeparator: 'comma', thousandsSeparator: 'space', encoding: 'windows-1250', dateFormat: 'DD.MM.YYYY', invoiceNumber: 'Nr faktury', issueDate: 'Data wystawienia', nip: 'NIP nabywcy', sku: 'Indeks', quantity: 'Ilość', currency: 'Waluta', paymentsInvoiceNumber: 'Nr faktury', paymentsPaymentDate: 'Data zapłaty' };
    const missing = await t.post('/api/v1/erp-connectors/csv/source-forms', form, { as: await t.signInAs(['admin'], { locale: 'pl' }) });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([{ field: '/body/netAmount', message: 'Wymagane.' }]);
    const created = await t.post('/api/v1/erp-connectors/csv/source-forms', { ...form, netAmount: 'Wartość netto' });
    expect(created.status, created.text).toBe(201);
    expect(created.body.mapping).toMatchObject({ delimiter: ';', decimalSeparator: ',', thousandsSeparator: ' ', paymentColumns: { paymentDate: 'Data zapłaty' } });
    // The upload section posts multipart with sourceId and kind; the detail view shows progress and the report.
    const boundary = 'panel';
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="sourceId"\r\n\r\n${created.body.id}\r\n--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\npayments\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="zaplaty.csv"\r\nContent-Type: text/csv\r\n\r\n`),
      fixture('zaplaty-cp1250.csv'),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const up = await t.app.inject({ method: 'POST', url: '/api/v1/erp-connectors/csv/imports', headers: { ...t.admin, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    expect(up.statusCode, up.body).toBe(202);
    await t.runScheduled(TASK);
    const detail = await t.get(`/api/v1/erp-connectors/csv/import-reports/${JSON.parse(up.body).id}`, { as: await t.signInAs(['support'], { locale: 'ru' }) });
    // Payments of invoices this source never sent: the inbox refuses them, and the report says so in Russian.
    expect(detail.body).toMatchObject({ status: 'done', kind: 'payments', progress: { eventsRefused: 2 } });
    expect(detail.body.report[0].message).toContain('входящая очередь начислений отклонила оплату счёта-фактуры FV/2026/03/001');
    const noSource = await t.app.inject({ method: 'POST', url: '/api/v1/erp-connectors/csv/imports', headers: { ...t.admin, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nx\r\n--${boundary}--\r\n`) });
    expect(noSource.statusCode).toBe(400);
    expect(JSON.parse(noSource.body).errors[0].field).toBe('/body/sourceId');
  });

  it('50,000 rows (10,000 invoices) run in the background while the status is polled, progress going up to done', async () => {
    const bulk = await createSource('erp-bulk', polishMapping);
    const nips = ['526-025-09-95', '5250007738', 'PL7740001454'];
    const lines: string[] = [];
    for (let i = 0; i < 50_000; i += 1) {
      const invoice = Math.floor(i / 5);
      const line = i % 5;
      lines.push(`FB/2026/${invoice};${String(1 + (invoice % 28)).padStart(2, '0')}.04.2026;${nips[invoice % 3]};SKU-Ż-${line};Towar ${line};${line + 1};szt.;12,34;${line + 1}${(invoice % 10) * 111},${String(invoice % 100).padStart(2, '0')};PLN;`);
    }
    // The Polish fixture's header (Windows-1250), then rows in ASCII apart from Ż, which is 0xAF in Windows-1250.
    const polishFile = fixture('faktury-sprzedaz-cp1250.csv');
    const header = polishFile.subarray(0, polishFile.indexOf('\r\n') + 2);
    const cp1250 = Buffer.concat([header, Buffer.from(lines.join('\r\n').replaceAll('Ż', '\u0000'), 'latin1').map((b) => (b === 0 ? 0xaf : b))]);
    const started = performance.now();
    const up = await upload(bulk, Buffer.from(cp1250), 'bulk.csv');
    expect(up.status).toBe(202);
    const running = t.runScheduled(TASK);
    let finished = false;
    void running.finally(() => (finished = true));
    const seen: { status: string; rowsRead: number; eventsSent: number; percent: number }[] = [];
    while (!finished) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const res = await t.get(`/api/v1/erp-connectors/csv/imports/${up.body.id}`);
      expect(res.status).toBe(200);
      seen.push({ status: res.body.status, ...res.body.progress });
    }
    await running;
    const seconds = (performance.now() - started) / 1000;
    const done = (await t.get(`/api/v1/erp-connectors/csv/imports/${up.body.id}`)).body;
    expect(done.status).toBe('done');
    expect(done.progress).toMatchObject({ rowsTotal: 50_000, rowsRead: 50_000, rowsRejected: 0, invoicesValid: 10_000, eventsTotal: 10_000, eventsSent: 10_000, eventsPosted: 10_000, percent: 100 });
    // Progress only goes up, and was seen part-way both while reading and while posting.
    for (let i = 1; i < seen.length; i += 1) {
      expect(seen[i]!.percent).toBeGreaterThanOrEqual(seen[i - 1]!.percent);
      expect(seen[i]!.rowsRead).toBeGreaterThanOrEqual(seen[i - 1]!.rowsRead);
    }
    expect(seen.some((s) => s.status === 'reading' && s.rowsRead > 0 && s.rowsRead < 50_000) || seen.some((s) => s.status === 'posting' && s.eventsSent > 0 && s.eventsSent < 10_000)).toBe(true);
    expect(seen.some((s) => s.status === 'posting' && s.eventsSent > 0 && s.eventsSent < 10_000)).toBe(true);
    const n = (await t.sql<{ n: number }>(`select count(*)::int as n from earning_event where source = 'erp-bulk' and status = 'processed'`))[0]!.n;
    expect(n).toBe(10_000);
    const sample = (await t.sql<{ payload: { lines: unknown[] } }>(`select payload from earning_event where source = 'erp-bulk' and external_id = 'inv:FB/2026/7'`))[0]!;
    expect(sample.payload.lines).toEqual([0, 1, 2, 3, 4].map((l) => ({ sku: `SKU-Ż-${l}`, quantity: l + 1, netAmount: Number(`${l + 1}777`) * 100 + 7 })));
    console.info(`csv import of 50,000 rows (10,000 invoices, ${cp1250.length} bytes): ${seconds.toFixed(1)} s, ${seen.length} polls`, JSON.stringify(seen.filter((_, i) => i % Math.max(1, Math.floor(seen.length / 8)) === 0)));
  }, 600_000);
});
