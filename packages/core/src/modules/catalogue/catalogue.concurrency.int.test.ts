import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';

type Json = Record<string, unknown>;

/** A valid Polish NIP (tax id) from 9 digits: the weighted checksum must not be 10. */
function nip(seed: number): string {
  for (let s = seed; ; s += 1) {
    const digits = String(100_000_000 + s).slice(-9).split('').map(Number);
    const sum = [6, 5, 7, 2, 3, 4, 5, 6, 7].reduce((acc, w, i) => acc + w * digits[i]!, 0) % 11;
    if (sum !== 10) return digits.join('') + String(sum);
  }
}

describe('catalogue: the last units under contention', () => {
  let t: TestApp;
  let programId: string;
  const partners: { id: string; headers: Record<string, string> }[] = [];

  const inject = (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });

  beforeAll(async () => {
    // A pool as large as the crowd, so that every order is in flight at once.
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env: { LAUREL_DB_POOL_SIZE: '40' } });
    programId = (await inject('POST', '/api/v1/programs', { code: 'crowd', name: { en: 'C', pl: 'C', ru: 'C' }, currency: 'PLN', pointValueMinorPerThousand: 1000 })).json().id;
    await inject('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'test' });
    const seen = new Set<string>();
    for (let i = 0; partners.length < 100; i += 1) {
      const id = nip(7_000_000 + i * 37);
      if (seen.has(id)) continue;
      seen.add(id);
      const created = await inject('POST', '/api/v1/partners', { programId, legalName: `Crowd ${i}`, nip: id, type: 'reseller' });
      expect(created.statusCode, created.body).toBe(201);
      const partnerId = created.json().id as string;
      const adj = await inject('POST', '/api/v1/ledger/adjustments', { partnerId, points: 500, reason: 'start', idempotencyKey: `start-${partnerId}` });
      expect(adj.statusCode, adj.body).toBe(201);
      partners.push({ id: partnerId, headers: await t.signInAs(['partner-user'], { partnerId }) });
    }
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  it('100 partners ordering the last 10 units at once: exactly 10 orders, no negative stock, no points lost', async () => {
    const reward = (
      await inject('POST', '/api/v1/catalogue/rewards', {
        programId,
        sku: 'LAST-10',
        type: 'event',
        name: { en: 'Conference ticket', pl: 'Bilet na konferencję', ru: 'Билет на конференцию' },
        description: { en: 'Partner summit', pl: 'Szczyt partnerów', ru: 'Саммит партнёров' },
        category: 'events',
        pricePoints: 300,
        stock: 10,
        status: 'active',
      })
    ).json();
    const answers = await Promise.all(partners.map((p, i) => inject('POST', '/api/v1/catalogue/orders', { rewardId: reward.id, quantity: 1, idempotencyKey: `crowd-${i}` }, p.headers)));
    const codes = answers.map((a) => (a.statusCode === 201 ? 'placed' : `${a.statusCode} ${a.json().code}`));
    const placed = codes.filter((c) => c === 'placed').length;
    expect(placed).toBe(10);
    expect(codes.filter((c) => c !== 'placed').every((c) => c === '409 CATALOGUE_OUT_OF_STOCK')).toBe(true);

    expect((await inject('GET', `/api/v1/catalogue/rewards/${reward.id}`)).json().stock).toBe(0);
    const em = t.orm.em.fork();
    const [rows] = await em.execute<{ orders: string; units: string }[]>(`select count(*)::text as orders, coalesce(sum(quantity), 0)::text as units from catalogue_order where reward_id = ?`, [reward.id]);
    expect(rows).toEqual({ orders: '10', units: '10' });
    // Every partner still has its 500 points: available + reserved; exactly the ten winners hold 300.
    let held = 0;
    for (const [i, p] of partners.entries()) {
      const b = (await inject('GET', `/api/v1/ledger/partners/${p.id}/balances`)).json();
      expect(b.available + b.reserved).toBe(500);
      if (answers[i]!.statusCode === 201) {
        expect(b).toMatchObject({ available: 200, reserved: 300 });
        held += 1;
      } else {
        expect(b).toMatchObject({ available: 500, reserved: 0 });
      }
    }
    expect(held).toBe(10);

    // One more try after the rush: still no stock, nothing taken.
    const late = await inject('POST', '/api/v1/catalogue/orders', { rewardId: reward.id, quantity: 1, idempotencyKey: 'late' }, partners[0]!.headers);
    expect([409]).toContain(late.statusCode);
  }, 120_000);
});
