import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';

type Json = Record<string, unknown>;

/*
 * SKU mapping on the real PostgreSQL: the admin's table (API, CSV import, audit), the inbox mapping seller codes and
 * GTINs of invoice lines so that rules on program SKUs and categories fire, unmapped codes listed and mapped in one
 * step, corrections following the mapping their invoice was posted with, and a batch resolved in one query.
 */

// Every statement the app sends to PostgreSQL, to count those that read the mapping table.
const sent: string[] = [];
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: object, ...args: unknown[]) {
  const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string } | undefined)?.text ?? '');
  sent.push(text);
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

describe('SKU mapping: seller codes and GTINs → program SKUs and categories', () => {
  let t: TestApp;
  let programId: string;
  let partnerId: string;
  let key: { authorization: string };
  let n = 0;
  const inject = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
  const send = (event: Json) => inject('POST', '/api/v1/earning/events', event, key);
  const invoice = (lines: Json[], over: Json = {}): Json => {
    n += 1;
    return { type: 'invoice.issued', source: 'erp-acme', externalId: `INV-${n}`, occurredAt: '2026-02-15T00:00:00.000Z', programId, partner: { nip: '5260250995' }, number: `FV/${n}`, seller: 'PL9999999999', currency: 'PLN', lines, ...over };
  };
  const mapping = (body: Json) => inject('POST', '/api/v1/earning/sku-mappings', { programId, ...body });
  const unmapped = async (q?: string) => (await inject('GET', `/api/v1/earning/sku-unmapped?programId=${programId}${q ? `&q=${encodeURIComponent(q)}` : ''}`)).json() as { items: Json[]; total: number };
  const audits = async (action: string) => (await t.orm.em.fork().getConnection().execute<{ n: number }[]>(`select count(*)::int as n from audit_record where action = ?`, [action]))[0]!.n;

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env: { LOG_LEVEL: process.env.SKU_LOG ?? 'silent' } });
    const program = await inject('POST', '/api/v1/programs', { code: 'sku', name: { en: 'S', pl: 'S', ru: 'S' }, currency: 'PLN', pointValueMinorPerThousand: 1000 });
    programId = program.json().id;
    await inject('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'test' });
    const partner = await inject('POST', '/api/v1/partners', { programId, legalName: 'Orange Polska', type: 'dealer', nip: '5260250995' });
    expect(partner.statusCode, partner.body).toBe(201);
    partnerId = partner.json().id;
    // Fridges earn 1 point per PLN; the program SKU ZT-MK1 earns 5 points more per unit. Nothing else earns.
    for (const rule of [
      { code: 'fridges', name: 'Fridges', condition: { '==': [{ var: 'line.category' }, 'fridges'] }, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' } },
      { code: 'zt-mk1', name: 'Zimnotech mk1', condition: { in: [{ var: 'line.sku' }, ['ZT-MK1']] }, effect: { type: 'per-quantity', pointsPerUnit: 5, target: 'pending' } },
    ]) {
      const created = await inject('POST', '/api/v1/earning/rules', { programId, priority: 0, eventTypes: ['invoice.issued'], validFrom: '2020-01-01T00:00:00Z', ...rule });
      expect(created.statusCode, created.body).toBe(201);
      expect((await inject('POST', `/api/v1/earning/rules/${created.json().id}/activate`, {})).statusCode).toBe(200);
    }
    key = await t.apiKeyHeaders(['events:write']);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('an unmapped seller code keeps its code, earns nothing on the program rules and is listed; mapped in one click, the next invoice earns', async () => {
    const first = await send(invoice([{ sku: 'LOD-77', sellerCode: 'LOD-77', quantity: 2, netAmount: 300_000 }]));
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ status: 'processed', partnerId, points: 0 });
    const event = (await inject('GET', `/api/v1/earning/events/${first.json().id}`)).json();
    expect(event.result.invoice.lines).toEqual([{ sku: 'LOD-77', sellerCode: 'LOD-77', quantity: 2, netAmount: 300_000 }]);

    // Seen again: counted on the same row.
    expect((await send(invoice([{ sku: 'LOD-77', sellerCode: 'LOD-77', quantity: 1, netAmount: 100_000 }]))).json().points).toBe(0);
    const list = await unmapped('LOD');
    expect(list.total).toBe(1);
    expect(list.items[0]).toMatchObject({ source: 'erp-acme', seller: 'PL9999999999', sellerCode: 'LOD-77', gtin: null, count: 2, sampleInvoice: `FV/${n}`, status: 'open' });

    const mapped = await inject('POST', `/api/v1/earning/sku-unmapped/${list.items[0]!.id}/map`, { programSku: 'ZT-MK1', category: 'fridges' });
    expect(mapped.statusCode, mapped.body).toBe(201);
    expect(mapped.json()).toMatchObject({ kind: 'seller-code', code: 'LOD-77', source: 'erp-acme', seller: null, programSku: 'ZT-MK1', category: 'fridges', status: 'active' });
    expect((await unmapped()).total).toBe(0);
    expect(await audits('earning.sku-mapping.created')).toBeGreaterThanOrEqual(1);

    // 3,000.00 PLN of fridges at 1 point per PLN, and 2 × 5 points for ZT-MK1.
    const next = await send(invoice([{ sku: 'LOD-77', sellerCode: 'LOD-77', quantity: 2, netAmount: 300_000 }]));
    expect(next.json()).toMatchObject({ status: 'processed', points: 3_010 });
    const view = (await inject('GET', `/api/v1/earning/events/${next.json().id}`)).json();
    expect(view.payload.lines[0]).toEqual({ sku: 'LOD-77', sellerCode: 'LOD-77', quantity: 2, netAmount: 300_000 }); // kept as it came
    expect(view.result.invoice.lines[0]).toMatchObject({ sku: 'ZT-MK1', category: 'fridges', sellerCode: 'LOD-77' });
    // The first invoice is not evaluated again.
    expect((await inject('GET', `/api/v1/earning/events/${first.json().id}`)).json().result.points).toBe(0);

    // A credit note naming the seller code takes back from the mapped line (ZT-MK1): 1,000.00 PLN → 1,000 points.
    const credit = await send({ type: 'invoice.corrected', source: 'erp-acme', externalId: `CN-${n}`, occurredAt: '2026-02-20T00:00:00.000Z', originalExternalId: `INV-${n}`, number: `KOR/${n}`, kind: 'credit-note', lines: [{ sku: 'LOD-77', sellerCode: 'LOD-77', netAmount: 100_000 }] });
    expect(credit.statusCode, credit.body).toBe(201);
    expect(credit.json().points).toBe(-1_000);
  });

  it('GTINs map for any source; a seller code wins over a GTIN; a source-scoped mapping over one for any source; validity counts', async () => {
    expect((await mapping({ gtin: '5901234123457', programSku: 'ZT-MK1', category: 'fridges' })).statusCode).toBe(201);
    expect((await mapping({ sellerCode: 'X-1', programSku: 'OTHER', category: 'cables' })).statusCode).toBe(201);
    expect((await mapping({ sellerCode: 'X-1', source: 'erp-acme', programSku: 'ZT-MK1', category: 'fridges', validFrom: '2026-01-01T00:00:00Z', validTo: '2026-03-01T00:00:00Z' })).statusCode).toBe(201);
    const s = await inject('POST', '/api/v1/earning/simulate', invoice([
      { sku: 'A', gtin: '5901234123457', quantity: 1, netAmount: 10_000 }, // GTIN → ZT-MK1
      { sku: 'B', sellerCode: 'X-1', gtin: '5901234123457', quantity: 1, netAmount: 10_000 }, // seller code (source-scoped) → ZT-MK1
      { sku: 'C', sellerCode: 'X-1', quantity: 1, netAmount: 10_000 },
    ], { externalId: 'SIM-1' }));
    expect(s.statusCode, s.body).toBe(200);
    expect(s.json().lines.map((l: Json) => [l.sku, l.category])).toEqual([['ZT-MK1', 'fridges'], ['ZT-MK1', 'fridges'], ['ZT-MK1', 'fridges']]);
    // After the source-scoped mapping ends, the one for any source decides.
    const later = await inject('POST', '/api/v1/earning/simulate', invoice([{ sku: 'C', sellerCode: 'X-1', quantity: 1, netAmount: 10_000 }], { occurredAt: '2026-04-01T00:00:00Z' }));
    expect(later.json().lines.map((l: Json) => [l.sku, l.category])).toEqual([['OTHER', 'cables']]);
    // Another source: the mapping for any source.
    const other = await inject('POST', '/api/v1/earning/simulate', invoice([{ sku: 'C', sellerCode: 'X-1', quantity: 1, netAmount: 10_000 }], { source: 'erp-other' }));
    expect(other.json().lines[0]).toMatchObject({ sku: 'OTHER', category: 'cables' });
    // A simulation records nothing.
    expect((await unmapped()).total).toBe(0);
  });

  it('a batch of 200 invoices with 1,000 coded lines resolves every code with ONE query, and records the unmapped ones with one more', async () => {
    await mapping({ sellerCode: 'BATCH-0', programSku: 'ZT-MK1', category: 'fridges' });
    const events = Array.from({ length: 200 }, (_, i) => invoice(Array.from({ length: 5 }, (_, j) => ({ sku: `BATCH-${j}`, sellerCode: `BATCH-${j}`, quantity: 1, netAmount: 1_000 + i })), { externalId: `B-${i}` }));
    sent.length = 0;
    const res = await inject('POST', '/api/v1/earning/events/batch', { events }, key);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().accepted).toBe(200);
    const reads = sent.filter((q) => /\bearning_sku_map\b/.test(q));
    const writes = sent.filter((q) => /\bearning_sku_unmapped\b/.test(q));
    expect(reads).toHaveLength(1);
    expect(writes).toHaveLength(1);
    // Each invoice: BATCH-0 mapped to the fridge (10.00 + i/100 PLN → 10 points, + 5 for ZT-MK1); 4 codes unmapped.
    expect(res.json().items[0].event.points).toBe(15);
    const list = await unmapped('BATCH-');
    expect(list.total).toBe(4);
    expect(list.items.every((i) => i.count === 200)).toBe(true);
  });

  it('figures: 10,000 mappings imported as one list; a batch of 200 invoices × 5 lines with codes beside the same without', async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => `BULK-${i},,SKU-${i % 50},cat-${i % 7}`);
    const started = performance.now();
    const imported = await inject('POST', '/api/v1/earning/sku-mappings/import', { programId, csv: `seller_code,gtin,program_sku,category\n${rows.join('\n')}\n` });
    const importMs = performance.now() - started;
    expect(imported.json()).toMatchObject({ rows: 10_000, created: 10_000 });
    const batch = (prefix: string, coded: boolean) =>
      Array.from({ length: 200 }, (_, i) => invoice(Array.from({ length: 5 }, (_, j) => ({ sku: `BULK-${(i * 5 + j) % 10_000}`, ...(coded ? { sellerCode: `BULK-${(i * 5 + j) % 10_000}` } : {}), quantity: 1, netAmount: 1_000 })), { externalId: `${prefix}-${i}` }));
    const timed = async (prefix: string, coded: boolean) => {
      const t0 = performance.now();
      const res = await inject('POST', '/api/v1/earning/events/batch', { events: batch(prefix, coded) }, key);
      expect(res.json().accepted).toBe(200);
      return performance.now() - t0;
    };
    await timed('WARM', false);
    const plainMs = [await timed('P1', false), await timed('P2', false), await timed('P3', false)];
    sent.length = 0;
    const codedMs = [await timed('C1', true), await timed('C2', true), await timed('C3', true)];
    const lookups = sent.filter((q) => /\bearning_sku_map\b/.test(q));
    const explain = await t.orm.em.fork().getConnection().execute<{ 'QUERY PLAN': string }[]>(
      `explain analyze select count(*) from jsonb_to_recordset(?::jsonb) as x(i int, program_id uuid, kind text, code text) join earning_sku_map m on m.program_id = x.program_id and m.kind = x.kind and m.code = x.code and m.status = 'active'`,
      [JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ i, program_id: programId, kind: 'seller-code', code: `BULK-${i}` })))],
    );
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[1]!.toFixed(0);
    console.log(`[sku-mapping figures] import of 10,000 rows: ${importMs.toFixed(0)} ms; batch of 200 invoices x 5 lines: without codes ${median(plainMs)} ms, with seller codes ${median(codedMs)} ms (median of 3); mapping lookups for 3 batches: ${lookups.length}; lookup of 1,000 codes in 10,000+ mappings: ${explain.at(-1)?.['QUERY PLAN']}`);
    expect(lookups).toHaveLength(3);
  }, 120_000);

  it('bad input is problem+json naming the field, in the caller\'s language; overlaps are refused; edits and retirements are audited', async () => {
    const both = await mapping({ sellerCode: 'Q', gtin: '5901234123457', programSku: 'P' });
    expect(both.statusCode).toBe(422);
    expect(both.headers['content-type']).toContain('application/problem+json');
    expect(both.json()).toMatchObject({ code: 'EARNING_SKU_CODE_ONE', errors: [expect.objectContaining({ field: '/body/gtin' })] });
    const gtin = await inject('POST', '/api/v1/earning/sku-mappings', { programId, gtin: '123456789', programSku: 'P' }, await t.signInAs(['admin'], { locale: 'pl' }));
    expect(gtin.json()).toMatchObject({ code: 'EARNING_SKU_GTIN_INVALID', errors: [{ field: '/body/gtin', message: expect.stringContaining('nie jest numerem GTIN') }] });
    const type = await mapping({ sellerCode: 'Q', programSku: 42 });
    expect(type.statusCode).toBe(400);
    expect(JSON.stringify(type.json().errors)).toContain('programSku');
    const created = await mapping({ sellerCode: 'Q', programSku: 'P1', validFrom: '2026-01-01T00:00:00Z' });
    expect(created.statusCode).toBe(201);
    const overlap = await mapping({ sellerCode: 'Q', programSku: 'P2', validFrom: '2026-06-01T00:00:00Z' });
    expect(overlap.statusCode).toBe(409);
    expect(overlap.json()).toMatchObject({ code: 'EARNING_SKU_MAPPING_OVERLAP', errors: [{ field: '/body/validFrom' }] });
    const edited = await inject('PATCH', `/api/v1/earning/sku-mappings/${created.json().id}`, { category: 'tools', validTo: '2026-06-01T00:00:00Z' });
    expect(edited.json()).toMatchObject({ programSku: 'P1', category: 'tools', validTo: '2026-06-01T00:00:00.000Z' });
    expect((await mapping({ sellerCode: 'Q', programSku: 'P2', validFrom: '2026-06-01T00:00:00Z' })).statusCode).toBe(201);
    const retired = await inject('POST', `/api/v1/earning/sku-mappings/${created.json().id}/retire`, { reason: 'replaced' });
    expect(retired.json().status).toBe('retired');
    expect(await audits('earning.sku-mapping.updated')).toBe(1);
    expect(await audits('earning.sku-mapping.retired')).toBe(1);
    const search = (await inject('GET', `/api/v1/earning/sku-mappings?programId=${programId}&q=P2&limit=1`)).json();
    expect(search).toMatchObject({ total: 1, items: [{ code: 'Q', programSku: 'P2' }] });
  });

  it('a mapping list imports all or nothing with a problem per bad cell, and imports again without changes', async () => {
    const importsBefore = await audits('earning.sku-mapping.imported');
    const bad = await inject('POST', '/api/v1/earning/sku-mappings/import', { programId, csv: 'seller_code;gtin;program_sku;category;valid_from\nCSV-1;;ZT-MK1;fridges;\n;123456789;ZT-MK1;;\nCSV-3;;;;2026-13-01\n' }, await t.signInAs(['admin'], { locale: 'ru' }));
    expect(bad.statusCode).toBe(422);
    expect(bad.json().code).toBe('EARNING_SKU_IMPORT_INVALID');
    expect(bad.json().errors.map((e: Json) => e.field)).toEqual(['/csv/3/gtin', '/csv/4/program_sku', '/csv/4/valid_from']);
    expect(bad.json().errors[0].message).toContain('не GTIN');
    expect((await inject('GET', `/api/v1/earning/sku-mappings?programId=${programId}&q=CSV-`)).json().total).toBe(0);

    const csv = 'seller_code,gtin,program_sku,category,source\nCSV-1,,ZT-MK1,fridges,erp-acme\n,4006381333931,ZT-MK2,fridges,\n"CSV,3",,CAB-1,cables,\n';
    const first = await inject('POST', '/api/v1/earning/sku-mappings/import', { programId, csv });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ rows: 3, created: 3, updated: 0, unchanged: 0, dryRun: false });
    const again = await inject('POST', '/api/v1/earning/sku-mappings/import', { programId, csv: csv.replace('CAB-1,cables', 'CAB-2,cables') });
    expect(again.json()).toEqual({ rows: 3, created: 0, updated: 1, unchanged: 2, dryRun: false });
    expect(await audits('earning.sku-mapping.imported')).toBe(importsBefore + 2);
    const res = await send(invoice([{ sku: 'CSV,3', sellerCode: 'CSV,3', quantity: 1, netAmount: 1_000 }, { sku: 'x', gtin: '04006381333931', quantity: 1, netAmount: 50_000 }]));
    const lines = (await inject('GET', `/api/v1/earning/events/${res.json().id}`)).json().result.invoice.lines;
    expect(lines.map((l: Json) => l.sku)).toEqual(['CAB-2', 'ZT-MK2']);
  });
});
