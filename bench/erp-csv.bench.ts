/**
 * CSV import (ERP connectors) as the server runs it, in one run on one embedded PostgreSQL 18: the app with its
 * background tasks on, a Polish Windows-1250 source (`;`, decimal commas), a per-PLN rule; a file of `BENCH_ROWS` rows
 * (default 50,000; 5 lines per invoice) uploaded by an admin and read by the scheduled task while its status is polled
 * every 100 ms:
 *  - first upload: every invoice posted by the earning inbox;
 *  - the same file again: every event a replay, nothing posted twice.
 * Phases are seen from the status route: queued → reading (count, read, check, group) → posting (inbox batches) → done.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordingTemporalGateway, startTestApp, type TestApp } from '@laurel/core/testing';
import { startEmbeddedPostgres } from '@laurel/cli';
import erpConnectors from '../plugins/erp-connectors/src/index.ts';
import { table } from './lib.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 50_000);
const LINES = 5;

/** The file as a Polish ERP writes it: Windows-1250 (Ż is 0xAF), `;`, decimal commas, CRLF. */
function file(): Buffer {
  const nips = ['526-025-09-95', '5250007738', 'PL7740001454'];
  const lines = ['Nr faktury;Data wystawienia;NIP nabywcy;Indeks;Ilosc;Wartosc netto;Waluta'];
  for (let i = 0; i < ROWS; i += 1) {
    const invoice = Math.floor(i / LINES);
    lines.push(`FB/2026/${invoice};${String(1 + (invoice % 28)).padStart(2, '0')}.04.2026;${nips[invoice % 3]};SKU-Ż-${i % LINES};${(i % LINES) + 1};1 ${(invoice % 10) * 111},${String(invoice % 100).padStart(2, '0')};PLN`);
  }
  return Buffer.from(Buffer.from(lines.join('\r\n').replaceAll('Ż', '\u0000'), 'latin1').map((b) => (b === 0 ? 0xaf : b)));
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'laurel-bench-erp-csv-'));
  const server = await startEmbeddedPostgres({ dataDir: dir });
  let t: TestApp | undefined;
  try {
    await server.createDatabase('erpcsv');
    t = await startTestApp({ databaseUrl: server.url('erpcsv'), temporal: recordingTemporalGateway(), plugins: [erpConnectors], startOutbox: true });
    const app = t;
    const call = async (method: 'GET' | 'POST', path: string, payload: Record<string, unknown> | undefined, expected: number) => {
      const res = await app.app.inject({ method, url: path, headers: app.adminHeaders, ...(payload ? { payload } : {}) });
      if (res.statusCode !== expected) throw new Error(`${path}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      return JSON.parse(res.body) as Record<string, unknown> & { id: string };
    };
    const program = await call('POST', '/api/v1/programs', { code: 'bench', name: { en: 'Bench', pl: 'Bench', ru: 'Bench' }, currency: 'PLN', pointValueMinorPerThousand: 10_000 }, 201);
    await call('POST', `/api/v1/programs/${program.id}/status`, { status: 'live', reason: 'bench' }, 200);
    for (const nip of ['5260250995', '5250007738', '7740001454']) await call('POST', '/api/v1/partners', { programId: program.id, legalName: `Bench ${nip}`, nip, type: 'dealer' }, 201);
    const rule = await call('POST', '/api/v1/earning/rules', { programId: program.id, code: 'per-pln', name: 'per PLN', validFrom: '2020-01-01T00:00:00.000Z', eventTypes: ['invoice.issued'], condition: true, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' } }, 201);
    await call('POST', `/api/v1/earning/rules/${rule.id}/activate`, {}, 200);
    const source = await call(
      'POST',
      '/api/v1/erp-connectors/csv/sources',
      {
        programId: program.id,
        code: 'erp-bench',
        name: 'Bench ERP',
        mapping: { delimiter: ';', decimalSeparator: ',', thousandsSeparator: ' ', encoding: 'windows-1250', dateFormat: 'DD.MM.YYYY', columns: { invoiceNumber: 'Nr faktury', issueDate: 'Data wystawienia', nip: 'NIP nabywcy', sku: 'Indeks', quantity: 'Ilosc', netAmount: 'Wartosc netto', currency: 'Waluta' } },
      },
      201,
    );
    const bytes = file();

    const importOnce = async (name: string) => {
      const boundary = 'bench-boundary';
      const payload = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.csv"\r\nContent-Type: text/csv\r\n\r\n`), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]);
      const t0 = performance.now();
      const res = await app.app.inject({ method: 'POST', url: `/api/v1/erp-connectors/csv/sources/${source.id}/imports`, headers: { ...app.adminHeaders, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
      if (res.statusCode !== 202) throw new Error(`upload: ${res.statusCode} ${res.body.slice(0, 300)}`);
      const uploadMs = performance.now() - t0;
      const id = (JSON.parse(res.body) as { id: string }).id;
      const seen: Record<string, number> = {};
      let polls = 0;
      let last: { status: string; progress: Record<string, number> } | undefined;
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        last = (await call('GET', `/api/v1/erp-connectors/csv/imports/${id}`, undefined, 200)) as unknown as { status: string; progress: Record<string, number> };
        polls += 1;
        seen[last.status] ??= performance.now() - t0;
        if (last.status === 'done' || last.status === 'failed') break;
      }
      const total = performance.now() - t0;
      const readingFrom = seen.reading ?? seen.posting ?? total;
      const postingFrom = seen.posting ?? total;
      return {
        name,
        uploadMs,
        waitMs: readingFrom,
        readMs: postingFrom - readingFrom,
        postMs: total - postingFrom,
        totalMs: total,
        polls,
        status: last!.status,
        posted: last!.progress.eventsPosted!,
        replayed: last!.progress.eventsReplayed!,
        rowsPerSecond: Math.round(ROWS / (total / 1000)),
      };
    };

    const rows = [await importOnce('first upload'), await importOnce('same file again')];
    console.log(`CSV import: ${ROWS} rows, ${ROWS / LINES} invoices, ${bytes.length} bytes (Windows-1250); phases as the status route showed them (polled every 100 ms)`);
    console.log(
      table(
        ['variant', 'upload ms', 'queued ms', 'reading ms', 'posting ms', 'total s', 'rows/s', 'posted', 'replayed', 'status'],
        rows.map((r) => [r.name, Math.round(r.uploadMs), Math.round(r.waitMs), Math.round(r.readMs), Math.round(r.postMs), (r.totalMs / 1000).toFixed(1), r.rowsPerSecond, r.posted, r.replayed, r.status]),
      ),
    );
    return { rows: ROWS, invoices: ROWS / LINES, bytes: bytes.length, first: rows[0], again: rows[1] };
  } finally {
    await t?.app.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
