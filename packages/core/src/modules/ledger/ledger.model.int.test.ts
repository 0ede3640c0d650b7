import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ledgerServiceRef, type LedgerService } from '@laurel/core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import type { RequestContext } from '@laurel/plugin-sdk';
import { createTestDatabase } from '../../../../../test/database.ts';
import { lotExpiry } from './ledger.expiry.ts';

/**
 * Model-based test: random sequences of ledger operations run against the real PostgreSQL and, one by one, against
 * a plain reference model of one wallet (balances, lots with expiry, holds). After every step the database must
 * equal the model exactly — balances, every open lot's remaining points, every hold's state — and every refusal must
 * be the one the model predicts. Replays of earlier steps must change nothing.
 */

const MONTH = 30 * 86_400_000;
const POLICY = { kind: 'months-after-earning', months: 24 } as const;
const ZONE = 'Europe/Warsaw';

interface Lot {
  entryId: number;
  remaining: number;
  expiresAt: number; // ms; Infinity never
}
interface Hold {
  id: number;
  amount: number;
  state: 'open' | 'captured' | 'released';
  captured: number;
  refunded: number;
  /** Net points taken from each lot (by its entry id), as the database's restore sees them. */
  took: Map<number, number>;
}
interface Earn {
  entryId: number;
  amount: number;
  reversed: number;
}
interface Debit {
  entryId: number;
  amount: number;
  restored: number;
  took: Map<number, number>;
}

type Cmd =
  | { op: 'earn'; points: number; monthsAgo: number }
  | { op: 'earnPending'; points: number }
  | { op: 'release'; pick: number; points: number }
  | { op: 'reserve'; points: number }
  | { op: 'capture'; pick: number; points: number }
  | { op: 'releaseHold'; pick: number }
  | { op: 'adjust'; points: number }
  | { op: 'reverseEarn'; pick: number; points: number }
  | { op: 'refund'; pick: number; points: number }
  | { op: 'reverseDebit'; pick: number }
  | { op: 'expire'; monthsAhead: number }
  | { op: 'replay'; pick: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('earn' as const), points: fc.integer({ min: 1, max: 300 }), monthsAgo: fc.integer({ min: 0, max: 22 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('earnPending' as const), points: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('release' as const), pick: fc.nat(), points: fc.integer({ min: 1, max: 200 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('reserve' as const), points: fc.integer({ min: 1, max: 400 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('capture' as const), pick: fc.nat(), points: fc.integer({ min: 1, max: 400 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('releaseHold' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('adjust' as const), points: fc.integer({ min: -300, max: 300 }).filter((n) => n !== 0) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('reverseEarn' as const), pick: fc.nat(), points: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('refund' as const), pick: fc.nat(), points: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reverseDebit' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('expire' as const), monthsAhead: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('replay' as const), pick: fc.nat() }) },
);

describe('ledger: the database equals a reference model after every step', () => {
  let t: TestApp;
  let ledger: LedgerService;
  let programId: string;
  let partnerNo = 0;

  const ctx = (): RequestContext =>
    t.host.createContext({ requestId: 'ledger-model', locale: 'en', actor: { kind: 'system', name: 'model' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase() });
    ledger = t.host.service(ledgerServiceRef);
    const program = await t.app.inject({
      method: 'POST',
      url: '/api/v1/programs',
      headers: t.adminHeaders,
      payload: { code: 'model', name: { en: 'M', pl: 'M', ru: 'M' }, currency: 'PLN', pointValueMinorPerThousand: 1000, timeZone: ZONE, expiryPolicy: POLICY },
    });
    programId = program.json().id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('matches the model exactly: balances, lots, holds and refusals, replays included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 10, maxLength: 45 }), async (cmds) => {
        partnerNo += 1;
        const res = await t.app.inject({ method: 'POST', url: '/api/v1/partners', headers: t.adminHeaders, payload: { programId, legalName: `Model ${partnerNo}`, country: 'DE', euVat: `DE4${String(partnerNo).padStart(8, '0')}`, type: 'dealer' } });
        const partnerId = res.json().id as string;
        // The model.
        let pending = 0;
        let reserved = 0;
        const lots: Lot[] = [];
        const holds: Hold[] = [];
        const earns: Earn[] = [];
        const pendings: { entryId: number; left: number; earnedAt: number }[] = [];
        const debits: Debit[] = [];
        const done: { call: () => Promise<unknown> }[] = [];
        const available = () => lots.reduce((s, l) => s + l.remaining, 0);
        const fifo = () => [...lots].filter((l) => l.remaining > 0).sort((a, b) => a.expiresAt - b.expiresAt || a.entryId - b.entryId);
        const consume = (n: number, own?: number) => {
          const took = new Map<number, number>();
          let left = n;
          const order = fifo();
          const first = own === undefined ? [] : order.filter((l) => l.entryId === own);
          for (const l of [...first, ...order.filter((x) => x.entryId !== own)]) {
            if (left === 0) break;
            const k = Math.min(l.remaining, left);
            l.remaining -= k;
            left -= k;
            took.set(l.entryId, (took.get(l.entryId) ?? 0) + k);
          }
          return took;
        };
        const restore = (n: number, took: Map<number, number>) => {
          let left = n;
          const order = [...took.entries()].filter(([, k]) => k > 0).map(([id, k]) => ({ lot: lots.find((l) => l.entryId === id)!, k }));
          order.sort((a, b) => b.lot.expiresAt - a.lot.expiresAt || b.lot.entryId - a.lot.entryId);
          for (const { lot, k } of order) {
            if (left === 0) break;
            const give = Math.min(k, left);
            lot.remaining += give;
            took.set(lot.entryId, k - give);
            left -= give;
          }
        };
        const lotOf = (entryId: number, amount: number, earnedAt: number) => lots.push({ entryId, remaining: amount, expiresAt: lotExpiry(POLICY, new Date(earnedAt), ZONE)?.getTime() ?? Infinity });
        const pick = <T,>(xs: T[], i: number): T | undefined => (xs.length ? xs[i % xs.length] : undefined);
        const refused = async (call: Promise<unknown>, code: string) => {
          await expect(call).rejects.toMatchObject({ code });
        };

        for (const [i, c] of cmds.entries()) {
          const key = `m${partnerNo}-${i}`;
          const now = Date.now();
          switch (c.op) {
            case 'earn': {
              const earnedAt = new Date(now - c.monthsAgo * MONTH);
              const call = () => ledger.earn(ctx(), { partnerId, points: c.points, idempotencyKey: key, earnedAt });
              const r = await call();
              lotOf(r.entryId, c.points, earnedAt.getTime());
              earns.push({ entryId: r.entryId, amount: c.points, reversed: 0 });
              done.push({ call });
              break;
            }
            case 'earnPending': {
              const call = () => ledger.earn(ctx(), { partnerId, points: c.points, idempotencyKey: key, pending: true });
              const r = await call();
              pending += c.points;
              pendings.push({ entryId: r.entryId, left: c.points, earnedAt: now });
              done.push({ call });
              break;
            }
            case 'release': {
              const p = pick(pendings, c.pick);
              if (!p) break;
              const call = () => ledger.releasePending(ctx(), { partnerId, points: c.points, earnEntryId: p.entryId, idempotencyKey: key });
              if (c.points > p.left) {
                await refused(call(), 'LEDGER_RELEASE_EXCEEDS_PENDING');
                break;
              }
              const r = await call();
              p.left -= c.points;
              pending -= c.points;
              lotOf(r.entryId, c.points, p.earnedAt);
              done.push({ call });
              break;
            }
            case 'reserve': {
              const call = () => ledger.reserve(ctx(), { partnerId, points: c.points, idempotencyKey: key });
              if (c.points > available()) {
                await refused(call(), 'LEDGER_INSUFFICIENT_BALANCE');
                break;
              }
              const r = await call();
              holds.push({ id: r.entryId, amount: c.points, state: 'open', captured: 0, refunded: 0, took: consume(c.points) });
              reserved += c.points;
              done.push({ call });
              break;
            }
            case 'capture': {
              const h = pick(holds, c.pick);
              if (!h) break;
              const points = 1 + ((c.points - 1) % h.amount);
              const call = () => ledger.capture(ctx(), { holdId: h.id, points, idempotencyKey: key });
              if (h.state !== 'open') {
                await refused(call(), 'LEDGER_HOLD_NOT_OPEN');
                break;
              }
              await call();
              h.state = 'captured';
              h.captured = points;
              reserved -= h.amount;
              restore(h.amount - points, h.took);
              done.push({ call });
              break;
            }
            case 'releaseHold': {
              const h = pick(holds, c.pick);
              if (!h) break;
              const call = () => ledger.releaseHold(ctx(), { holdId: h.id, idempotencyKey: key });
              if (h.state !== 'open') {
                await refused(call(), 'LEDGER_HOLD_NOT_OPEN');
                break;
              }
              await call();
              h.state = 'released';
              reserved -= h.amount;
              restore(h.amount, h.took);
              done.push({ call });
              break;
            }
            case 'adjust': {
              const call = () => ledger.adjust(ctx(), { partnerId, points: c.points, reason: 'model adjustment', idempotencyKey: key });
              if (c.points < 0 && -c.points > available()) {
                await refused(call(), 'LEDGER_INSUFFICIENT_BALANCE');
                break;
              }
              const r = await call();
              if (c.points > 0) lotOf(r.entryId, c.points, now);
              else debits.push({ entryId: r.entryId, amount: -c.points, restored: 0, took: consume(-c.points) });
              done.push({ call });
              break;
            }
            case 'reverseEarn': {
              const e = pick(earns, c.pick);
              if (!e) break;
              const call = () => ledger.reverse(ctx(), { entryId: e.entryId, points: c.points, reason: 'model reversal', idempotencyKey: key });
              if (e.amount - e.reversed === 0) {
                await refused(call(), 'LEDGER_ALREADY_REVERSED');
                break;
              }
              if (c.points > e.amount - e.reversed) {
                await refused(call(), 'LEDGER_REVERSAL_EXCEEDS_ORIGINAL');
                break;
              }
              if (c.points > available()) {
                await refused(call(), 'LEDGER_INSUFFICIENT_BALANCE');
                break;
              }
              await call();
              e.reversed += c.points;
              consume(c.points, e.entryId);
              done.push({ call });
              break;
            }
            case 'refund': {
              const h = pick(
                holds.filter((x) => x.state === 'captured'),
                c.pick,
              );
              if (!h) break;
              const capture = (await ledger.hold(ctx(), h.id)).resolveEntryId!;
              const call = () => ledger.reverse(ctx(), { entryId: capture, points: c.points, reason: 'model refund', idempotencyKey: key });
              if (h.captured - h.refunded === 0) {
                await refused(call(), 'LEDGER_ALREADY_REVERSED');
                break;
              }
              if (c.points > h.captured - h.refunded) {
                await refused(call(), 'LEDGER_REVERSAL_EXCEEDS_ORIGINAL');
                break;
              }
              await call();
              h.refunded += c.points;
              restore(c.points, h.took);
              done.push({ call });
              break;
            }
            case 'reverseDebit': {
              const d = pick(debits, c.pick);
              if (!d) break;
              const call = () => ledger.reverse(ctx(), { entryId: d.entryId, reason: 'model debit reversal', idempotencyKey: key });
              if (d.restored === d.amount) {
                await refused(call(), 'LEDGER_ALREADY_REVERSED');
                break;
              }
              await call();
              restore(d.amount - d.restored, d.took);
              d.restored = d.amount;
              done.push({ call });
              break;
            }
            case 'expire': {
              const cutoff = now + c.monthsAhead * MONTH;
              await ledger.expireLots(ctx(), { cutoff: new Date(cutoff) });
              for (const l of lots) if (l.expiresAt <= cutoff) l.remaining = 0;
              break;
            }
            case 'replay': {
              const earlier = pick(done, c.pick);
              if (!earlier) break;
              const r = (await earlier.call()) as { created: boolean };
              expect(r.created).toBe(false);
              break;
            }
          }
          // After every step: the database equals the model.
          const balances = await ledger.balances(ctx(), partnerId);
          expect({ step: i, op: c.op, available: balances.available, pending: balances.pending, reserved: balances.reserved }).toEqual({ step: i, op: c.op, available: available(), pending, reserved });
          const dbLots = Object.fromEntries((await ledger.lots(ctx(), partnerId)).map((l) => [l.entryId, l.remaining]));
          expect(dbLots).toEqual(Object.fromEntries(lots.filter((l) => l.remaining > 0).map((l) => [l.entryId, l.remaining])));
        }
        for (const h of holds) expect((await ledger.hold(ctx(), h.id)).state).toBe(h.state);
      }),
      { numRuns: Number(process.env.LEDGER_PROP_RUNS ?? 12) },
    );
  }, 180_000);
});
