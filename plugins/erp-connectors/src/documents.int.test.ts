import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLaurel, type LaurelTestApp } from '@laurel/testing';
import erpConnectors from './index.ts';
import { mutatedDocument, seedDocuments } from './fuzz.ts';
import { derived, fixture } from './test-documents.ts';

/*
 * The plugin in the real app on a real PostgreSQL: documents sent by an ERP's API key and uploaded by an admin, kept
 * with what was read from them, their events earning points through the earning inbox; rejected documents and
 * duplicates posting nothing; problems in the caller's language.
 */

let t: LaurelTestApp;
let programId: string;
let partnerId: string;
let key: { authorization: string };

const xml = (name: string, body: string, query: Record<string, string>, as: LaurelTestApp['admin'] | { authorization: string } = key, locale?: 'en' | 'pl' | 'ru') =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/erp-connectors/documents?${new URLSearchParams(query).toString()}`,
    headers: { ...as, 'content-type': 'application/xml', ...(locale ? { 'accept-language': locale } : {}) },
    payload: Buffer.from(body),
  }).then((res) => ({ status: res.statusCode, body: JSON.parse(res.body), name }));

const eventCount = async () => (await t.sql<{ n: number }>(`select count(*)::int as n from earning_event`))[0]!.n;

beforeAll(async () => {
  t = await startLaurel({ plugins: [erpConnectors] });
  programId = (await t.createProgram({ currency: 'PLN' })).id;
  partnerId = (await t.createPartner(programId, { nip: '1111111111' })).id;
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
  key = await t.apiKey(['erp:write', 'erp:read']);
}, 180_000);

afterAll(async () => {
  await t?.close();
});

describe('POST /api/v1/erp-connectors/documents', () => {
  it('an ERP sends FA_3_Przyklad_1: kept with what was read, its invoice earns and is paid; sent again it is a replay', async () => {
    const first = await xml('p1', fixture('ksef/FA_3_Przyklad_1.xml'), { source: 'erp-test', programId });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'posted', format: 'ksef-fa3', kind: 'invoice', number: 'FV2026/02/150', documentKey: 'inv:PL9999999999:PL1111111111:FV2026/02/150', partnerId, replayed: false });
    expect(first.body.outcomes).toHaveLength(2);
    const [issued, paid] = first.body.outcomes;
    // 1,626.01 + 40.65 + 0.95 PLN at 1 point per whole PLN of each line: 1,626 + 40 + 0.
    expect(issued).toMatchObject({ ok: true, event: { type: 'invoice.issued', status: 'processed', partnerId, points: 1666 } });
    expect(paid).toMatchObject({ ok: true, event: { type: 'invoice.paid', status: 'processed', points: 1666 } });

    const again = await xml('p1 again', fixture('ksef/FA_3_Przyklad_1.xml'), { source: 'erp-test', programId });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: first.body.id, replayed: true, status: 'posted' });

    const detail = await t.get(`/api/v1/erp-connectors/documents/${first.body.id}`, { as: key });
    expect(detail.status).toBe(200);
    expect(detail.body.reading).toMatchObject({ seller: { nip: '9999999999' }, buyer: { nip: '1111111111' }, paid: { date: '2026-01-27' } });
    const raw = await t.app.inject({ method: 'GET', url: `/api/v1/erp-connectors/documents/${first.body.id}/raw`, headers: key });
    expect(raw.body).toBe(fixture('ksef/FA_3_Przyklad_1.xml'));
  });

  it('the same seller, buyer and number again (FA_3_Przyklad_21) is a duplicate in this source, kept and posting nothing; in another source it is not', async () => {
    const before = await eventCount();
    const dup = await xml('p21', fixture('ksef/FA_3_Przyklad_21.xml'), { source: 'erp-test', programId }, key, 'pl');
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('ERP_DOCUMENT_DUPLICATE');
    expect(dup.body.detail).toContain('otrzymano już z erp-test');
    expect(await eventCount()).toBe(before);
    const kept = await t.get('/api/v1/erp-connectors/documents', { as: key, query: { status: 'duplicate' } });
    expect(kept.body.items).toHaveLength(1);
    expect(kept.body.items[0]).toMatchObject({ number: 'FV2026/02/150', duplicateOf: expect.any(String) });

    // Another source: a document of its own. It is in EUR and the program counts in PLN with no rates: the inbox
    // refuses its event, and the document says so.
    const other = await xml('p21 other', fixture('ksef/FA_3_Przyklad_21.xml'), { source: 'erp-other', programId });
    expect(other.status).toBe(201);
    expect(other.body.status).toBe('refused');
    expect(other.body.outcomes[0]).toMatchObject({ ok: false, problem: { status: expect.any(Number), code: expect.stringMatching(/^EARNING_/) } });
  });

  it('the KOR FA_3_Przyklad_2 takes back the points of the 162.60 PLN it lowers the fridge by', async () => {
    const res = await xml('p2', fixture('ksef/FA_3_Przyklad_2.xml'), { source: 'erp-test', programId });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('posted');
    expect(res.body.events[0]).toMatchObject({ type: 'invoice.corrected', kind: 'credit-note', lines: [{ sku: 'lodówka Zimnotech mk1', netAmount: 16260 }] });
    // 1,463.41 PLN after the correction earns 1,463 on that line: 163 points fewer.
    expect(res.body.outcomes[0]).toMatchObject({ ok: true, event: { status: 'processed', points: -163 } });
  });

  it('a KOR raising the fridge to 1,700.00 earns the difference; a KOR changing no amount posts nothing', async () => {
    const raised = await xml('raise', derived.raisingCorrection(), { source: 'erp-test', programId });
    expect(raised.status).toBe(201);
    expect(raised.body.outcomes[0]).toMatchObject({ ok: true, event: { status: 'processed', points: 1700 - 1463 } });
    const before = await eventCount();
    const neutral = await xml('neutral', derived.neutralCorrection(), { source: 'erp-test', programId });
    expect(neutral.status).toBe(201);
    expect(neutral.body).toMatchObject({ status: 'posted', events: [], outcomes: [], notes: ['The correction changes no amount: nothing is reversed'] });
    expect(await eventCount()).toBe(before);
  });

  it('an advance (ZAL) and its settlement (ROZ) earn on the order once: 1,000 + 3,000 points for a 4,000.00 PLN order; a KOR_ZAL takes back its 200', async () => {
    const advance = await xml('zal', derived.advance(), { source: 'erp-test', programId });
    expect(advance.status).toBe(201);
    expect(advance.body.outcomes[0]).toMatchObject({ ok: true, event: { status: 'processed', points: 1000 } });
    const settlement = await xml('roz', derived.settlement(), { source: 'erp-test', programId });
    expect(settlement.status).toBe(201);
    expect(settlement.body.outcomes.map((o: { event: { type: string; points: number } }) => [o.event.type, o.event.points])).toEqual([
      ['invoice.issued', 3000],
      ['invoice.paid', 3000],
    ]);
    const correction = await xml('kor_zal', derived.advanceCorrection(), { source: 'erp-test', programId });
    expect(correction.status).toBe(201);
    expect(correction.body.outcomes[0]).toMatchObject({ ok: true, event: { status: 'processed', points: -200 } });
  });

  it('a paid invoice for a buyer no partner matches waits in the unmatched queue; once an admin maps it, its payment follows', async () => {
    // FA_3_Przyklad_1 sold to NIP 5260250995 (valid; in pl_identifiers.csv), who is not a partner yet, under a number
    // of its own (the inbox holds back a number already credited to another partner).
    const doc = fixture('ksef/FA_3_Przyklad_1.xml').replace('<NIP>1111111111</NIP>', '<NIP>5260250995</NIP>').replace('FV2026/02/150', 'FV2026/02/777');
    const sent = await xml('unmatched', doc, { source: 'erp-test', programId });
    expect(sent.status).toBe(201);
    expect(sent.body.status).toBe('refused');
    const [issued, paid] = sent.body.outcomes;
    expect(issued).toMatchObject({ ok: true, event: { status: 'unmatched', partnerId: null } });
    expect(paid).toMatchObject({ ok: false, problem: { code: 'EARNING_INVOICE_NOT_PROCESSED' } });

    const partner = await t.createPartner(programId, { nip: '5260250995' });
    const mapped = await t.post(`/api/v1/earning/events/${issued.event.id}/resolve`, { action: 'map', partnerId: partner.id });
    expect(mapped.body).toMatchObject({ status: 'processed', points: 1666 });
    await t.drain();
    const after = await t.get(`/api/v1/erp-connectors/documents/${sent.body.id}`, { as: key });
    expect(after.body.status).toBe('posted');
    expect(after.body.outcomes.map((o: { ok: boolean; event?: { type: string; status: string; points: number } }) => [o.ok, o.event?.type, o.event?.status, o.event?.points])).toEqual([
      [true, 'invoice.issued', 'processed', 1666],
      [true, 'invoice.paid', 'processed', 1666],
    ]);
  });

  it('a correction sent before its invoice is refused, and posted once the invoice arrives', async () => {
    // Przyklad_2 and Przyklad_1 as issued by another seller (NIP 5250007738), the correction first.
    const seller = (x: string) => x.replace('<NIP>9999999999</NIP>', '<NIP>5250007738</NIP>');
    const early = await xml('kor first', seller(fixture('ksef/FA_3_Przyklad_2.xml')), { source: 'erp-test', programId });
    expect(early.status).toBe(201);
    expect(early.body).toMatchObject({ status: 'refused', outcomes: [{ ok: false, problem: { code: 'EARNING_INVOICE_UNKNOWN' } }] });
    const invoice = await xml('invoice later', seller(fixture('ksef/FA_3_Przyklad_1.xml')), { source: 'erp-test', programId });
    expect(invoice.body.status).toBe('posted');
    await t.drain();
    const after = await t.get(`/api/v1/erp-connectors/documents/${early.body.id}`, { as: key });
    expect(after.body).toMatchObject({ status: 'posted', outcomes: [{ ok: true, event: { type: 'invoice.corrected', status: 'processed', points: -163 } }] });
  });

  it('a document that is not well-formed or not valid against its schema is refused with the reason and line, in the caller’s language, and posts nothing', async () => {
    const before = await eventCount();
    const broken = await xml('broken', fixture('ksef/FA_3_Przyklad_1.xml').replace('</P_2>', '</P_3>'), { source: 'erp-test', programId }, key, 'ru');
    expect(broken.status).toBe(422);
    expect(broken.body).toMatchObject({ code: 'ERP_XML_MALFORMED', status: 422 });
    expect(broken.body.detail).toMatch(/^Документ .* отклонён: это не правильно построенный XML \(строка 47\): /);
    expect(broken.body.errors[0].field).toBe('/body/document');
    const invalid = await xml('invalid', fixture('ksef/FA_3_Przyklad_1.xml').replace('<P_2>FV2026/02/150</P_2>', '<P_2x>FV</P_2x>'), { source: 'erp-test', programId }, key, 'pl');
    expect(invalid.status).toBe(422);
    expect(invalid.body.code).toBe('ERP_SCHEMA_INVALID');
    expect(invalid.body.detail).toContain('(wiersz 47)');
    expect(await eventCount()).toBe(before);
    const rejected = await t.get('/api/v1/erp-connectors/documents', { as: key, query: { status: 'rejected' } });
    expect(rejected.body.items.map((d: { rejection: { code: string; line: number } }) => [d.rejection.code, d.rejection.line])).toEqual([
      ['ERP_SCHEMA_INVALID', 47],
      ['ERP_XML_MALFORMED', 47],
    ]);
  });

  it('an admin uploads a document (multipart); a bad source is a 400 naming the field; a partner user may not send', async () => {
    const boundary = 'laurel-boundary-1';
    const file = fixture('ksef/ksef-fop__fa3_podstawowa_FA_3_Przyklad_5_Indeks.xml');
    const payload = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="source"\r\n\r\nerp-upload\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="programId"\r\n\r\n${programId}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="document"; filename="faktura.xml"\r\nContent-Type: application/xml\r\n\r\n${file}\r\n--${boundary}--\r\n`,
    );
    const upload = await t.app.inject({ method: 'POST', url: '/api/v1/erp-connectors/documents', headers: { ...t.admin, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    expect(upload.statusCode).toBe(201);
    const uploaded = JSON.parse(upload.body);
    expect(uploaded).toMatchObject({ status: 'posted', source: 'erp-upload', fileName: 'faktura.xml', receivedBy: { kind: 'user' }, events: [{ lines: [{ sku: '55', quantity: 2, netAmount: 77700 }] }] });
    const audit = await t.get('/api/v1/audit/records', { query: { subjectId: uploaded.id } });
    expect(audit.body.items.map((r: { action: string }) => r.action)).toEqual(['erp-connectors.document.received']);

    const badSource = await xml('bad source', file, { source: 'no spaces allowed' }, key, 'pl');
    expect(badSource.status).toBe(400);
    expect(badSource.body.errors).toEqual([{ field: '/querystring/source', message: expect.stringContaining('nie jest nazwą źródła') }]);

    const partner = await t.signInAsPartner(partnerId);
    const denied = await xml('partner', file, { source: 'erp-test' }, partner);
    expect(denied.status).toBe(403);
  });

  it('300 mutated real documents through the route: never a 5xx, and a refused document posts nothing', async () => {
    const seeds = seedDocuments();
    const samples = fc.sample(mutatedDocument(seeds), { numRuns: 300, seed: Number(process.env.FUZZ_SEED ?? 4242) });
    const statuses = new Map<number, number>();
    for (const [i, doc] of samples.entries()) {
      const before = await eventCount();
      const res = await xml(`fuzz ${i}`, doc, { source: 'fuzz', programId });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect([i, res.status < 500]).toEqual([i, true]);
      if (res.status === 422 || res.status === 409) expect([i, await eventCount()]).toEqual([i, before]);
    }
    expect(statuses.get(422)).toBeGreaterThan(100);
    console.info('route fuzz statuses', Object.fromEntries(statuses));
  }, 300_000);
});
