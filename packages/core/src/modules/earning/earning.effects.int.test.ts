import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';
import { earningServiceRef } from './index.ts';

type Json = Record<string, unknown>;
type Review = { id: string; reasons: unknown; simulation: { explanation: unknown } };

describe('earning: effects, multipliers, stacking, caps, guardrails and the review queue', () => {
  let t: TestApp;
  let key: { authorization: string };
  let n = 0;

  const inject = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
  const send = (event: Json) => inject('POST', '/api/v1/earning/events', event, key);
  const balances = async (partnerId: string) => (await inject('GET', `/api/v1/ledger/partners/${partnerId}/balances`)).json() as { pending: number; available: number };
  const statement = async (partnerId: string) => (await inject('GET', `/api/v1/ledger/partners/${partnerId}/statement`)).json().items as { entryId: number; explanation: Json }[];

  /** A live program with partners (by name → id). */
  const program = async (code: string, names: string[]) => {
    const res = await inject('POST', '/api/v1/programs', { code, name: { en: code, pl: code, ru: code }, currency: 'PLN', pointValueMinorPerThousand: 1000 });
    expect(res.statusCode, res.body).toBe(201);
    const programId = res.json().id as string;
    await inject('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'test' });
    const partners: Record<string, string> = {};
    for (const name of names) {
      const p = await inject('POST', '/api/v1/partners', { programId, legalName: `${code} ${name}`, type: 'dealer', country: 'DE' });
      expect(p.statusCode, p.body).toBe(201);
      partners[name] = p.json().id;
    }
    return { programId, partners };
  };
  const rule = async (programId: string, body: Json) => {
    const created = await inject('POST', '/api/v1/earning/rules', { programId, priority: 0, eventTypes: ['invoice.issued'], validFrom: '2024-01-01T00:00:00Z', condition: true, ...body });
    expect(created.statusCode, created.body).toBe(201);
    const active = await inject('POST', `/api/v1/earning/rules/${created.json().id}/activate`, {});
    expect(active.statusCode, active.body).toBe(200);
    return active.json() as Json;
  };
  const invoice = (programId: string, partnerId: string, lines: Json[], over: Json = {}): Json => {
    n += 1;
    return { type: 'invoice.issued', source: 'erp-fx', externalId: `E-${n}`, occurredAt: '2025-07-10T10:00:00Z', programId, partner: { partnerId }, number: `FV/E/${n}`, currency: 'PLN', lines, ...over };
  };
  const sku = (s: string) => ({ '==': [{ var: 'line.sku' }, s] });

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase() });
    key = await t.apiKeyHeaders(['events:write']);
  }, 60_000);
  afterAll(async () => {
    t?.host.service(earningServiceRef).setTierMultiplier(null);
    await t?.close();
  });

  it('per-quantity, per-margin and per-amount with strategic and tier multipliers, rounded as each effect states, exactly', async () => {
    const { programId, partners } = await program('fx-effects', ['plain', 'gold']);
    await rule(programId, { code: 'qty', name: 'Per unit', condition: sku('Q'), effect: { type: 'per-quantity', pointsPerUnit: 2.5, target: 'available', rounding: 'half-even', multipliers: { tier: false } } });
    await rule(programId, { code: 'margin', name: 'Per margin', condition: sku('M'), effect: { type: 'per-margin', pointsPerUnit: 0.5, target: 'pending', rounding: 'floor' } });
    await rule(programId, {
      code: 'amount', name: 'Strategic', condition: { in: [{ var: 'line.sku' }, ['S', 'X']] },
      effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending', multipliers: { strategic: [{ skus: ['S'], multiplier: 3 }, { categories: ['cables'], multiplier: 1.5 }] } },
    });
    // The tier hook a tiers plugin would register: gold partners earn 1.2 ×.
    t.host.service(earningServiceRef).setTierMultiplier((_ctx, partner) => (partner.id === partners.gold ? 1.2 : 1));
    const lines = [
      { sku: 'Q', quantity: 3, netAmount: 1000 }, // 3 × 2.5 = 7.5 → half to even 8
      { sku: 'Q', quantity: 5, netAmount: 1000 }, // 12.5 → 12
      { sku: 'M', quantity: 1, netAmount: 50_000, margin: 12_345 }, // 123.45 × 0.5 = 61.725 → 61 (gold × 1.2 = 74.07 → 74)
      { sku: 'S', quantity: 1, netAmount: 10_050 }, // 100.50 × 3 = 301.5 → 301 (gold 361.8 → 361)
      { sku: 'X', quantity: 1, netAmount: 3_333, category: 'cables' }, // 33.33 × 1.5 = 49.995 → 49 (gold 59.994 → 59)
      { sku: 'M', quantity: 1, netAmount: 1_000, margin: -500 }, // a negative margin earns nothing
    ];
    const plain = await send(invoice(programId, partners.plain!, lines));
    expect(plain.statusCode, plain.body).toBe(201);
    expect(plain.json()).toMatchObject({ points: 431 });
    expect(await balances(partners.plain!)).toMatchObject({ pending: 411, available: 20 });
    const gold = invoice(programId, partners.gold!, lines);
    const sim = (await inject('POST', '/api/v1/earning/simulate', gold)).json();
    expect(sim.lines.map((l: Json) => l.points)).toEqual([8, 12, 74, 361, 59, 0]);
    expect(sim.lines[0].fired[0].computation).toBe('round-half-even(3 × 2.5) = 8');
    expect(sim.lines[2].fired[0]).toMatchObject({ computation: 'floor(margin 123.45 PLN × 0.5 × 1.2 (tier)) = 74', multipliers: { tier: 1.2 } });
    expect(sim.lines[3].fired[0]).toMatchObject({ computation: 'floor(100.50 PLN × 1 × 3 (S) × 1.2 (tier)) = 361', multipliers: { strategic: 3, tier: 1.2 } });
    expect(sim.lines[4].fired[0].computation).toBe('floor(33.33 PLN × 1 × 1.5 (cables) × 1.2 (tier)) = 59');
    const posted = await send(gold);
    expect(posted.json()).toMatchObject({ points: 514 });
    expect(await balances(partners.gold!)).toMatchObject({ pending: 494, available: 20 });
    const entries = await statement(partners.gold!);
    for (const target of ['pending', 'available'] as const) {
      const entryId = posted.json().entries.find((e: Json) => e.target === target).entryId;
      expect(entries.find((e) => e.entryId === entryId)!.explanation.lines).toEqual(sim.explanation[target]);
    }
    t.host.service(earningServiceRef).setTierMultiplier(null);
  });

  it('stacks additive rules and keeps only the best of a best-of group (ties: priority, then code), naming the losers', async () => {
    const { programId, partners } = await program('fx-stack', ['p']);
    await rule(programId, { code: 'base', name: 'Base', effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' } });
    await rule(programId, { code: 'promo-a', name: 'A', stacking: { mode: 'best-of', group: 'promo' }, effect: { type: 'per-amount', pointsPerUnit: 2, target: 'pending' } });
    await rule(programId, { code: 'promo-b', name: 'B', stacking: { mode: 'best-of', group: 'promo' }, effect: { type: 'fixed', points: 150, target: 'pending' } });
    await rule(programId, { code: 'promo-c', name: 'C', priority: 5, stacking: { mode: 'best-of', group: 'promo' }, effect: { type: 'per-amount', pointsPerUnit: 2, target: 'pending' } });
    const event = invoice(programId, partners.p!, [{ sku: 'A', quantity: 1, netAmount: 10_000 }, { sku: 'B', quantity: 1, netAmount: 5_000 }]);
    const sim = (await inject('POST', '/api/v1/earning/simulate', event)).json();
    // line 0: base 100 + promo-c 200 (tied with promo-a on points, higher priority); line 1: base 50 + promo-b 150
    expect(sim.lines[0].fired.map((f: Json) => `${f.code}:${f.points}`)).toEqual(['promo-c:200', 'base:100']);
    expect(sim.lines[0].skipped.filter((s: Json) => s.reason === 'best-of')).toEqual([
      expect.objectContaining({ code: 'promo-a', group: 'promo', points: 200, lostTo: { code: 'promo-c', version: 1, points: 200 }, detail: expect.stringContaining('same points, lower priority') }),
      expect.objectContaining({ code: 'promo-b', points: 150, lostTo: { code: 'promo-c', version: 1, points: 200 }, detail: expect.stringContaining('fewer points') }),
    ]);
    expect(sim.lines[1].fired.map((f: Json) => `${f.code}:${f.points}`)).toEqual(['base:50', 'promo-b:150']);
    expect(sim.points).toBe(500);
    const posted = await send(event);
    expect(posted.json().points).toBe(500);
    const entry = (await statement(partners.p!)).find((e) => e.entryId === posted.json().entries[0].entryId)!;
    expect(entry.explanation.lines).toEqual(sim.explanation.pending);
  });

  it('caps per event, per partner per month and a budget: 20 concurrent events grant exactly the cap, and the explanation says so', async () => {
    const { programId, partners } = await program('fx-caps', ['a', 'b']);
    await rule(programId, { code: 'event-cap', name: 'Per event', condition: sku('E'), caps: { perEvent: 500 }, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' } });
    await rule(programId, { code: 'monthly', name: 'Monthly', condition: sku('P'), caps: { perPartner: { period: 'month', points: 1000 } }, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' } });
    await rule(programId, { code: 'bonus', name: 'Budget', condition: sku('P'), caps: { budget: 150 }, effect: { type: 'fixed', points: 10, target: 'available' } });

    const three = invoice(programId, partners.a!, [0, 1, 2].map(() => ({ sku: 'E', quantity: 1, netAmount: 30_000 })));
    const sim = (await inject('POST', '/api/v1/earning/simulate', three)).json();
    expect(sim.lines.map((l: Json) => l.points)).toEqual([300, 200, 0]);
    expect(sim.lines[1].fired[0].capped).toEqual({ kind: 'event', limit: 500, alreadyGranted: 0, uncapped: 300 });
    expect(sim.caps).toEqual([expect.objectContaining({ code: 'event-cap', kind: 'event', limit: 500, alreadyGranted: 0, grantedNow: 500, uncapped: 900, onCap: 'post' })]);
    const posted = await send(three);
    expect(posted.json().points).toBe(500);
    const entry = (await statement(partners.a!)).find((e) => e.entryId === posted.json().entries[0].entryId)!;
    expect(entry.explanation.lines).toEqual(sim.explanation.pending);
    expect(entry.explanation.caps).toEqual(sim.caps);

    // 20 events at once against the monthly cap (1,000) and the budget (150): exactly the caps are granted.
    const events = Array.from({ length: 20 }, () => invoice(programId, partners.b!, [{ sku: 'P', quantity: 1, netAmount: 10_000 }], { occurredAt: '2025-08-05T10:00:00Z' }));
    const answers = await Promise.all(events.map((e) => send(e)));
    for (const a of answers) expect(a.statusCode, a.body).toBe(201);
    expect(answers.reduce((s, a) => s + a.json().points, 0)).toBe(1150);
    expect(await balances(partners.b!)).toMatchObject({ pending: 1000, available: 150 });
    // The next month the partner's cap starts again; the budget stays spent. The simulation says how, and is what posts.
    const september = invoice(programId, partners.b!, [{ sku: 'P', quantity: 1, netAmount: 10_000 }], { occurredAt: '2025-09-01T10:00:00Z' });
    const simSep = (await inject('POST', '/api/v1/earning/simulate', september)).json();
    expect(simSep).toMatchObject({ pending: 100, available: 0 });
    expect(simSep.caps).toEqual([expect.objectContaining({ code: 'bonus', kind: 'budget', limit: 150, alreadyGranted: 150, grantedNow: 0, uncapped: 10 })]);
    expect((await send(september)).json().points).toBe(100);
    const august = (await inject('POST', '/api/v1/earning/simulate', { ...september, externalId: 'E-aug', occurredAt: '2025-08-31T21:59:00Z' })).json();
    expect(august.caps).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'monthly', kind: 'period', period: '2025-08', alreadyGranted: 1000, grantedNow: 0 })]));
    // 22:00 UTC on 31 August is already September in Warsaw (the program's time zone)
    const lateAugust = (await inject('POST', '/api/v1/earning/simulate', { ...september, externalId: 'E-aug2', occurredAt: '2025-08-31T22:00:00Z' })).json();
    expect(lateAugust.caps ?? []).not.toEqual(expect.arrayContaining([expect.objectContaining({ code: 'monthly' })]));
  });

  it('sends a document number credited to another partner, a volume far outside the history and a cap to review; approve posts the simulation once, reject posts nothing; both audited', async () => {
    const { programId, partners } = await program('fx-review', ['first', 'second', 'steady']);
    await rule(programId, { code: 'base', name: 'Base', effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' } });
    await rule(programId, { code: 'capped', name: 'Capped', condition: sku('R'), caps: { perEvent: 50, onCap: 'review' }, effect: { type: 'fixed', points: 80, target: 'available' } });

    // the same invoice number for a second partner
    expect((await send(invoice(programId, partners.first!, [{ sku: 'A', quantity: 1, netAmount: 10_000 }], { number: 'FV/DUP/1' }))).statusCode).toBe(201);
    const dup = invoice(programId, partners.second!, [{ sku: 'A', quantity: 1, netAmount: 20_000 }], { number: 'FV/DUP/1' });
    const sim = (await inject('POST', '/api/v1/earning/simulate', dup)).json();
    expect(sim.guardrails).toEqual([expect.objectContaining({ kind: 'document-number', number: 'FV/DUP/1', otherPartnerId: partners.first })]);
    const held = await send(dup);
    expect(held.statusCode, held.body).toBe(202);
    expect(held.json()).toMatchObject({ status: 'review', points: 0, entries: [] });
    expect((await send(dup)).json()).toMatchObject({ status: 'review', replayed: true });
    expect(await balances(partners.second!)).toMatchObject({ pending: 0, available: 0 });
    const queue = (await inject('GET', `/api/v1/earning/reviews?programId=${programId}&status=open`)).json().items as Review[];
    expect(queue).toHaveLength(1);
    const review = queue[0]!;
    expect(review).toMatchObject({ eventId: held.json().id, partnerId: partners.second, points: 200, pending: 200, reasons: [{ kind: 'document-number' }] });
    expect(review.simulation.explanation).toEqual(sim.explanation);
    const approved = await inject('POST', `/api/v1/earning/reviews/${review.id}/approve`, { idempotencyKey: `approve-${review.id}` });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', result: { points: 200 } });
    expect((await inject('POST', `/api/v1/earning/reviews/${review.id}/approve`, { idempotencyKey: `approve-${review.id}` })).json()).toEqual(approved.json());
    expect((await inject('POST', `/api/v1/earning/reviews/${review.id}/approve`, {})).json()).toMatchObject({ status: 'approved' });
    expect(await balances(partners.second!)).toMatchObject({ pending: 200 });
    const event = (await inject('GET', `/api/v1/earning/events/${held.json().id}`)).json();
    expect(event).toMatchObject({ status: 'processed', points: 200 });
    const entry = (await statement(partners.second!)).find((e) => e.entryId === event.entries[0].entryId)!;
    expect(entry.explanation.lines).toEqual(sim.explanation.pending);
    expect((await inject('POST', `/api/v1/earning/reviews/${review.id}/reject`, { reason: 'late' })).statusCode).toBe(409);

    // volume: above 3 × the average of the partner's invoices of the last 12 months (with at least 3 of them)
    const settings = await inject('PUT', `/api/v1/earning/settings/${programId}`, { volumeFactor: 3, volumeMinInvoices: 3 });
    expect(settings.statusCode, settings.body).toBe(200);
    const steady = (amount: number, occurredAt: string) => invoice(programId, partners.steady!, [{ sku: 'A', quantity: 1, netAmount: amount }], { occurredAt });
    // with fewer than 3 invoices before it, nothing is far outside the history
    expect((await send(steady(100_000, '2025-02-01T10:00:00Z'))).statusCode).toBe(201);
    expect((await send(steady(10_000, '2025-03-01T10:00:00Z'))).statusCode).toBe(201);
    expect((await send(steady(10_000, '2025-04-01T10:00:00Z'))).statusCode).toBe(201);
    // average 400 PLN over three invoices: 1,200 PLN is not above 3 ×
    expect((await send(steady(120_000, '2025-05-01T10:00:00Z'))).statusCode).toBe(201);
    // average 600 PLN over four: 1,800.01 PLN is
    const big = await send(steady(180_001, '2025-06-01T10:00:00Z'));
    expect(big.statusCode, big.body).toBe(202);
    const bigReview = ((await inject('GET', `/api/v1/earning/reviews?programId=${programId}&status=open`)).json().items as Review[])[0]!;
    expect(bigReview.reasons).toEqual([{ kind: 'volume', netTotal: 180_001, average: 60_000, factor: 3, invoices: 4 }]);
    const before = await balances(partners.steady!);
    const rejected = await inject('POST', `/api/v1/earning/reviews/${bigReview.id}/reject`, { reason: 'Not a real order', idempotencyKey: `reject-${bigReview.id}` });
    expect(rejected.statusCode, rejected.body).toBe(200);
    expect(rejected.json()).toMatchObject({ status: 'rejected', decision: { reason: 'Not a real order' } });
    expect(await balances(partners.steady!)).toEqual(before);
    expect((await inject('GET', `/api/v1/earning/events/${big.json().id}`)).json()).toMatchObject({ status: 'rejected' });
    const resent = await send({ ...steady(0, '2025-06-01T10:00:00Z'), ...(await inject('GET', `/api/v1/earning/events/${big.json().id}`)).json().payload });
    expect(resent.json()).toMatchObject({ code: 'EARNING_EVENT_REJECTED' });

    // a cap reached on a rule that says onCap: review
    const capped = await send(invoice(programId, partners.first!, [{ sku: 'R', quantity: 1, netAmount: 100 }]));
    expect(capped.statusCode, capped.body).toBe(202);
    const capReview = ((await inject('GET', `/api/v1/earning/reviews?programId=${programId}&status=open`)).json().items as Review[])[0]!;
    expect(capReview.reasons).toEqual([{ kind: 'cap', code: 'capped', cap: 'event', limit: 50, alreadyGranted: 0, grantedNow: 50, uncapped: 80 }]);
    expect(capReview).toMatchObject({ points: 51, available: 50, pending: 1 });
    expect((await inject('POST', `/api/v1/earning/reviews/${capReview.id}/approve`, {})).json()).toMatchObject({ status: 'approved', result: { points: 51 } });

    // in a batch, a held invoice is answered on its own
    const batch = await inject('POST', '/api/v1/earning/events/batch', {
      events: [invoice(programId, partners.first!, [{ sku: 'A', quantity: 1, netAmount: 1_000 }]), invoice(programId, partners.second!, [{ sku: 'A', quantity: 1, netAmount: 1_000 }], { number: 'FV/DUP/1' })],
    }, key);
    expect(batch.json().items.map((i: { event?: { status: string } }) => i.event?.status)).toEqual(['processed', 'review']);

    const audit = (await inject('GET', '/api/v1/audit/records?action=earning.')).json().items.map((r: Json) => `${r.action}:${r.subjectId}`);
    expect(audit).toEqual(expect.arrayContaining([`earning.review.approved:${review.id}`, `earning.review.rejected:${bigReview.id}`, `earning.settings.updated:${programId}`]));
  });

  it('takes idempotency keys on rule creation, activation, retirement and resolution: a replay answers the same, another request under the key is a 409', async () => {
    const { programId } = await program('fx-keys', []);
    const body = { programId, code: 'keyed', name: 'Keyed', validFrom: '2024-01-01T00:00:00Z', eventTypes: ['invoice.issued'], condition: true, effect: { type: 'fixed', points: 5, target: 'pending' }, idempotencyKey: 'rule-keyed-1' };
    const first = await inject('POST', '/api/v1/earning/rules', body);
    expect(first.statusCode, first.body).toBe(201);
    const again = await inject('POST', '/api/v1/earning/rules', body);
    expect(again.json()).toEqual(first.json());
    expect((await inject('GET', `/api/v1/earning/rules?programId=${programId}&code=keyed`)).json().items).toHaveLength(1);
    const other = await inject('POST', '/api/v1/earning/rules', { ...body, name: 'Other' });
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ code: 'EARNING_IDEMPOTENCY_CONFLICT', errors: [{ field: '/body/idempotencyKey' }] });
    const id = first.json().id;
    const activated = await inject('POST', `/api/v1/earning/rules/${id}/activate`, { idempotencyKey: 'activate-keyed' });
    expect(activated.statusCode, activated.body).toBe(200);
    expect((await inject('POST', `/api/v1/earning/rules/${id}/activate`, { idempotencyKey: 'activate-keyed' })).json()).toEqual(activated.json());
    expect((await inject('POST', `/api/v1/earning/rules/${id}/activate`, {})).statusCode).toBe(409);
    const retired = await inject('POST', `/api/v1/earning/rules/${id}/retire`, { idempotencyKey: 'retire-keyed' });
    expect((await inject('POST', `/api/v1/earning/rules/${id}/retire`, { idempotencyKey: 'retire-keyed' })).json()).toEqual(retired.json());
    const pl = await inject('POST', '/api/v1/earning/rules', { ...body, name: 'Inna' }, { ...t.adminHeaders, 'accept-language': 'pl' });
    expect(pl.json().errors[0].message).toContain('rule-keyed-1');
    // resolution of an unmatched event
    const lost = await send({ type: 'invoice.issued', source: 'erp-fx', externalId: 'LOST-1', occurredAt: '2025-07-01T00:00:00Z', programId, partner: { nip: '7010000000' }, number: 'L/1', currency: 'PLN', lines: [{ sku: 'A', quantity: 1, netAmount: 100 }] });
    expect(lost.statusCode).toBe(202);
    const reject = { action: 'reject', reason: 'Unknown buyer', idempotencyKey: 'resolve-lost-1' };
    const r1 = await inject('POST', `/api/v1/earning/events/${lost.json().id}/resolve`, reject);
    expect(r1.statusCode, r1.body).toBe(200);
    expect((await inject('POST', `/api/v1/earning/events/${lost.json().id}/resolve`, reject)).json()).toEqual(r1.json());
  });
});
