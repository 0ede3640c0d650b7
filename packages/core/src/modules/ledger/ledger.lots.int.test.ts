import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { ledgerServiceRef, verifyLedger, type LedgerService } from '@laurel/core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import type { RequestContext } from '@laurel/plugin-sdk';
import { createTestDatabase } from '../../../../../test/database.ts';

const MONTH = 30 * 86_400_000;

describe('ledger: lots with expiry, holds, partial reversals', () => {
  let t: TestApp;
  let databaseUrl: string;
  let ledger: LedgerService;
  let programId: string;
  let db: pg.Client;
  let n = 0;

  const ctx = (): RequestContext =>
    t.host.createContext({ requestId: 'lots-test', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });

  async function newPartner(): Promise<string> {
    n += 1;
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/partners', headers: t.adminHeaders, payload: { programId, legalName: `Lots ${n}`, country: 'DE', euVat: `DE2000000${String(n).padStart(2, '0')}`, type: 'dealer' } });
    expect(res.statusCode).toBe(201);
    return res.json().id;
  }

  /** Remaining points per lot, keyed by the entry that created the lot. */
  async function remaining(partnerId: string): Promise<Record<number, number>> {
    return Object.fromEntries((await ledger.lots(ctx(), partnerId)).map((l) => [l.entryId, l.remaining]));
  }

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    t = await startTestApp({ databaseUrl, env: { LAUREL_DB_POOL_SIZE: '20' } });
    ledger = t.host.service(ledgerServiceRef);
    const program = await t.app.inject({
      method: 'POST',
      url: '/api/v1/programs',
      headers: t.adminHeaders,
      payload: { code: 'lots', name: { en: 'L', pl: 'L', ru: 'L' }, currency: 'PLN', pointValueMinorPerThousand: 1000, timeZone: 'Europe/Warsaw', expiryPolicy: { kind: 'months-after-earning', months: 24 } },
    });
    expect(program.statusCode).toBe(201);
    programId = program.json().id;
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  it('gives every earning a lot with its own expiry, shows what expires when, and expires exactly what is due', async () => {
    const p = await newPartner();
    const old = await ledger.earn(ctx(), { partnerId: p, points: 100, idempotencyKey: 'exp-old', earnedAt: new Date(Date.now() - 25 * MONTH), explanation: { invoice: 'FV/OLD' } });
    const soon = await ledger.earn(ctx(), { partnerId: p, points: 40, idempotencyKey: 'exp-soon', earnedAt: new Date(Date.now() - 23 * MONTH) });
    const fresh = await ledger.earn(ctx(), { partnerId: p, points: 250, idempotencyKey: 'exp-fresh' });
    const lots = await ledger.lots(ctx(), p);
    expect(lots.map((l) => l.entryId)).toEqual([old.entryId, soon.entryId, fresh.entryId]);
    expect(lots[0]).toMatchObject({ amount: 100, remaining: 100, explanation: { invoice: 'FV/OLD' } });
    expect(new Date(lots[2]!.expiresAt!).getTime()).toBeGreaterThan(Date.now() + 23 * MONTH);
    const balances = await ledger.balances(ctx(), p);
    // Both older lots are due within 90 days (one already is); the soonest date carries the 100 points.
    expect(balances).toMatchObject({ available: 390, expiringSoon: 140, nextExpiry: { points: 100, expiresAt: lots[0]!.expiresAt } });

    const first = await ledger.expireLots(ctx());
    expect(first.points).toBeGreaterThanOrEqual(100);
    expect(await ledger.balances(ctx(), p)).toMatchObject({ available: 290 });
    expect(await remaining(p)).toEqual({ [soon.entryId]: 40, [fresh.entryId]: 250 });
    // Running it again finds nothing; verify agrees with every projection.
    expect((await ledger.expireLots(ctx())).entries).toBe(0);
    const statement = await ledger.statement(ctx(), p, { limit: 1 });
    expect(statement.items[0]).toMatchObject({ kind: 'expire', amount: -100, balanceAfter: 290 });
    // Everything is due 30 months from now.
    await ledger.expireLots(ctx(), { cutoff: new Date(Date.now() + 30 * MONTH) });
    expect(await ledger.balances(ctx(), p)).toMatchObject({ available: 0, expiringSoon: 0, nextExpiry: null });
  });

  it('reserves from the soonest-expiring lots and gives back exactly those on release, capture and refund', async () => {
    const p = await newPartner();
    const a = await ledger.earn(ctx(), { partnerId: p, points: 100, idempotencyKey: 'fifo-a', earnedAt: new Date(Date.now() - 20 * MONTH) });
    const b = await ledger.earn(ctx(), { partnerId: p, points: 100, idempotencyKey: 'fifo-b' });
    const hold = await ledger.reserve(ctx(), { partnerId: p, points: 150, idempotencyKey: 'fifo-hold-1' });
    expect(await remaining(p)).toEqual({ [b.entryId]: 50 });
    await ledger.releaseHold(ctx(), { holdId: hold.entryId, idempotencyKey: 'fifo-release-1' });
    expect(await remaining(p)).toEqual({ [a.entryId]: 100, [b.entryId]: 100 });
    expect(await ledger.hold(ctx(), hold.entryId)).toMatchObject({ state: 'released', captured: 0 });

    // Capture 120 of 150: the 30 not redeemed go back to the latest-expiring lot the hold took.
    const second = await ledger.reserve(ctx(), { partnerId: p, points: 150, idempotencyKey: 'fifo-hold-2' });
    const capture = await ledger.capture(ctx(), { holdId: second.entryId, points: 120, idempotencyKey: 'fifo-capture' });
    expect(await remaining(p)).toEqual({ [b.entryId]: 80 });
    expect(await ledger.balances(ctx(), p)).toMatchObject({ available: 80, reserved: 0 });
    // A replay of the capture is the same entry; a second capture under a new key is refused.
    expect(await ledger.capture(ctx(), { holdId: second.entryId, points: 120, idempotencyKey: 'fifo-capture' })).toEqual({ ...capture, created: false });
    await expect(ledger.capture(ctx(), { holdId: second.entryId, idempotencyKey: 'fifo-capture-again' })).rejects.toMatchObject({ code: 'LEDGER_HOLD_NOT_OPEN' });

    // Refunding the redemption restores the very lots it consumed, with their own expiry dates.
    await ledger.reverse(ctx(), { entryId: capture.entryId, points: 20, reason: 'one item returned', idempotencyKey: 'fifo-refund-1' });
    expect(await remaining(p)).toEqual({ [b.entryId]: 100 });
    await ledger.reverse(ctx(), { entryId: capture.entryId, reason: 'order cancelled', idempotencyKey: 'fifo-refund-2' });
    expect(await remaining(p)).toEqual({ [a.entryId]: 100, [b.entryId]: 100 });
    await expect(ledger.reverse(ctx(), { entryId: capture.entryId, points: 1, reason: 'once more', idempotencyKey: 'fifo-refund-3' })).rejects.toMatchObject({ code: 'LEDGER_ALREADY_REVERSED' });
    expect(await ledger.balances(ctx(), p)).toMatchObject({ available: 200, reserved: 0 });
    await expect(ledger.reverse(ctx(), { entryId: second.entryId, reason: 'not this way', idempotencyKey: 'fifo-bad' })).rejects.toMatchObject({ code: 'LEDGER_REVERSAL_OF_HOLD' });
  });

  it('cannot capture a hold past its expiry; the sweep releases it, and an explicit release works too', async () => {
    const p = await newPartner();
    await ledger.earn(ctx(), { partnerId: p, points: 100, idempotencyKey: 'ttl-earn' });
    const a = await ledger.reserve(ctx(), { partnerId: p, points: 30, idempotencyKey: 'ttl-a', expiresAt: new Date(Date.now() + 400) });
    const b = await ledger.reserve(ctx(), { partnerId: p, points: 20, idempotencyKey: 'ttl-b', expiresAt: new Date(Date.now() + 400) });
    await expect(ledger.reserve(ctx(), { partnerId: p, points: 1, idempotencyKey: 'ttl-past', expiresAt: new Date(Date.now() - 1000) })).rejects.toMatchObject({ code: 'LEDGER_HOLD_EXPIRY_INVALID', status: 422 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    await expect(ledger.capture(ctx(), { holdId: a.entryId, idempotencyKey: 'ttl-capture' })).rejects.toMatchObject({ code: 'LEDGER_HOLD_EXPIRED' });
    await ledger.releaseHold(ctx(), { holdId: b.entryId, idempotencyKey: 'ttl-release-b' });
    expect(await ledger.expireHolds(ctx())).toBe(1);
    expect(await ledger.expireHolds(ctx())).toBe(0);
    expect(await ledger.hold(ctx(), a.entryId)).toMatchObject({ state: 'expired' });
    expect(await ledger.hold(ctx(), b.entryId)).toMatchObject({ state: 'released' });
    expect(await ledger.balances(ctx(), p)).toMatchObject({ available: 100, reserved: 0 });
  });

  it('reverses in parts, never more than the original, taking back the entry’s own lot first', async () => {
    const p = await newPartner();
    const x = await ledger.earn(ctx(), { partnerId: p, points: 100, idempotencyKey: 'part-x', earnedAt: new Date(Date.now() - 12 * MONTH) });
    const y = await ledger.earn(ctx(), { partnerId: p, points: 100, idempotencyKey: 'part-y' });
    await ledger.reverse(ctx(), { entryId: y.entryId, points: 30, reason: 'invoice corrected', idempotencyKey: 'part-1' });
    expect(await remaining(p)).toEqual({ [x.entryId]: 100, [y.entryId]: 70 });
    const again = await ledger.reverse(ctx(), { entryId: y.entryId, points: 30, reason: 'invoice corrected', idempotencyKey: 'part-1' });
    expect(again.created).toBe(false);
    await expect(ledger.reverse(ctx(), { entryId: y.entryId, points: 31, reason: 'invoice corrected', idempotencyKey: 'part-1' })).rejects.toMatchObject({ code: 'LEDGER_IDEMPOTENCY_CONFLICT' });
    await ledger.reverse(ctx(), { entryId: y.entryId, points: 50, reason: 'second correction', idempotencyKey: 'part-2' });
    await expect(ledger.reverse(ctx(), { entryId: y.entryId, points: 21, reason: 'too much', idempotencyKey: 'part-3' })).rejects.toMatchObject({ code: 'LEDGER_REVERSAL_EXCEEDS_ORIGINAL', params: { remaining: 20 } });
    const rest = await ledger.reverse(ctx(), { entryId: y.entryId, reason: 'the rest', idempotencyKey: 'part-4' });
    expect(rest.postings.map((q) => q.amount).sort((l, r) => l - r)).toEqual([-20, 20]);
    await expect(ledger.reverse(ctx(), { entryId: y.entryId, reason: 'again', idempotencyKey: 'part-5' })).rejects.toMatchObject({ code: 'LEDGER_ALREADY_REVERSED' });
    expect(await remaining(p)).toEqual({ [x.entryId]: 100 });

    // A debit adjustment takes lots FIFO; reversing it gives those lots back. Reversing an expiry re-credits.
    const debit = await ledger.adjust(ctx(), { partnerId: p, points: -60, reason: 'duplicate invoice', idempotencyKey: 'part-adj' });
    expect(await remaining(p)).toEqual({ [x.entryId]: 40 });
    await ledger.reverse(ctx(), { entryId: debit.entryId, reason: 'was not a duplicate', idempotencyKey: 'part-adj-rev' });
    expect(await remaining(p)).toEqual({ [x.entryId]: 100 });
    expect(await ledger.balances(ctx(), p)).toMatchObject({ available: 100 });
  });

  it('releases pending points against their earning, never more than it has pending, dating the lot from the earning', async () => {
    const p = await newPartner();
    const earnedAt = new Date(Date.now() - 2 * MONTH);
    const pending = await ledger.earn(ctx(), { partnerId: p, points: 100, idempotencyKey: 'pend-earn', pending: true, earnedAt });
    const release = await ledger.releasePending(ctx(), { partnerId: p, points: 60, idempotencyKey: 'pend-rel-1', earnEntryId: pending.entryId });
    await expect(ledger.releasePending(ctx(), { partnerId: p, points: 41, idempotencyKey: 'pend-rel-2', earnEntryId: pending.entryId })).rejects.toMatchObject({ code: 'LEDGER_RELEASE_EXCEEDS_PENDING', params: { remaining: 40 } });
    // The invoice is corrected: 10 of what is still pending is reversed; 30 remain to release.
    await ledger.reverse(ctx(), { entryId: pending.entryId, points: 10, reason: 'credit note', idempotencyKey: 'pend-rev' });
    await expect(ledger.reverse(ctx(), { entryId: pending.entryId, points: 31, reason: 'too much', idempotencyKey: 'pend-rev-2' })).rejects.toMatchObject({ code: 'LEDGER_RELEASE_EXCEEDS_PENDING' });
    await ledger.releasePending(ctx(), { partnerId: p, points: 30, idempotencyKey: 'pend-rel-3', earnEntryId: pending.entryId });
    expect(await ledger.balances(ctx(), p)).toMatchObject({ pending: 0, available: 90 });
    const lot = (await ledger.lots(ctx(), p)).find((l) => l.entryId === release.entryId)!;
    // The release's lot expires 24 months after the earning, not after the release.
    expect(new Date(lot.expiresAt!).getTime()).toBeLessThan(Date.now() + 23 * MONTH);
  });

  it('lets exactly 50 of 200 concurrent 10-point reservations through on 500 points held in 7 lots, every lot used up', async () => {
    const p = await newPartner();
    for (const [i, pts] of [100, 50, 70, 80, 60, 90, 50].entries()) {
      await ledger.earn(ctx(), { partnerId: p, points: pts, idempotencyKey: `race7-${i}`, earnedAt: new Date(Date.now() - i * MONTH) });
    }
    const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => ledger.reserve(ctx(), { partnerId: p, points: 10, idempotencyKey: `race7-hold-${i}` })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(50);
    expect(await ledger.balances(ctx(), p)).toMatchObject({ available: 0, reserved: 500 });
    expect(await ledger.lots(ctx(), p)).toEqual([]);
  }, 60_000);

  it('keeps cash (a rebate in PLN, in grosze) in wallets of its own unit, never expiring, never mixed with points', async () => {
    const p = await newPartner();
    await ledger.earn(ctx(), { partnerId: p, points: 500, idempotencyKey: 'cash-pts' });
    const rebate = await ledger.earn(ctx(), { partnerId: p, points: 1_234_56, unit: 'PLN', idempotencyKey: 'cash-rebate-q1', explanation: { rule: 'retro-rebate', period: '2026-Q1' } });
    expect(rebate.created).toBe(true);
    expect(await ledger.balances(ctx(), p, null, 'PLN')).toMatchObject({ unit: 'PLN', scale: 2, available: 123456, nextExpiry: null });
    expect(await ledger.balances(ctx(), p)).toMatchObject({ unit: 'PTS', scale: 0, available: 500 });
    expect((await ledger.lots(ctx(), p, null, 'PLN')).map((l) => [l.remaining, l.expiresAt])).toEqual([[123456, null]]);
    const hold = await ledger.reserve(ctx(), { partnerId: p, unit: 'PLN', points: 100_00, idempotencyKey: 'cash-hold' });
    await ledger.capture(ctx(), { holdId: hold.entryId, idempotencyKey: 'cash-capture' });
    expect(await ledger.balances(ctx(), p, null, 'PLN')).toMatchObject({ available: 113456, reserved: 0 });
    expect(await ledger.balances(ctx(), p, null, 'JPY')).toMatchObject({ scale: 0, available: 0 });
    await expect(ledger.earn(ctx(), { partnerId: p, points: 1, unit: 'XYZ', idempotencyKey: 'cash-bad' })).rejects.toMatchObject({ code: 'LEDGER_UNIT_INVALID', status: 422 });
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/ledger/partners/${p}/balances?unit=PLN`, headers: t.adminHeaders });
    expect(res.json()).toMatchObject({ unit: 'PLN', available: 113456 });
    // Every entry balances per unit: the PLN rebate debits the program's PLN account, not a points account.
    const { rows } = await db.query(`select a.unit, sum(p.amount)::int as s from ledger_posting p join ledger_account a on a.id = p.account_id where p.entry_id = $1 group by a.unit`, [rebate.entryId]);
    expect(rows).toEqual([{ unit: 'PLN', s: 0 }]);
  });

  it('keeps lots, holds and balances in agreement, as verify checks', async () => {
    const report = await verifyLedger(t.orm.em.fork() as never);
    expect(report.problems).toEqual([]);
    const { rows } = await db.query(`select count(*)::int as n from ledger_lot_use`);
    expect(rows[0].n).toBeGreaterThan(0);
    await expect(db.query('delete from ledger_lot_use')).rejects.toThrow(/append-only/);
    await expect(db.query('update ledger_lot set amount = amount + 1')).rejects.toThrow(/only their remaining/);
  });

  it('chains what an entry did to lots: moving a lot’s expiry date breaks the hash chain, and verify names the entry', async () => {
    const { sealLedger } = await import('@laurel/core');
    await sealLedger(t.orm.em.fork() as never);
    expect((await verifyLedger(t.orm.em.fork() as never)).problems).toEqual([]);
    const { rows } = await db.query(`select l.entry_id from ledger_lot l join ledger_seal s on s.entry_id = l.entry_id where l.expires_at is not null order by l.entry_id limit 1`);
    const entry = rows[0].entry_id;
    await db.query('alter table ledger_lot disable trigger ledger_lot_guard');
    await db.query(`update ledger_lot set expires_at = expires_at - interval '1 year' where entry_id = $1`, [entry]);
    await db.query('alter table ledger_lot enable trigger ledger_lot_guard');
    const problems = (await verifyLedger(t.orm.em.fork() as never)).problems;
    expect(problems.map((p) => p.detail)).toEqual([expect.stringMatching(new RegExp(`^entry ${entry} of program .* was altered after it was posted$`))]);
  });
});
