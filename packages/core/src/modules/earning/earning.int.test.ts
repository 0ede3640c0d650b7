import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';

type Json = Record<string, unknown>;
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('earning: events in, explained points out', () => {
  let t: TestApp;
  let programId: string;
  let key: { authorization: string };
  const partners: Record<string, { id: string; partnerCode: string }> = {};
  let n = 0;

  const inject = (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
  const send = (event: Json, headers: Record<string, string> = key) => inject('POST', '/api/v1/earning/events', event, headers);
  const balances = async (partnerId: string) => (await inject('GET', `/api/v1/ledger/partners/${partnerId}/balances`)).json() as { pending: number; available: number };
  const invoice = (over: Json = {}): Json => {
    n += 1;
    return {
      type: 'invoice.issued',
      source: 'erp-test',
      externalId: `INV-${n}`,
      occurredAt: '2025-07-01T10:00:00Z',
      programId,
      partner: { nip: '526-025-09-95' },
      number: `FV/2025/07/${n}`,
      currency: 'PLN',
      lines: [
        { sku: 'SKU-A', quantity: 2, netAmount: 10_000 },
        { sku: 'SKU-STRAT', quantity: 1, netAmount: 5_000, category: 'cables' },
      ],
      ...over,
    };
  };
  const rule = async (body: Json) => {
    const created = await inject('POST', '/api/v1/earning/rules', { programId, priority: 0, eventTypes: ['invoice.issued'], ...body });
    expect(created.statusCode, created.body).toBe(201);
    const active = await inject('POST', `/api/v1/earning/rules/${created.json().id}/activate`, {});
    expect(active.statusCode, active.body).toBe(200);
    return active.json() as Json & { id: string };
  };

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase() });
    const program = await inject('POST', '/api/v1/programs', { code: 'earn', name: { en: 'E', pl: 'E', ru: 'E' }, currency: 'PLN', pointValueMinorPerThousand: 1000 });
    programId = program.json().id;
    await inject('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'test' });
    const mk = async (name: string, body: Json) => {
      const res = await inject('POST', '/api/v1/partners', { programId, legalName: name, type: 'dealer', ...body });
      expect(res.statusCode, res.body).toBe(201);
      partners[name] = { id: res.json().id, partnerCode: res.json().partnerCode };
    };
    await mk('orange', { nip: '5260250995', regon: '012100784' });
    await mk('muster', { country: 'DE', euVat: 'DE300000009' });
    await mk('pko', { nip: '5250007738' });
    await mk('suspended', { nip: '7740001454' });
    await inject('POST', `/api/v1/partners/${partners.suspended!.id}/status`, { status: 'suspended', reason: 'unpaid' });
    key = await t.apiKeyHeaders(['events:write']);
    // One point per PLN on every line, from 2024; two more per PLN on the strategic SKU from June 2025; half a point
    // per PLN on cables straight to available.
    await rule({ code: 'base', name: 'Base', validFrom: '2024-01-01T00:00:00Z', condition: true, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending', rounding: 'floor' } });
    await rule({ code: 'strategic', name: 'Strategic SKU', validFrom: '2025-06-01T00:00:00Z', priority: 10, condition: { in: [{ var: 'line.sku' }, ['SKU-STRAT']] }, effect: { type: 'per-amount', pointsPerUnit: 2, target: 'pending', rounding: 'floor' } });
    await rule({ code: 'cables', name: 'Cables', validFrom: '2024-01-01T00:00:00Z', condition: { '==': [{ var: 'line.category' }, 'cables'] }, effect: { type: 'per-amount', pointsPerUnit: 0.5, target: 'available', rounding: 'floor' } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('issued → pending (and cables to available), replayed without posting twice, a different body under the same key is a 409', async () => {
    const event = invoice();
    const first = await send(event);
    expect(first.statusCode, first.body).toBe(201);
    // line 0: 100 PLN × 1; line 1: 50 PLN × 1 + 50 PLN × 2 pending, 50 PLN × 0.5 available
    expect(first.json()).toMatchObject({ status: 'processed', replayed: false, partnerId: partners.orange!.id, points: 275 });
    expect(first.json().entries.map((e: Json) => [e.target, e.points])).toEqual([['pending', 250], ['available', 25]]);
    expect(await balances(partners.orange!.id)).toMatchObject({ pending: 250, available: 25 });

    const replay = await send(event);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toMatchObject({ ...first.json(), replayed: true });
    expect(await balances(partners.orange!.id)).toMatchObject({ pending: 250, available: 25 });

    const conflict = await send({ ...event, number: 'FV/OTHER' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.headers['content-type']).toContain('application/problem+json');
    expect(conflict.json()).toMatchObject({ code: 'EARNING_EVENT_CONFLICT' });
    expect(conflict.json().detail).toContain(String(event.externalId));

    // paid → the pending points of that invoice become available; a replay changes nothing; a second payment is refused
    const paid = { type: 'invoice.paid', source: 'erp-test', externalId: `PAY-${event.externalId}`, occurredAt: '2025-07-20T08:00:00Z', invoiceExternalId: event.externalId };
    const released = await send(paid);
    expect(released.statusCode, released.body).toBe(201);
    expect(released.json()).toMatchObject({ status: 'processed', points: 250, partnerId: partners.orange!.id });
    expect(await balances(partners.orange!.id)).toMatchObject({ pending: 0, available: 275 });
    expect((await send(paid)).json()).toMatchObject({ replayed: true, points: 250 });
    const again = await send({ ...paid, externalId: `PAY2-${event.externalId}` });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'EARNING_INVOICE_ALREADY_PAID', errors: [{ field: '/body/invoiceExternalId' }] });
    expect(await balances(partners.orange!.id)).toMatchObject({ pending: 0, available: 275 });
    const early = await send({ ...paid, externalId: 'PAY-unknown', invoiceExternalId: 'INV-never' });
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe('EARNING_INVOICE_UNKNOWN');
  });

  it('applies the rules in force at occurredAt: before a rule starts it does not fire, before every rule nothing is earned', async () => {
    const before = await balances(partners.pko!.id);
    const january = await send(invoice({ partner: { nip: '5250007738' }, occurredAt: '2025-01-15T12:00:00Z' }));
    expect(january.statusCode, january.body).toBe(201);
    // the strategic rule starts in June: only base (150) pending and cables (25) available
    expect(january.json().entries.map((e: Json) => [e.target, e.points])).toEqual([['pending', 150], ['available', 25]]);
    const ancient = await send(invoice({ partner: { nip: '5250007738' }, occurredAt: '2023-06-01T12:00:00Z' }));
    expect(ancient.statusCode).toBe(201);
    expect(ancient.json()).toMatchObject({ status: 'processed', points: 0, entries: [] });
    expect(await balances(partners.pko!.id)).toMatchObject({ pending: before.pending + 150, available: before.available + 25 });
  });

  it('conditions on SKU and category: lines that match no condition earn only the base', async () => {
    const res = await send(invoice({ partner: { nip: '5250007738' }, lines: [{ sku: 'SKU-STRAT', quantity: 1, netAmount: 1_099 }, { sku: 'SKU-B', quantity: 3, netAmount: 999, category: 'tools' }] }));
    // SKU-STRAT: floor(10.99) + floor(21.98) = 10 + 21; SKU-B: floor(9.99) = 9; no cables
    expect(res.json().entries).toEqual([expect.objectContaining({ target: 'pending', points: 40 })]);
  });

  it('simulates line by line, posting nothing, and what it shows is exactly what the ledger entry stores', async () => {
    const event = invoice({ partner: { regon: '012100784' } });
    const before = await balances(partners.orange!.id);
    const sim = await inject('POST', '/api/v1/earning/simulate', event);
    expect(sim.statusCode, sim.body).toBe(200);
    const s = sim.json();
    expect(s).toMatchObject({ partner: { id: partners.orange!.id }, points: 275, pending: 250, available: 25 });
    expect(s.lines[0].fired.map((f: Json) => f.code)).toEqual(['base']);
    expect(s.lines[0].skipped).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'strategic', reason: 'condition' }), expect.objectContaining({ code: 'cables', reason: 'condition' })]));
    expect(s.lines[1].fired.map((f: Json) => `${f.code}:${f.points}`)).toEqual(['strategic:100', 'base:50', 'cables:25']);
    expect(s.lines[1].fired[0].computation).toBe('floor(50.00 PLN × 2) = 100');
    expect(await balances(partners.orange!.id)).toEqual(before);

    const posted = await send(event);
    expect(posted.statusCode, posted.body).toBe(201);
    const statement = (await inject('GET', `/api/v1/ledger/partners/${partners.orange!.id}/statement`)).json().items as { entryId: number; explanation: Json }[];
    for (const target of ['pending', 'available'] as const) {
      const entryId = posted.json().entries.find((e: Json) => e.target === target).entryId;
      const line = statement.find((l) => l.entryId === entryId)!;
      expect(line.explanation.lines).toEqual(s.explanation[target]);
      expect(line.explanation).toMatchObject({ eventId: posted.json().id, invoice: event.number, source: 'erp-test', externalId: event.externalId });
      expect(line.explanation.rules).toEqual(expect.arrayContaining([expect.objectContaining({ code: target === 'pending' ? 'base' : 'cables', version: 1 })]));
    }
  });

  it('finds partners by EU VAT and PartnerID; an unknown partner waits as unmatched until an admin maps it (then it earns) or rejects it', async () => {
    const byVat = await send(invoice({ partner: { euVat: 'de 300 000 009' } }));
    expect(byVat.json()).toMatchObject({ status: 'processed', partnerId: partners.muster!.id });
    const byCode = await send(invoice({ partner: { partnerCode: partners.muster!.partnerCode } }));
    expect(byCode.json()).toMatchObject({ status: 'processed', partnerId: partners.muster!.id });

    const lost = invoice({ partner: { nip: '6920000013' } });
    const unmatched = await send(lost);
    expect(unmatched.statusCode).toBe(202);
    expect(unmatched.json()).toMatchObject({ status: 'unmatched', partnerId: null, points: 0 });
    expect((await send(lost)).json()).toMatchObject({ status: 'unmatched', replayed: true });
    const queue = await inject('GET', `/api/v1/earning/unmatched?programId=${programId}`);
    expect(queue.json().items.map((e: Json) => e.externalId)).toContain(lost.externalId);
    const listed = queue.json().items.find((e: Json) => e.externalId === lost.externalId);
    expect(listed.payload).toMatchObject({ number: lost.number });

    const before = await balances(partners.pko!.id);
    const noPartner = await inject('POST', `/api/v1/earning/events/${listed.id}/resolve`, { action: 'map' });
    expect(noPartner.statusCode).toBe(422);
    expect(noPartner.json().errors[0].field).toBe('/body/partnerId');
    const mapped = await inject('POST', `/api/v1/earning/events/${listed.id}/resolve`, { action: 'map', partnerId: partners.pko!.id });
    expect(mapped.statusCode, mapped.body).toBe(200);
    expect(mapped.json()).toMatchObject({ status: 'processed', partnerId: partners.pko!.id, points: 275 });
    expect(await balances(partners.pko!.id)).toMatchObject({ pending: before.pending + 250, available: before.available + 25 });
    expect((await send(lost)).json()).toMatchObject({ status: 'processed', replayed: true, points: 275 });
    const twice = await inject('POST', `/api/v1/earning/events/${listed.id}/resolve`, { action: 'map', partnerId: partners.pko!.id });
    expect(twice.statusCode).toBe(409);

    const junk = invoice({ partner: { nip: '8567346215' } });
    const junkId = (await send(junk)).json().id;
    const rejected = await inject('POST', `/api/v1/earning/events/${junkId}/resolve`, { action: 'reject', reason: 'test invoice from the ERP sandbox' });
    expect(rejected.json()).toMatchObject({ status: 'rejected' });
    const replayed = await send(junk);
    expect(replayed.statusCode).toBe(409);
    expect(replayed.json()).toMatchObject({ code: 'EARNING_EVENT_REJECTED' });
    expect(replayed.json().detail).toContain('ERP sandbox');

    const audit = await inject('GET', '/api/v1/audit/records?action=earning.');
    const actions = audit.json().items.map((r: Json) => `${r.action}:${r.subjectId}`);
    expect(actions).toEqual(expect.arrayContaining([`earning.event.mapped:${listed.id}`, `earning.event.rejected:${junkId}`]));
  });

  it('refuses events of a suspended partner and in a foreign currency with a clear problem, keeps them, and processes them when sent again', async () => {
    const event = invoice({ partner: { nip: '7740001454' } });
    const suspended = await send(event);
    expect(suspended.statusCode).toBe(409);
    expect(suspended.json()).toMatchObject({ code: 'EARNING_PARTNER_NOT_ACTIVE' });
    expect(suspended.json().detail).toContain('suspended');
    const refused = await inject('GET', `/api/v1/earning/events?status=refused&programId=${programId}`);
    expect(refused.json().items.length).toBeGreaterThan(0);

    const euro = await send(invoice({ currency: 'EUR' }), { ...key, 'accept-language': 'pl' });
    expect(euro.statusCode).toBe(422);
    expect(euro.json()).toMatchObject({ code: 'EARNING_FX_RATE_MISSING', errors: [{ field: '/body/currency' }] });
    expect(euro.json().detail).toContain('Brak kursu EUR do PLN z dnia 2025-07-01');
    const stored = await inject('GET', `/api/v1/earning/events/${(refused.json().items[0] as Json).id}`);
    expect(stored.json()).toMatchObject({ status: 'refused', result: { problem: { code: expect.stringMatching(/^EARNING_/) } } });

    // reactivated, the same event sent again is processed
    await inject('POST', `/api/v1/partners/${partners.suspended!.id}/status`, { status: 'active', reason: 'paid up' });
    const resent = await send(event);
    expect(resent.statusCode, resent.body).toBe(201);
    expect(resent.json()).toMatchObject({ status: 'processed', points: 275, partnerId: partners.suspended!.id });
  });

  it('answers bad input with a 400/422 problem naming the field, in the caller language', async () => {
    const cases: [Json, string][] = [
      [{ ...invoice(), lines: undefined }, '/body/lines'],
      [invoice({ lines: [{ sku: 'X', quantity: 1, netAmount: -5 }] }), '/body/lines/0/netAmount'],
      [invoice({ lines: [{ sku: 'X', quantity: 'two', netAmount: 5 }] }), '/body/lines/0/quantity'],
      [invoice({ lines: [{ sku: 'X', quantity: 1, netAmount: 1.5 }] }), '/body/lines/0/netAmount'],
      [invoice({ type: 'invoice.stolen' }), '/body/type'],
      [invoice({ occurredAt: 'yesterday' }), '/body/occurredAt'],
      [invoice({ partner: {} }), '/body/partner'],
      [invoice({ currency: 'XYZ' }), '/body/currency'],
      [invoice({ extra: true }), '/body/extra'],
      [invoice({ programId: 'not-a-uuid' }), '/body/programId'],
    ];
    for (const [body, field] of cases) {
      const res = await send(body);
      expect([400, 422], `${field}: ${res.body}`).toContain(res.statusCode);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors.map((e: Json) => e.field), res.body).toContain(field);
    }
    const ru = await send(invoice({ lines: [] }), { ...key, 'accept-language': 'ru' });
    expect(ru.json().title).toMatch(/[а-я]/);
    const noProgram = await send(invoice({ programId: undefined }));
    expect(noProgram.json()).toMatchObject({ code: 'EARNING_PROGRAM_REQUIRED', errors: [{ field: '/body/programId' }] });
    const badRule = await inject('POST', '/api/v1/earning/rules', { programId, code: 'bad', name: 'Bad', validFrom: '2025-01-01T00:00:00Z', eventTypes: ['invoice.issued'], condition: { nonsense: [1] }, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending', rounding: 'floor' } });
    expect(badRule.statusCode).toBe(422);
    expect(badRule.json()).toMatchObject({ code: 'EARNING_CONDITION_OPERATOR', errors: [{ field: '/body/condition' }] });
    const noKey = await send(invoice(), await t.apiKeyHeaders(['programs:read']));
    expect(noKey.statusCode).toBe(403);
  });

  it('takes a batch with good and bad events, each accepted or refused on its own', async () => {
    const good = invoice({ partner: { nip: '5250007738' } });
    const taken = invoice();
    expect((await send(taken)).statusCode).toBe(201);
    const res = await inject('POST', '/api/v1/earning/events/batch', {
      events: [good, { ...good, externalId: 'B-bad', lines: [{ sku: 'X', quantity: 1, netAmount: 'ten' }] }, invoice({ partner: { nip: '9999999999' } }), { ...taken, number: 'changed' }, 42, good],
    }, key);
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as { index: number; ok: boolean; event?: Json; problem?: Json & { errors?: Json[] } }[];
    expect(res.json()).toMatchObject({ accepted: 3, refused: 3 });
    expect(items[0]).toMatchObject({ ok: true, event: { status: 'processed', replayed: false } });
    expect(items[1]).toMatchObject({ ok: false, problem: { status: 400, code: 'VALIDATION_FAILED' } });
    expect(items[1]!.problem!.errors!.map((e) => e.field)).toEqual(['/body/events/1/lines/0/netAmount']);
    expect(items[2]).toMatchObject({ ok: true, event: { status: 'unmatched' } });
    expect(items[3]).toMatchObject({ ok: false, problem: { status: 409, code: 'EARNING_EVENT_CONFLICT' } });
    expect(items[4]).toMatchObject({ ok: false, problem: { status: 400 } });
    expect(items[4]!.problem!.errors![0]!.field).toBe('/body/events/4');
    expect(items[5]).toMatchObject({ ok: true, event: { status: 'processed', replayed: true } });

    const tooMany = await inject('POST', '/api/v1/earning/events/batch', { events: Array.from({ length: 1001 }, () => good) }, key);
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().errors[0].field).toBe('/body/events');
  });

  it('posts a whole batch through the ledger batch path: balances add up per partner, a suspended partner and a paid invoice are answered on their own', async () => {
    const frozen = await inject('POST', '/api/v1/partners', { programId, legalName: 'frozen', type: 'dealer', nip: '1111111111' });
    expect(frozen.statusCode, frozen.body).toBe(201);
    await inject('POST', `/api/v1/partners/${frozen.json().id}/status`, { status: 'suspended', reason: 'test' });
    const before = { orange: await balances(partners.orange!.id), muster: await balances(partners.muster!.id) };
    const events: Json[] = [];
    for (let i = 0; i < 40; i += 1) {
      const lines = [{ sku: 'SKU-A', quantity: 1, netAmount: 100 * (i + 1) }];
      events.push(invoice(i % 2 === 0 ? { lines } : { lines, partner: { euVat: 'DE300000009' } }));
    }
    const paidOf = events[0]!;
    events.push(invoice({ partner: { nip: '111-111-11-11' } }));
    const res = await inject('POST', '/api/v1/earning/events/batch', { events }, key);
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as { ok: boolean; event?: Json; problem?: Json }[];
    expect(res.json()).toMatchObject({ accepted: 40, refused: 1 });
    expect(items[40]).toMatchObject({ ok: false, problem: { status: 409, code: 'EARNING_PARTNER_NOT_ACTIVE' } });
    // line i: (i + 1) PLN × 1 pending
    const sum = (parity: number) => events.slice(0, 40).reduce((s, _e, i) => s + (i % 2 === parity ? i + 1 : 0), 0);
    expect(await balances(partners.orange!.id)).toMatchObject({ pending: before.orange.pending + sum(0), available: before.orange.available });
    expect(await balances(partners.muster!.id)).toMatchObject({ pending: before.muster.pending + sum(1) });
    expect(items.slice(0, 40).every((i) => (i.event as Json).status === 'processed' && (i.event as { entries: unknown[] }).entries.length === 1)).toBe(true);
    const stored = await inject('GET', `/api/v1/earning/events?status=refused&programId=${programId}&limit=1`);
    expect(stored.json().items[0]).toMatchObject({ status: 'refused', result: { problem: { code: 'EARNING_PARTNER_NOT_ACTIVE' } } });

    // replayed as a whole: nothing posts twice; a payment in a batch releases its invoice
    const again = await inject('POST', '/api/v1/earning/events/batch', { events: [...events.slice(0, 40), { type: 'invoice.paid', source: 'erp-test', externalId: `PAY-${paidOf.externalId}`, occurredAt: '2025-07-20T08:00:00Z', invoiceExternalId: paidOf.externalId }] }, key);
    expect(again.json()).toMatchObject({ accepted: 41, refused: 0 });
    expect((again.json().items as { event: Json }[]).slice(0, 40).every((i) => i.event.replayed === true)).toBe(true);
    expect(await balances(partners.orange!.id)).toMatchObject({ pending: before.orange.pending + sum(0) - 1, available: before.orange.available + 1 });
  });
  it('converts invoices in other currencies at the latest rate on or before the invoice date (NBP JSON and XML, ECB XML from the fixtures), half to even', async () => {
    // A program of its own, with a rule from 2020, so the fixtures' dates earn.
    const fx = (await inject('POST', '/api/v1/programs', { code: 'fx-rates', name: { en: 'F', pl: 'F', ru: 'F' }, currency: 'PLN', pointValueMinorPerThousand: 1000 })).json().id as string;
    await inject('POST', `/api/v1/programs/${fx}/status`, { status: 'live', reason: 'test' });
    const partner = (await inject('POST', '/api/v1/partners', { programId: fx, legalName: 'fx dealer', type: 'dealer', nip: '2222222222' })).json().id as string;
    const created = await inject('POST', '/api/v1/earning/rules', { programId: fx, code: 'base', name: 'Base', validFrom: '2020-01-01T00:00:00Z', eventTypes: ['invoice.issued'], condition: true, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending', rounding: 'floor' } });
    await inject('POST', `/api/v1/earning/rules/${created.json().id}/activate`, {});
    const fxInvoice = (currency: string, occurredAt: string, netAmount: number) => invoice({ programId: fx, partner: { nip: '2222222222' }, currency, occurredAt, lines: [{ sku: 'SKU-A', quantity: 1, netAmount }] });

    const bad = await inject('POST', '/api/v1/earning/fx-rates/import', { format: 'nbp-json', content: '{"table":"B"}' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({ code: 'EARNING_FX_FILE', errors: [{ field: '/body/content' }] });
    const nbp = await inject('POST', '/api/v1/earning/fx-rates/import', { format: 'nbp-json', content: fixture('nbp_tableA_170-A-NBP-2022_2022-09-02.json') });
    expect(nbp.statusCode, nbp.body).toBe(201);
    expect(nbp.json()).toMatchObject({ imported: 34, quote: 'PLN', dates: ['2022-09-02'], source: 'NBP 170/A/NBP/2022' });
    expect((await inject('POST', '/api/v1/earning/fx-rates/import', { format: 'nbp-xml', content: fixture('nbp_tableA_170-A-NBP-2022_2022-09-02.xml') })).json()).toMatchObject({ imported: 4 });
    const ecb = await inject('POST', '/api/v1/earning/fx-rates/import', { format: 'ecb-xml', quote: 'PLN', content: fixture('ecb_eurofxref-daily_2024-06-28.xml') });
    expect(ecb.statusCode, ecb.body).toBe(201);
    const listed = await inject('GET', '/api/v1/earning/fx-rates?currency=EUR&quote=PLN');
    expect(listed.json().items.map((r: Json) => [r.date, r.rate, r.source])).toEqual([['2024-06-28', '4.309', 'ECB'], ['2022-09-02', '4.7144', 'NBP 170/A/NBP/2022']]);

    // before the first rate: a clear problem naming the currency and the day; kept, and earned once the rate exists
    const early = await send(fxInvoice('EUR', '2022-09-01T10:00:00Z', 10_000));
    expect(early.statusCode).toBe(422);
    expect(early.json()).toMatchObject({ code: 'EARNING_FX_RATE_MISSING', errors: [{ field: '/body/currency' }] });
    expect(early.json().detail).toContain('EUR');
    expect(early.json().detail).toContain('2022-09-01');

    // 100.00 EUR on 5 Sep 2022 (a Monday: the Friday rate, 4.7144) = 471.44 PLN → 471 points
    const eur = fxInvoice('EUR', '2022-09-05T10:00:00Z', 10_000);
    const sim = (await inject('POST', '/api/v1/earning/simulate', eur)).json();
    expect(sim).toMatchObject({ currency: 'PLN', points: 471, conversion: { from: 'EUR', to: 'PLN', rate: '4.7144', rateDate: '2022-09-02', source: 'NBP 170/A/NBP/2022', rounding: 'half-even' } });
    expect(sim.lines[0]).toMatchObject({ netAmount: 47_144, original: { currency: 'EUR', netAmount: 10_000 } });
    const posted = await send(eur);
    expect(posted.statusCode, posted.body).toBe(201);
    expect(posted.json()).toMatchObject({ points: 471, partnerId: partner });
    const statement = (await inject('GET', `/api/v1/ledger/partners/${partner}/statement`)).json().items as { entryId: number; explanation: Json }[];
    const entry = statement.find((l) => l.entryId === posted.json().entries[0].entryId)!;
    expect(entry.explanation).toMatchObject({ currency: 'PLN', conversion: sim.conversion, lines: sim.explanation.pending });

    // 10,000 JPY (no minor units) at 0.033684 = 336.84 PLN → 336; 10.01 USD on 1 Jul 2024 at the ECB cross rate
    // 4.3090 / 1.0705 = 8618/2141 → 1001 × 8618 / 2141 = 4029.25… → 40.29 PLN → 40
    expect((await send(fxInvoice('JPY', '2022-09-05T10:00:00Z', 10_000))).json()).toMatchObject({ points: 336 });
    const usd = (await inject('POST', '/api/v1/earning/simulate', fxInvoice('USD', '2024-07-01T10:00:00Z', 1001))).json();
    expect(usd).toMatchObject({ points: 40, conversion: { rate: '8618/2141', rateDate: '2024-06-28', source: 'ECB' }, lines: [{ netAmount: 4029 }] });
  });
  it('follows an invoice through a credit note, a correction that increases it, payment and a return, each by SKU, idempotent per event', async () => {
    const pko = partners.pko!.id;
    const b0 = await balances(pko);
    const at = (pending: number, available: number) => ({ pending: b0.pending + pending, available: b0.available + available });
    const inv = invoice({ partner: { nip: '5250007738' } });
    expect((await send(inv)).json()).toMatchObject({ points: 275 });
    expect(await balances(pko)).toMatchObject(at(250, 25));
    const change = (type: string, over: Json) => ({ type, source: 'erp-test', externalId: `${type}-${n++}`, occurredAt: '2025-07-10T10:00:00Z', ...over });

    // credit note: 40.00 of SKU-A credited → 40 points of the pending earning reversed, in part
    const credit = change('invoice.corrected', { originalExternalId: inv.externalId, number: 'KOR/1', kind: 'credit-note', lines: [{ sku: 'SKU-A', netAmount: 4_000 }] });
    const credited = await send(credit);
    expect(credited.statusCode, credited.body).toBe(201);
    expect(credited.json()).toMatchObject({ status: 'processed', points: -40, entries: [{ target: 'pending', points: -40 }] });
    expect(await balances(pko)).toMatchObject(at(210, 25));
    expect((await send(credit)).json()).toMatchObject({ replayed: true, points: -40 });
    expect(await balances(pko)).toMatchObject(at(210, 25));

    // a correction that increases: SKU-STRAT is now 80.00 → 80 × 3 pending (+90) and 80 × 0.5 available (+15)
    const up = await send(change('invoice.corrected', { originalExternalId: inv.externalId, number: 'KOR/2', lines: [{ sku: 'SKU-STRAT', netAmount: 8_000 }] }));
    expect(up.json()).toMatchObject({ points: 105, entries: [{ target: 'pending', points: 90 }, { target: 'available', points: 15 }] });
    expect(await balances(pko)).toMatchObject(at(300, 40));

    // paid: every earning still pending is released (the rest of the first and the increase)
    const paid = await send({ type: 'invoice.paid', source: 'erp-test', externalId: `PAY-${inv.externalId}`, occurredAt: '2025-07-20T08:00:00Z', invoiceExternalId: inv.externalId });
    expect(paid.json()).toMatchObject({ points: 300 });
    expect(await balances(pko)).toMatchObject(at(0, 340));

    // the strategic goods are returned after payment: their points come back out of available (released ones first
    // put back to pending, then reversed), newest earning first
    const ret = change('order.returned', { invoiceExternalId: inv.externalId, lines: [{ sku: 'SKU-STRAT', quantity: 1, netAmount: 8_000 }] });
    const returned = await send(ret);
    expect(returned.statusCode, returned.body).toBe(201);
    expect(returned.json()).toMatchObject({ points: -280 });
    expect(await balances(pko)).toMatchObject(at(0, 60));
    expect((await send(ret)).json()).toMatchObject({ replayed: true, points: -280 });
    expect(await balances(pko)).toMatchObject(at(0, 60));
    const statement = (await inject('GET', `/api/v1/ledger/partners/${pko}/statement`)).json().items as { entryId: number; kind: string; reason: string | null; explanation: Json }[];
    const reversal = statement.find((l) => l.entryId === returned.json().entries[0].entryId)!;
    expect(reversal).toMatchObject({ kind: 'reversal', explanation: { eventType: 'order.returned', before: 300, after: 60 } });

    // what cannot be taken back is named
    const unknownSku = await send(change('order.returned', { invoiceExternalId: inv.externalId, lines: [{ sku: 'SKU-NOPE', netAmount: 1 }] }));
    expect(unknownSku.statusCode).toBe(422);
    expect(unknownSku.json()).toMatchObject({ code: 'EARNING_CORRECTION_SKU', errors: [{ field: '/body/lines/0/sku' }] });
    const tooMuch = await send(change('invoice.corrected', { originalExternalId: inv.externalId, number: 'KOR/3', kind: 'credit-note', lines: [{ sku: 'SKU-A', netAmount: 6_001 }] }));
    expect(tooMuch.json()).toMatchObject({ code: 'EARNING_CORRECTION_EXCEEDS', errors: [{ field: '/body/lines/0/netAmount' }] });
    const noInvoice = await send(change('invoice.corrected', { originalExternalId: 'INV-never', number: 'KOR/4', lines: [{ sku: 'SKU-A', netAmount: 1 }] }));
    expect(noInvoice.json()).toMatchObject({ code: 'EARNING_INVOICE_UNKNOWN', errors: [{ field: '/body/originalExternalId' }] });
    expect(await balances(pko)).toMatchObject(at(0, 60));
  });
  it('answers deals, leads, trainings, certifications and custom events with fixed rules, in the rules in force at their date', async () => {
    const fixed = (code: string, eventTypes: string[], points: number, target = 'available', condition: unknown = true) =>
      rule({ code, name: code, validFrom: '2025-01-01T00:00:00Z', eventTypes, condition, effect: { type: 'fixed', points, target } });
    await fixed('deal', ['deal.won'], 500, 'pending');
    await fixed('lead', ['lead.registered', 'lead.accepted'], 20);
    await fixed('training', ['training.completed', 'certification.earned'], 100);
    await fixed('webinar', ['custom.webinar-attended'], 7, 'available', { '>=': [{ var: 'event.data.minutes' }, 30] });
    const muster = partners.muster!.id;
    const before = await balances(muster);
    const base = { source: 'crm', occurredAt: '2025-08-01T09:00:00Z', programId, partner: { euVat: 'DE300000009' } };
    const answers = await inject('POST', '/api/v1/earning/events/batch', {
      events: [
        { ...base, type: 'deal.won', externalId: 'D-1', dealId: 'opp-1', amount: 1_000_000, currency: 'PLN' },
        { ...base, type: 'lead.registered', externalId: 'L-1', leadId: 'l1' },
        { ...base, type: 'lead.accepted', externalId: 'L-1-acc', leadId: 'l1' },
        { ...base, type: 'training.completed', externalId: 'T-1', courseId: 'c1' },
        { ...base, type: 'certification.earned', externalId: 'C-1', certificationId: 'cert1' },
        { ...base, type: 'custom.webinar-attended', externalId: 'W-1', data: { minutes: 45 } },
        { ...base, type: 'custom.webinar-attended', externalId: 'W-2', data: { minutes: 10 } },
        { ...base, type: 'deal.won', externalId: 'D-old', occurredAt: '2024-06-01T00:00:00Z' },
        { ...base, type: 'custom.Bad Name', externalId: 'X-1' },
      ],
    }, key);
    expect(answers.statusCode, answers.body).toBe(200);
    const points = (answers.json().items as { ok: boolean; event?: { points: number } }[]).map((i) => (i.ok ? i.event!.points : 'refused'));
    expect(points).toEqual([500, 20, 20, 100, 100, 7, 0, 0, 'refused']);
    expect(await balances(muster)).toMatchObject({ pending: before.pending + 500, available: before.available + 247 });
    const sim = await inject('POST', '/api/v1/earning/simulate', { ...base, type: 'custom.webinar-attended', externalId: 'W-3', data: { minutes: 31 } });
    expect(sim.statusCode, sim.body).toBe(200);
    expect(sim.json()).toMatchObject({ points: 7, lines: [{ fired: [{ code: 'webinar', fixed: 7, computation: 'fixed 7' }] }] });
  });
});
