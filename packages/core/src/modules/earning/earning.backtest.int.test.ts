import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';

type Json = Record<string, unknown>;

/**
 * Backtest totals by hand: 3 partners in 2 segments, 5 invoices of March 2025; the rule in force gives 1 point per
 * PLN, the draft (a new version of it) 2 points per PLN on cables. 1 point is worth 0.50 PLN (50,000 per 1,000).
 *
 *   A (retail, dealer)     FV1: tools 100 + cables 200   live 300   draft 100 + 400 = 500
 *                          FV2: cables 50                live  50   draft 100
 *   B (retail, installer)  FV3: tools 1,000              live 1000  draft 1000
 *   C (wholesale, dealer)  FV4: cables 300               live 300   draft 600
 *                          FV5: cables 20.99             live  20   draft floor(41.98) = 41
 *   left out: A's April invoice (outside the period), FV1's payment (not an earning event)
 */
describe('earning: backtest of draft rules over a past period', () => {
  let t: TestApp;
  let programId: string;
  let key: { authorization: string };
  const ids: Record<string, string> = {};
  const partners: Record<string, string> = {};

  const inject = (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
  const ledgerState = async () =>
    (await t.orm.em.fork().execute(
      `select (select count(*) from ledger_entry)::int as entries, (select count(*) from ledger_posting)::int as postings,
              (select coalesce(sum(balance), 0)::text from ledger_balance) as balances, (select count(*) from earning_grant)::int as counters,
              (select md5(string_agg(id::text || status || coalesce(result::text, ''), ',' order by id)) from earning_event) as events`,
    )) as unknown[];
  const send = async (partner: string, number: string, occurredAt: string, lines: Json[]) => {
    const res = await inject('POST', '/api/v1/earning/events', { type: 'invoice.issued', source: 'erp-bt', externalId: number, occurredAt, programId, partner: { partnerId: partners[partner] }, number, currency: 'PLN', lines }, key);
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase() });
    const program = await inject('POST', '/api/v1/programs', { code: 'backtest', name: { en: 'B', pl: 'B', ru: 'B' }, currency: 'PLN', pointValueMinorPerThousand: 50_000 });
    programId = program.json().id;
    await inject('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'test' });
    for (const [name, nip, segments, type] of [['A', '5260250995', ['retail'], 'dealer'], ['B', '5250007738', ['retail'], 'integrator'], ['C', '7740001454', ['wholesale'], 'dealer']] as const) {
      const res = await inject('POST', '/api/v1/partners', { programId, legalName: name, nip, segments, type });
      expect(res.statusCode, res.body).toBe(201);
      partners[name] = res.json().id;
    }
    key = await t.apiKeyHeaders(['events:write']);
    const created = await inject('POST', '/api/v1/earning/rules', { programId, code: 'base', name: 'Base', validFrom: '2024-01-01T00:00:00Z', eventTypes: ['invoice.issued'], condition: true, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' } });
    ids.base1 = created.json().id;
    expect((await inject('POST', `/api/v1/earning/rules/${ids.base1}/activate`, {})).statusCode).toBe(200);
    const tools = (zl: number) => ({ sku: 'T-1', quantity: 1, netAmount: zl * 100, category: 'tools' });
    const cables = (minor: number) => ({ sku: 'C-1', quantity: 1, netAmount: minor, category: 'cables' });
    await send('A', 'FV1', '2025-03-03T10:00:00Z', [tools(100), cables(20_000)]);
    await send('A', 'FV2', '2025-03-10T10:00:00Z', [cables(5_000)]);
    await send('B', 'FV3', '2025-03-11T10:00:00Z', [tools(1000)]);
    await send('C', 'FV4', '2025-03-20T10:00:00Z', [cables(30_000)]);
    await send('C', 'FV5', '2025-03-31T21:59:59Z', [cables(2_099)]);
    await send('A', 'FV6', '2025-04-02T10:00:00Z', [cables(50_000)]);
    const paid = await inject('POST', '/api/v1/earning/events', { type: 'invoice.paid', source: 'erp-bt', externalId: 'PAY-FV1', occurredAt: '2025-03-15T10:00:00Z', invoiceExternalId: 'FV1' }, key);
    expect(paid.statusCode, paid.body).toBe(201);
    const draft = await inject('POST', '/api/v1/earning/rules', {
      programId, code: 'base', name: 'Base, cables doubled', validFrom: '2025-01-01T00:00:00Z', eventTypes: ['invoice.issued'], condition: true,
      effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending', multipliers: { strategic: [{ categories: ['cables'], multiplier: 2 }] } },
    });
    ids.base2 = draft.json().id;
    await t.outbox.drainUntilIdle();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('computes points and cost of the drafts against the rules in force, per segment, type and rule, in the background; posts nothing; audited', async () => {
    const before = await ledgerState();
    const started = await inject('POST', '/api/v1/earning/backtests', { programId, from: '2025-03-01T00:00:00+01:00', to: '2025-04-01T00:00:00+02:00', ruleIds: [ids.base2] });
    expect(started.statusCode, started.body).toBe(202);
    const bt = started.json();
    expect(bt).toMatchObject({ status: 'running', total: 5, result: null, drafts: [{ ruleId: ids.base2, code: 'base', version: 2, status: 'draft' }], replaced: [{ ruleId: ids.base1, code: 'base', version: 1, status: 'active' }] });

    await t.outbox.drainUntilIdle();
    const done = (await inject('GET', `/api/v1/earning/backtests/${bt.id}`)).json();
    expect(done).toMatchObject({ status: 'done', total: 5, done: 5, error: null });
    const r = done.result;
    expect(r).toMatchObject({ currency: 'PLN', pointValueMinorPerThousand: 50_000, skipped: [] });
    expect(r.total).toEqual({ events: 5, partners: 3, live: 1670, draft: 2241, difference: 571, ratio: 1.3419, liveCost: 83_500, draftCost: 112_050, costDifference: 28_550 });
    expect(r.segments).toEqual([
      { segment: 'retail', events: 3, partners: 2, live: 1350, draft: 1600, difference: 250, ratio: 1.1852, liveCost: 67_500, draftCost: 80_000, costDifference: 12_500 },
      { segment: 'wholesale', events: 2, partners: 1, live: 320, draft: 641, difference: 321, ratio: 2.0031, liveCost: 16_000, draftCost: 32_050, costDifference: 16_050 },
    ]);
    expect(r.types).toEqual([
      { type: 'dealer', events: 4, partners: 2, live: 670, draft: 1241, difference: 571, ratio: 1.8522, liveCost: 33_500, draftCost: 62_050, costDifference: 28_550 },
      { type: 'integrator', events: 1, partners: 1, live: 1000, draft: 1000, difference: 0, ratio: 1, liveCost: 50_000, draftCost: 50_000, costDifference: 0 },
    ]);
    expect(r.rules).toEqual([{ code: 'base', live: 1670, draft: 2241, difference: 571 }]);
    // The live side equals what was actually posted for these invoices.
    const posted = (await inject('GET', `/api/v1/earning/events?programId=${programId}&limit=200`)).json().items.filter((e: Json) => ['FV1', 'FV2', 'FV3', 'FV4', 'FV5'].includes(String(e.externalId)));
    expect(posted.reduce((s: number, e: Json) => s + Number(e.points), 0)).toBe(1670);

    // Nothing posted, no counter, no event touched.
    expect(await ledgerState()).toEqual(before);
    const listed = (await inject('GET', `/api/v1/earning/backtests?programId=${programId}`)).json().items;
    expect(listed).toEqual([expect.objectContaining({ id: bt.id, status: 'done', done: 5, result: null })]);
    const audit = (await inject('GET', '/api/v1/audit/records?action=earning.backtest.started')).json().items;
    expect(audit).toEqual([expect.objectContaining({ action: 'earning.backtest.started', subjectId: bt.id })]);
    expect(audit[0].data).toMatchObject({ programId, events: 5, drafts: [{ code: 'base', version: 2 }] });
  });

  it('a longer period takes in more events; an idempotency key replays the start', async () => {
    const started = (await inject('POST', '/api/v1/earning/backtests', { programId, from: '2025-03-01T00:00:00Z', to: '2025-05-01T00:00:00Z', ruleIds: [ids.base2], idempotencyKey: 'bt-2' })).json();
    expect(started.total).toBe(6);
    const again = await inject('POST', '/api/v1/earning/backtests', { programId, from: '2025-03-01T00:00:00Z', to: '2025-05-01T00:00:00Z', ruleIds: [ids.base2], idempotencyKey: 'bt-2' });
    expect(again.json().id).toBe(started.id);
    await t.outbox.drainUntilIdle();
    const done = (await inject('GET', `/api/v1/earning/backtests/${started.id}`)).json();
    // + A's April invoice: cables 500 PLN, live 500, draft 1000
    expect(done.result.total).toMatchObject({ events: 6, live: 2170, draft: 3241 });
  });

  it('names the field of what is wrong', async () => {
    const active = await inject('POST', '/api/v1/earning/backtests', { programId, from: '2025-03-01T00:00:00Z', to: '2025-04-01T00:00:00Z', ruleIds: [ids.base1] });
    expect(active.statusCode).toBe(422);
    expect(active.headers['content-type']).toContain('application/problem+json');
    expect(active.json()).toMatchObject({ code: 'EARNING_DRAFT_NOT_DRAFT', errors: [{ field: '/body/ruleIds/0' }] });
    const period = await inject('POST', '/api/v1/earning/backtests', { programId, from: '2025-04-01T00:00:00Z', to: '2025-03-01T00:00:00Z', ruleIds: [ids.base2] });
    expect(period.json()).toMatchObject({ code: 'EARNING_BACKTEST_PERIOD', errors: [{ field: '/body/to' }] });
    const none = await inject('POST', '/api/v1/earning/backtests', { programId, from: '2025-03-01T00:00:00Z', to: '2025-04-01T00:00:00Z', ruleIds: [] });
    expect(none.statusCode).toBe(400);
    expect(none.json().errors[0].field).toBe('/body/ruleIds');
    const unknown = await inject('GET', '/api/v1/earning/backtests/0190a5b4-0000-7000-8000-000000000000');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('EARNING_BACKTEST_NOT_FOUND');
  });
});
