import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';

type Json = Record<string, unknown>;

describe('earning: simulating draft rules before they go live', () => {
  let t: TestApp;
  let programId: string;
  let partnerId: string;
  let key: { authorization: string };
  const ids: Record<string, string> = {};

  const inject = (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
  const ledgerState = async () =>
    (await t.orm.em.fork().execute(
      `select (select count(*) from ledger_entry)::int as entries, (select count(*) from ledger_posting)::int as postings, (select coalesce(sum(points), 0)::text from earning_grant) as granted`,
    )) as unknown[];
  const invoice = (n: number): Json => ({
    type: 'invoice.issued',
    source: 'erp-draft',
    externalId: `DRAFT-${n}`,
    occurredAt: '2025-09-10T10:00:00Z',
    programId,
    partner: { nip: '5260250995' },
    number: `FV/2025/09/${n}`,
    currency: 'PLN',
    lines: [
      { sku: 'SKU-A', quantity: 2, netAmount: 10_000 },
      { sku: 'CAB-1', quantity: 1, netAmount: 5_000, category: 'cables' },
    ],
  });
  const create = async (body: Json) => {
    const res = await inject('POST', '/api/v1/earning/rules', { programId, priority: 0, eventTypes: ['invoice.issued'], ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase() });
    const program = await inject('POST', '/api/v1/programs', { code: 'draft', name: { en: 'D', pl: 'D', ru: 'D' }, currency: 'PLN', pointValueMinorPerThousand: 1000 });
    programId = program.json().id;
    await inject('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'test' });
    const partner = await inject('POST', '/api/v1/partners', { programId, legalName: 'Orange', type: 'dealer', nip: '5260250995', segments: ['retail'] });
    partnerId = partner.json().id;
    key = await t.apiKeyHeaders(['events:write']);
    // Live: 1 point per PLN on every line (pending); half a point per PLN on cables (available).
    ids.base1 = await create({ code: 'base', name: 'Base', validFrom: '2024-01-01T00:00:00Z', condition: true, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' } });
    ids.cables = await create({ code: 'cables', name: 'Cables', validFrom: '2024-01-01T00:00:00Z', condition: { '==': [{ var: 'line.category' }, 'cables'] }, effect: { type: 'per-amount', pointsPerUnit: 0.5, target: 'available' } });
    for (const id of [ids.base1, ids.cables]) expect((await inject('POST', `/api/v1/earning/rules/${id}/activate`, {})).statusCode).toBe(200);
    // Drafts: base v2 gives 2 points per PLN from July 2025 (replacing v1 there); a new rule gives 30 points per cable line.
    ids.base2 = await create({ code: 'base', name: 'Base doubled', validFrom: '2025-07-01T00:00:00Z', condition: true, effect: { type: 'per-amount', pointsPerUnit: 2, target: 'pending' } });
    ids.bonus = await create({ code: 'cable-bonus', name: 'Cable bonus', validFrom: '2025-01-01T00:00:00Z', priority: 5, condition: { in: [{ var: 'line.category' }, ['cables']] }, effect: { type: 'fixed', points: 30, target: 'pending' } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('shows what the drafts would earn, line by line, with the rules they replace and why others did not fire; posts nothing', async () => {
    const before = await ledgerState();
    const res = await inject('POST', '/api/v1/earning/simulate/draft', { event: invoice(1), ruleIds: [ids.base2, ids.bonus] });
    expect(res.statusCode, res.body).toBe(200);
    const s = res.json();
    // SKU-A: 100 PLN × 2 = 200; CAB-1: 30 (bonus) + 50 PLN × 2 = 100 pending, 50 × 0.5 = 25 available
    expect(s).toMatchObject({ partner: { id: partnerId }, points: 355, pending: 330, available: 25 });
    expect(s.ruleSet.drafts).toEqual([
      { ruleId: ids.base2, code: 'base', version: 2, status: 'draft' },
      { ruleId: ids.bonus, code: 'cable-bonus', version: 1, status: 'draft' },
    ]);
    expect(s.ruleSet.replaced).toEqual([{ ruleId: ids.base1, code: 'base', version: 1, status: 'active' }]);
    expect(s.lines[0].fired.map((f: Json) => `${f.code}:v${f.version}:${f.points}`)).toEqual(['base:v2:200']);
    expect(s.lines[0].skipped).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'cable-bonus', reason: 'condition' }), expect.objectContaining({ code: 'cables', reason: 'condition' })]));
    expect(s.lines[1].fired.map((f: Json) => `${f.code}:${f.points}`)).toEqual(['cable-bonus:30', 'base:100', 'cables:25']);
    expect(s.lines[1].fired[1].computation).toBe('floor(50.00 PLN × 2) = 100');
    // v1 is replaced as a whole (activating v2 needs it retired): before v2 starts, base earns nothing; cables still do.
    const june = await inject('POST', '/api/v1/earning/simulate/draft', { event: { ...invoice(1), occurredAt: '2025-06-10T10:00:00Z' }, ruleIds: [ids.base2] });
    expect(june.json().lines[0].skipped).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'base', version: 2, reason: 'not-yet-valid' })]));
    expect(june.json().points).toBe(25);
    expect(await ledgerState()).toEqual(before);
  });

  it('simulates the rule being edited before it is saved (the zero id, the version it would get)', async () => {
    const rule = { code: 'base', name: 'Base ×3 on SKU-A', validFrom: '2025-01-01T00:00:00Z', eventTypes: ['invoice.issued'], condition: { '==': [{ var: 'line.sku' }, 'SKU-A'] }, effect: { type: 'per-amount', pointsPerUnit: 3, target: 'pending' } };
    const res = await inject('POST', '/api/v1/earning/simulate/draft', { event: invoice(2), rule });
    expect(res.statusCode, res.body).toBe(200);
    const s = res.json();
    expect(s.ruleSet.drafts).toEqual([{ ruleId: '00000000-0000-0000-0000-000000000000', code: 'base', version: 3, status: 'unsaved' }]);
    // SKU-A: 300; CAB-1: base v3 does not hold, v1 is replaced: only cables 25
    expect(s).toMatchObject({ points: 325, pending: 300, available: 25 });
    expect(s.lines[1].skipped).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'base', version: 3, reason: 'condition' })]));
  });

  it('names the field of what is wrong', async () => {
    const active = await inject('POST', '/api/v1/earning/simulate/draft', { event: invoice(3), ruleIds: [ids.base2, ids.base1] });
    expect(active.statusCode).toBe(422);
    expect(active.headers['content-type']).toContain('application/problem+json');
    expect(active.json()).toMatchObject({ code: 'EARNING_DRAFT_NOT_DRAFT', errors: [{ field: '/body/ruleIds/1' }] });
    expect(active.json().errors[0].message).toBe('Rule base version 1 is active, not a draft; name draft versions only.');
    const unknown = await inject('POST', '/api/v1/earning/simulate/draft', { event: invoice(3), ruleIds: ['0190a5b4-0000-7000-8000-000000000000'] });
    expect(unknown.json()).toMatchObject({ code: 'EARNING_DRAFT_UNKNOWN', errors: [{ field: '/body/ruleIds/0' }] });
    const badEvent = await inject('POST', '/api/v1/earning/simulate/draft', { event: { ...invoice(3), lines: [{ sku: 'X', quantity: -1, netAmount: 'ten' }] }, ruleIds: [ids.base2] });
    expect(badEvent.statusCode).toBe(400);
    expect(badEvent.json().errors.map((e: Json) => e.field)).toEqual(expect.arrayContaining(['/body/event/lines/0/netAmount']));
    const operator = await inject('POST', '/api/v1/earning/simulate/draft', {
      event: invoice(3),
      rule: { code: 'x', name: 'X', validFrom: '2025-01-01T00:00:00Z', eventTypes: ['invoice.issued'], condition: { nope: [1] }, effect: { type: 'fixed', points: 1, target: 'pending' } },
    });
    expect(operator.statusCode).toBe(422);
    expect(operator.json()).toMatchObject({ code: 'EARNING_CONDITION_OPERATOR', errors: [{ field: '/body/rule/condition' }] });
    const overlap = await inject('POST', '/api/v1/earning/simulate/draft', { event: invoice(3), ruleIds: [ids.base2], rule: { code: 'base', name: 'B', validFrom: '2025-08-01T00:00:00Z', eventTypes: ['invoice.issued'], condition: true, effect: { type: 'fixed', points: 1, target: 'pending' } } });
    expect(overlap.json()).toMatchObject({ code: 'EARNING_DRAFT_OVERLAP', errors: [{ field: '/body/rule' }] });
    const places = await inject('POST', '/api/v1/earning/simulate/draft', { event: invoice(3), rule: { code: 'x', name: 'X', validFrom: '2025-01-01T00:00:00Z', eventTypes: ['invoice.issued'], condition: true, effect: { type: 'per-amount', pointsPerUnit: 1.23456, target: 'pending' } } });
    expect(places.json()).toMatchObject({ code: 'EARNING_POINTS_PER_UNIT', errors: [{ field: '/body/rule/effect/pointsPerUnit' }] });
  });

  it('simulate = posted: activated (the replaced version retired), the same event posts exactly the points and explanation the simulation showed', async () => {
    const event = invoice(10);
    const sim = (await inject('POST', '/api/v1/earning/simulate/draft', { event, ruleIds: [ids.base2, ids.bonus] })).json();
    expect((await inject('POST', `/api/v1/earning/rules/${ids.base1}/retire`, {})).statusCode).toBe(200);
    for (const id of [ids.base2, ids.bonus]) expect((await inject('POST', `/api/v1/earning/rules/${id}/activate`, {})).statusCode).toBe(200);
    const posted = await inject('POST', '/api/v1/earning/events', event, key);
    expect(posted.statusCode, posted.body).toBe(201);
    expect(posted.json().points).toBe(sim.points);
    expect(posted.json().entries.map((e: Json) => [e.target, e.points])).toEqual([['pending', sim.pending], ['available', sim.available]]);
    const statement = (await inject('GET', `/api/v1/ledger/partners/${partnerId}/statement`)).json().items as { entryId: number; amount: number; explanation: Json }[];
    for (const target of ['pending', 'available'] as const) {
      const entry = statement.find((l) => l.entryId === posted.json().entries.find((e: Json) => e.target === target).entryId)!;
      expect(entry.explanation.lines).toEqual(sim.explanation[target]);
      expect(entry.amount).toBe(sim[target]);
    }
    // And now the live simulation shows the same as the draft one did.
    const live = (await inject('POST', '/api/v1/earning/simulate', { ...event, externalId: 'again' })).json();
    expect(live.explanation).toEqual(sim.explanation);
  });
});
