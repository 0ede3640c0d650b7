import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, Type, definePlugin, earningInboxRef, partnerDirectoryRef, type CanonicalEvent } from '@laurel/plugin-sdk';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';

type Json = Record<string, unknown>;

/**
 * A tiny connector written only with the SDK: it reads a "document" in its own shape, finds the partner through the
 * partner directory, and sends canonical events to the earning inbox — one, or a batch.
 */
const miniConnector = definePlugin({
  id: 'mini-connector',
  version: '1.0.0',
  compatibility: '^0.1.0',
  dependsOn: ['earning', 'partners'],
  setup(ctx) {
    const inbox = ctx.inject(earningInboxRef);
    const directory = ctx.inject(partnerDirectoryRef);
    const Doc = Type.Object({ programId: Type.String({ format: 'uuid' }), buyerVat: Type.String({ minLength: 1 }), no: Type.String({ minLength: 1 }), net: Type.Integer({ minimum: 0 }) });
    const toEvent = (d: { programId: string; buyerVat: string; no: string; net: number }): CanonicalEvent => ({
      type: 'invoice.issued',
      source: 'mini',
      externalId: d.no,
      occurredAt: '2025-07-01T10:00:00Z',
      programId: d.programId,
      partner: d.buyerVat.startsWith('PL') ? { nip: d.buyerVat } : { euVat: d.buyerVat },
      number: d.no,
      currency: 'PLN',
      lines: [{ sku: 'SKU-A', quantity: 1, netAmount: d.net }],
    });
    ctx.routes((router) => {
      router.post('/documents', { config: { access: 'events:write' }, schema: { body: Doc } }, async (request, reply) => {
        const outcome = await inbox().ingest(request.ctx, toEvent(request.body));
        return reply.status(201).send(outcome);
      });
      router.post('/batch', { config: { access: 'events:write' }, schema: { body: Type.Object({ events: Type.Array(Type.Unknown()) }) } }, async (request) =>
        inbox().ingestMany(request.ctx, request.body.events),
      );
      router.get('/partners', { config: { access: 'events:write' }, schema: { querystring: Type.Object({ programId: Type.String(), nip: Type.Optional(Type.String()), regon: Type.Optional(Type.String()), euVat: Type.Optional(Type.String()), partnerCode: Type.Optional(Type.String()), partnerId: Type.Optional(Type.String()) }) } }, async (request) => {
        const { programId, ...identifiers } = request.query;
        const found = await directory().find(request.ctx, programId, identifiers);
        if (!found) throw new AppError('NOT_FOUND', 404);
        return found;
      });
    });
  },
});

describe('earning inbox and partner directory as SDK services, used by a plugin', () => {
  let t: TestApp;
  let programId: string;
  let key: { authorization: string };
  const partner: { id?: string; partnerCode?: string } = {};
  const inject = (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
  const balances = async (partnerId: string) => (await inject('GET', `/api/v1/ledger/partners/${partnerId}/balances`)).json() as { pending: number; available: number };

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase(), plugins: [miniConnector] });
    const program = await inject('POST', '/api/v1/programs', { code: 'sdk', name: { en: 'S', pl: 'S', ru: 'S' }, currency: 'PLN', pointValueMinorPerThousand: 1000 });
    programId = program.json().id;
    await inject('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'test' });
    const created = await inject('POST', '/api/v1/partners', { programId, legalName: 'Orange Polska', type: 'dealer', nip: '5260250995', regon: '012100784', euVat: 'PL5260250995' });
    expect(created.statusCode, created.body).toBe(201);
    Object.assign(partner, { id: created.json().id, partnerCode: created.json().partnerCode });
    const rule = await inject('POST', '/api/v1/earning/rules', { programId, priority: 0, eventTypes: ['invoice.issued'], code: 'base', name: 'Base', validFrom: '2024-01-01T00:00:00Z', condition: true, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' } });
    expect(rule.statusCode, rule.body).toBe(201);
    expect((await inject('POST', `/api/v1/earning/rules/${rule.json().id}/activate`, {})).statusCode).toBe(200);
    key = await t.apiKeyHeaders(['events:write']);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('a document sent to the plugin earns the partner points through earningInboxRef; a replay posts nothing twice', async () => {
    const doc = { programId, buyerVat: 'PL 526-025-09-95', no: 'FV/1', net: 12_345 };
    const first = await inject('POST', '/api/v1/mini-connector/documents', doc, key);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ status: 'processed', partnerId: partner.id, points: 123, replayed: false });
    expect(await balances(partner.id!)).toMatchObject({ pending: 123, available: 0 });
    const again = await inject('POST', '/api/v1/mini-connector/documents', doc, key);
    expect(again.json()).toMatchObject({ replayed: true, points: 123 });
    expect(await balances(partner.id!)).toMatchObject({ pending: 123 });
    // the event is in the inbox like any other, with its raw payload
    const listed = await inject('GET', `/api/v1/earning/events?programId=${programId}`);
    expect(listed.json().items.map((e: Json) => e.externalId)).toContain('FV/1');
  });

  it('an unknown buyer lands in the unmatched queue; a same key with another body is the inbox problem', async () => {
    const lost = await inject('POST', '/api/v1/mini-connector/documents', { programId, buyerVat: 'DE300000009', no: 'FV/2', net: 100 }, key);
    expect(lost.statusCode, lost.body).toBe(201);
    expect(lost.json()).toMatchObject({ status: 'unmatched', partnerId: null, points: 0 });
    const queue = await inject('GET', `/api/v1/earning/unmatched?programId=${programId}`);
    expect(queue.json().items.map((e: Json) => e.externalId)).toContain('FV/2');
    const conflict = await inject('POST', '/api/v1/mini-connector/documents', { programId, buyerVat: 'PL5260250995', no: 'FV/1', net: 1 }, { ...key, 'accept-language': 'pl' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.headers['content-type']).toContain('application/problem+json');
    expect(conflict.json()).toMatchObject({ code: 'EARNING_EVENT_CONFLICT' });
  });

  it('a batch answers per item: valid events earn, an invalid one names its field, nothing else is affected', async () => {
    const before = await balances(partner.id!);
    const event = (no: string, net: number) => ({ type: 'invoice.issued', source: 'mini', externalId: no, occurredAt: '2025-07-02T10:00:00Z', programId, partner: { regon: '012100784' }, number: no, currency: 'PLN', lines: [{ sku: 'X', quantity: 1, netAmount: net }] });
    const res = await inject('POST', '/api/v1/mini-connector/batch', { events: [event('B/1', 1_000), { ...event('B/2', 1), lines: [{ sku: 'X', quantity: 1, netAmount: -5 }] }, event('B/3', 2_000)] }, key);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ accepted: 2, refused: 1 });
    expect(body.items[0]).toMatchObject({ index: 0, ok: true, event: { status: 'processed', points: 10 } });
    expect(body.items[1]).toMatchObject({ index: 1, ok: false, problem: { status: 400, code: 'VALIDATION_FAILED' } });
    expect(body.items[1].problem.errors.map((e: Json) => e.field)).toContain('/events/1/lines/0/netAmount');
    expect(body.items[2]).toMatchObject({ index: 2, ok: true, event: { points: 20 } });
    expect(await balances(partner.id!)).toMatchObject({ pending: before.pending + 30 });
  });

  it('an event’s processed status and its outbox event are committed together: when the outbox write fails, the event is not left processed and unannounced, and a retry announces it once', async () => {
    const em = t.orm.em.fork();
    await em.execute(`create table test_fail_outbox (on_name text)`);
    await em.execute(`create function test_fail_outbox() returns trigger language plpgsql as $$
      begin if exists (select 1 from test_fail_outbox where on_name = new.name) then raise exception 'outbox write failed (injected)'; end if; return new; end $$`);
    await em.execute(`create trigger test_fail_outbox before insert on laurel_outbox_event for each row execute function test_fail_outbox()`);
    try {
      await em.execute(`insert into test_fail_outbox values ('earning.event.processed')`);
      const event = { type: 'invoice.issued', source: 'atomic', externalId: 'A/1', occurredAt: '2025-07-03T10:00:00Z', programId, partner: { nip: '5260250995' }, number: 'A/1', currency: 'PLN', lines: [{ sku: 'X', quantity: 1, netAmount: 4_200 }] };
      const before = await balances(partner.id!);
      const failed = await inject('POST', '/api/v1/earning/events', event, key);
      expect(failed.statusCode, failed.body).toBe(500);
      const stored = async () => (await em.execute<{ id: string; status: string }[]>(`select id, status from earning_event where source = 'atomic' and external_id = 'A/1'`))[0]!;
      const announced = async (id: string) => Number((await em.execute<{ n: string }[]>(`select count(*) as n from laurel_outbox_event where name = 'earning.event.processed' and payload->>'eventId' = ?`, [id]))[0]!.n);
      const row = await stored();
      expect(row.status).toBe('received'); // not "processed" with nobody told
      expect(await announced(row.id)).toBe(0);
      await em.execute(`delete from test_fail_outbox`);
      const retried = await inject('POST', '/api/v1/earning/events', event, key);
      expect(retried.statusCode, retried.body).toBe(201);
      expect(retried.json()).toMatchObject({ status: 'processed', points: 42 });
      expect((await stored()).status).toBe('processed');
      expect(await announced(row.id)).toBe(1);
      // the ledger entry made before the failure is the one the retry answers with: points counted once
      expect(await balances(partner.id!)).toMatchObject({ pending: before.pending + 42 });
    } finally {
      await em.execute(`drop trigger test_fail_outbox on laurel_outbox_event; drop function test_fail_outbox(); drop table test_fail_outbox`);
    }
  });

  it('the partner directory finds the partner by NIP, REGON, EU VAT, PartnerID and id, and nothing in another program', async () => {
    for (const q of ['nip=526-025-09-95', 'regon=012100784', 'euVat=pl5260250995', `partnerCode=${partner.partnerCode}`, `partnerId=${partner.id}`]) {
      const res = await inject('GET', `/api/v1/mini-connector/partners?programId=${programId}&${q}`, undefined, key);
      expect(res.statusCode, `${q}: ${res.body}`).toBe(200);
      expect(res.json()).toMatchObject({ id: partner.id, legalName: 'Orange Polska', nip: '5260250995', status: 'active', programId });
    }
    const other = await inject('GET', `/api/v1/mini-connector/partners?programId=00000000-0000-4000-8000-000000000000&nip=5260250995`, undefined, key);
    expect(other.statusCode).toBe(404);
    const nobody = await inject('GET', `/api/v1/mini-connector/partners?programId=${programId}&nip=6920000013`, undefined, key);
    expect(nobody.statusCode).toBe(404);
  });

  it('validate names the fields from the given prefix in the caller’s language; ingest of an invalid event throws before storing anything', async () => {
    const inbox = t.host.service(earningInboxRef);
    const ctx = (locale: 'en' | 'pl') => t.host.createContext({ requestId: 'inbox-test', locale, actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork() as never, log: t.app.log });
    const bad = { type: 'invoice.issued', source: 'mini', externalId: 'BAD/1', occurredAt: '2025-07-01T10:00:00Z', programId, partner: { nip: '5260250995' }, number: 'BAD/1', currency: 'PLN', lines: [{ sku: 'X', quantity: 1, netAmount: 1.5 }] };
    const checked = inbox.validate(ctx('pl'), bad, { prefix: '/document' });
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.problem).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', errors: [{ field: '/document/lines/0/netAmount' }] });
    expect(checked.problem.errors![0]!.message).toBe('powinien być integer');
    expect(inbox.validate(ctx('en'), { ...bad, lines: [{ sku: 'X', quantity: 1, netAmount: 1 }] }).ok).toBe(true);
    await expect(inbox.ingest(ctx('en'), bad as never)).rejects.toMatchObject({ validation: expect.any(Array) });
    const stored = await inject('GET', `/api/v1/earning/events?programId=${programId}`);
    expect(stored.json().items.map((e: Json) => e.externalId)).not.toContain('BAD/1');
  });

  it('a plugin that uses the inbox without depending on earning does not start', async () => {
    const careless = definePlugin({ id: 'careless', version: '1.0.0', compatibility: '^0.1.0', setup: (ctx) => void ctx.inject(earningInboxRef) });
    await expect(startTestApp({ databaseUrl: await createTestDatabase(), plugins: [careless] })).rejects.toThrow(/careless.*earning\.inbox.*dependsOn/);
  });
});
