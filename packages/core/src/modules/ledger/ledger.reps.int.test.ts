import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerServiceRef, verifyLedger, type LedgerService } from '@laurel/core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import type { RequestContext } from '@laurel/plugin-sdk';
import { createTestDatabase } from '../../../../../test/database.ts';

describe('ledger: rep wallets and the rep split', () => {
  let t: TestApp;
  let ledger: LedgerService;
  let partnerId: string;
  let otherPartnerId: string;
  let rep: Awaited<ReturnType<TestApp['signInAs']>>;
  let stranger: Awaited<ReturnType<TestApp['signInAs']>>;

  const ctx = (): RequestContext =>
    t.host.createContext({ requestId: 'reps-test', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase() });
    ledger = t.host.service(ledgerServiceRef);
    const program = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/programs',
        headers: t.adminHeaders,
        payload: { code: 'reps', name: { en: 'R', pl: 'R', ru: 'R' }, currency: 'PLN', pointValueMinorPerThousand: 1000, repSplitPolicy: { repPercent: 30 } },
      })
    ).json();
    const mk = async (euVat: string) => (await t.app.inject({ method: 'POST', url: '/api/v1/partners', headers: t.adminHeaders, payload: { programId: program.id, legalName: euVat, country: 'DE', euVat, type: 'reseller' } })).json().id as string;
    partnerId = await mk('DE300000001');
    otherPartnerId = await mk('DE300000002');
    rep = await t.signInAs(['partner-user'], { partnerId });
    stranger = await t.signInAs(['partner-user'], { partnerId: otherPartnerId });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('splits an earning between the company and the rep who sold, by the program policy, each with its own lot', async () => {
    const entry = await ledger.earn(ctx(), { partnerId, points: 1001, idempotencyKey: 'split-1', repUserId: rep.userId, explanation: { invoice: 'FV/7' } });
    expect(entry.postings.map((p) => p.amount).sort((a, b) => a - b)).toEqual([-1001, 300, 701]);
    expect(await ledger.balances(ctx(), partnerId)).toMatchObject({ available: 701 });
    expect(await ledger.balances(ctx(), partnerId, rep.userId)).toMatchObject({ available: 300 });
    expect((await ledger.lots(ctx(), partnerId, rep.userId)).map((l) => l.remaining)).toEqual([300]);
    // A replay is the same entry, whatever the policy says by then; without a rep the company gets everything.
    expect((await ledger.earn(ctx(), { partnerId, points: 1001, idempotencyKey: 'split-1', repUserId: rep.userId, explanation: { invoice: 'FV/7' } })).created).toBe(false);
    await ledger.earn(ctx(), { partnerId, points: 100, idempotencyKey: 'split-2' });
    expect(await ledger.balances(ctx(), partnerId)).toMatchObject({ available: 801 });
    // Someone of another partner is not a rep of this one.
    await expect(ledger.earn(ctx(), { partnerId, points: 10, idempotencyKey: 'split-3', repUserId: stranger.userId })).rejects.toMatchObject({ code: 'LEDGER_REP_NOT_OF_PARTNER', status: 422 });
  });

  it('splits pending points too, and releases them to each wallet as they were split', async () => {
    const pending = await ledger.earn(ctx(), { partnerId, points: 200, idempotencyKey: 'split-pending', pending: true, repUserId: rep.userId });
    expect(await ledger.balances(ctx(), partnerId, rep.userId)).toMatchObject({ pending: 60 });
    await ledger.releasePending(ctx(), { partnerId, earnEntryId: pending.entryId, points: 100, idempotencyKey: 'split-release-1' });
    expect(await ledger.balances(ctx(), partnerId, rep.userId)).toMatchObject({ pending: 30, available: 330 });
    await ledger.releasePending(ctx(), { partnerId, earnEntryId: pending.entryId, idempotencyKey: 'split-release-2' });
    expect(await ledger.balances(ctx(), partnerId)).toMatchObject({ pending: 0, available: 941 });
    expect(await ledger.balances(ctx(), partnerId, rep.userId)).toMatchObject({ pending: 0, available: 360 });
  });

  it('lets a rep redeem from their own wallet, and reverses a split earning from both wallets', async () => {
    const hold = await ledger.reserve(ctx(), { partnerId, userId: rep.userId, points: 50, idempotencyKey: 'rep-hold' });
    await ledger.capture(ctx(), { holdId: hold.entryId, idempotencyKey: 'rep-capture' });
    expect(await ledger.balances(ctx(), partnerId, rep.userId)).toMatchObject({ available: 310, reserved: 0 });
    const [entry] = (await ledger.statement(ctx(), partnerId, { limit: 100, userId: rep.userId })).items.filter((i) => i.kind === 'earn');
    await ledger.reverse(ctx(), { entryId: entry!.entryId, points: 101, reason: 'invoice corrected', idempotencyKey: 'split-rev' });
    // 101 of 1001 reversed: the rep gives back 30 (of 300), the company 71 (of 701).
    expect(await ledger.balances(ctx(), partnerId, rep.userId)).toMatchObject({ available: 280 });
    expect(await ledger.balances(ctx(), partnerId)).toMatchObject({ available: 870 });
    expect((await verifyLedger(t.orm.em.fork() as never)).problems).toEqual([]);
  });

  it('shows a rep their own wallet and the company’s, and nobody else’s', async () => {
    const mine = await t.app.inject({ method: 'GET', url: '/api/v1/ledger/me/rep/balances', headers: rep });
    expect(mine.json()).toMatchObject({ partnerId, available: 280 });
    const statement = await t.app.inject({ method: 'GET', url: '/api/v1/ledger/me/rep/statement', headers: rep });
    expect(statement.json().items.length).toBeGreaterThan(3);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/ledger/me/balances', headers: rep })).json()).toMatchObject({ available: 870 });
    const theirs = await t.app.inject({ method: 'GET', url: '/api/v1/ledger/me/rep/balances', headers: stranger });
    expect(theirs.json()).toMatchObject({ partnerId: otherPartnerId, available: 0 });
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/ledger/partners/${partnerId}/reps/${rep.userId}/balances`, headers: stranger })).statusCode).toBe(403);
    // The rep's own statement with filters and as CSV, and the rep wallet as of now, like the company's.
    const earnings = await t.app.inject({ method: 'GET', url: '/api/v1/ledger/me/statement.json?wallet=own&kind=earn', headers: rep });
    expect(earnings.json().items.map((i: { amount: number }) => i.amount)).toEqual([300]);
    const csv = await t.app.inject({ method: 'GET', url: '/api/v1/ledger/me/statement.csv?wallet=own', headers: rep });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.trim().split('\r\n').at(1)!.split(',')[5]).toBe('280');
    const asOf = await t.app.inject({ method: 'GET', url: `/api/v1/ledger/partners/${partnerId}/balances/as-of?asOf=${encodeURIComponent(new Date(Date.now() + 1000).toISOString())}&rep=${rep.userId}`, headers: t.adminHeaders });
    expect(asOf.json()).toMatchObject({ available: 280 });
    const lots = (await t.app.inject({ method: 'GET', url: `/api/v1/ledger/partners/${partnerId}/reps/${rep.userId}/lots`, headers: t.adminHeaders })).json() as { remaining: number }[];
    // The split earning's lot (less the redemption and the reversal) and one lot from each release.
    expect(lots.map((l) => l.remaining)).toEqual([220, 30, 30]);
  });
});
