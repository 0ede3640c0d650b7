import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import pg from 'pg';
import { ledgerServiceRef, sealLedger, verifyLedger, type LedgerService } from '@laurel/core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import type { RequestContext } from '@laurel/plugin-sdk';
import { createTestDatabase } from '../../../../../test/database.ts';

describe('ledger: double entry, idempotency, guarded balances', () => {
  let t: TestApp;
  let databaseUrl: string;
  let ledger: LedgerService;
  const partners: string[] = [];

  const ctx = (): RequestContext =>
    t.host.createContext({ requestId: 'ledger-test', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });

  async function invariants(): Promise<Record<string, unknown[]>> {
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const q = async (sql: string) => (await db.query(sql)).rows;
      return {
        unbalancedEntries: await q(`select e.id, a.unit from ledger_entry e join ledger_posting p on p.entry_id = e.id join ledger_account a on a.id = p.account_id group by e.id, a.unit having sum(p.amount) <> 0`),
        balanceMismatches: await q(`select b.account_id from ledger_balance b left join (select account_id, sum(amount) s from ledger_posting group by account_id) x using (account_id) where b.balance <> coalesce(x.s, 0)`),
        negativeGuarded: await q(`select account_id from ledger_balance where guarded and balance < 0`),
        runningBalanceBreaks: await q(`select account_id from (select account_id, balance_after, sum(amount) over (partition by account_id order by entry_id) s from ledger_posting) x where balance_after <> s`),
        lotsNotAvailable: await q(`select b.account_id from ledger_balance b join ledger_account a on a.id = b.account_id left join (select account_id, sum(remaining) s from ledger_lot group by account_id) l using (account_id) where a.code = 'available' and b.balance <> coalesce(l.s, 0)`),
        lotUsesOff: await q(`select l.account_id, l.entry_id from ledger_lot l left join (select account_id, lot_entry_id, sum(amount) s from ledger_lot_use group by 1, 2) u on u.account_id = l.account_id and u.lot_entry_id = l.entry_id where l.remaining <> l.amount - coalesce(u.s, 0)`),
        holdsNotReserved: await q(`select b.account_id from ledger_balance b join ledger_account a on a.id = b.account_id left join (select reserved_account_id as account_id, sum(amount) s from ledger_hold where state = 'open' group by 1) h using (account_id) where a.code = 'reserved' and b.balance <> coalesce(h.s, 0)`),
      };
    } finally {
      await db.end();
    }
  }

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    t = await startTestApp({ databaseUrl, env: { LAUREL_DB_POOL_SIZE: '20' } });
    ledger = t.host.service(ledgerServiceRef);
    const program = (await t.app.inject({ method: 'POST', url: '/api/v1/programs', headers: t.adminHeaders, payload: { code: 'ledger', name: { en: 'L', pl: 'L', ru: 'L' }, currency: 'PLN', pointValueMinorPerThousand: 1000 } })).json();
    for (const [i, euVat] of ['DE100000001', 'DE100000002', 'DE100000003'].entries()) {
      partners.push((await t.app.inject({ method: 'POST', url: '/api/v1/partners', headers: t.adminHeaders, payload: { programId: program.id, legalName: `Wallet ${i}`, country: 'DE', euVat, type: 'dealer' } })).json().id);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('earns, shows the balance and the why, and treats a replay as the same entry', async () => {
    const p = partners[0]!;
    const first = await ledger.earn(ctx(), { partnerId: p, points: 1200, idempotencyKey: 'inv-1/line-1', explanation: { rule: 'base', invoice: 'FV/1', line: 1 } });
    expect(first.created).toBe(true);
    const replay = await ledger.earn(ctx(), { partnerId: p, points: 1200, idempotencyKey: 'inv-1/line-1', explanation: { rule: 'base', invoice: 'FV/1', line: 1 } });
    expect(replay).toEqual({ ...first, created: false });
    await expect(ledger.earn(ctx(), { partnerId: p, points: 999, idempotencyKey: 'inv-1/line-1' })).rejects.toMatchObject({ code: 'LEDGER_IDEMPOTENCY_CONFLICT', status: 409 });
    await ledger.earn(ctx(), { partnerId: p, points: 300, idempotencyKey: 'inv-2', pending: true });
    expect(await ledger.balances(ctx(), p)).toMatchObject({ available: 1200, pending: 300, reserved: 0 });
    const statement = await ledger.statement(ctx(), p, { limit: 10 });
    expect(statement.items[1]).toMatchObject({ kind: 'earn', account: 'available', amount: 1200, balanceAfter: 1200, explanation: { rule: 'base', invoice: 'FV/1' } });
  });

  it('moves points through pending, reserved and redeemed, and never overspends', async () => {
    const p = partners[1]!;
    await ledger.earn(ctx(), { partnerId: p, points: 100, idempotencyKey: 'p1-earn', pending: true });
    await ledger.releasePending(ctx(), { partnerId: p, points: 100, idempotencyKey: 'p1-release' });
    await expect(ledger.reserve(ctx(), { partnerId: p, points: 101, idempotencyKey: 'p1-too-much' })).rejects.toMatchObject({ code: 'LEDGER_INSUFFICIENT_BALANCE', params: { shortBy: 1 } });
    const hold = await ledger.reserve(ctx(), { partnerId: p, points: 60, idempotencyKey: 'p1-hold' });
    await ledger.capture(ctx(), { holdId: hold.entryId, points: 40, idempotencyKey: 'p1-capture' });
    await expect(ledger.releaseHold(ctx(), { holdId: hold.entryId, idempotencyKey: 'p1-unhold' })).rejects.toMatchObject({ code: 'LEDGER_HOLD_NOT_OPEN' });
    expect(await ledger.balances(ctx(), p)).toMatchObject({ pending: 0, available: 60, reserved: 0 });
    expect(await ledger.hold(ctx(), hold.entryId)).toMatchObject({ state: 'captured', amount: 60, captured: 40 });
  });

  it('earns many entries in one round trip, each replayed or refused on its own', async () => {
    const [a, b] = [partners[1]!, partners[1]!];
    const start = await ledger.balances(ctx(), a);
    const results = await ledger.earnMany(ctx(), [
      { partnerId: a, points: 7, idempotencyKey: 'batch-1', explanation: { line: 1 } },
      { partnerId: b, points: 9, idempotencyKey: 'batch-2', explanation: { line: 2 } },
      { partnerId: a, points: 7, idempotencyKey: 'batch-1', explanation: { line: 1 } },
      { partnerId: a, points: 8, idempotencyKey: 'batch-1' },
    ]);
    expect(results.map((r) => (r.ok ? (r.entry.created ? 'created' : 'replayed') : r.error.code))).toEqual(['created', 'created', 'replayed', 'LEDGER_IDEMPOTENCY_CONFLICT']);
    expect((await ledger.balances(ctx(), a)).available).toBe(start.available + 7 + 9);
  });

  it('commits earnings arriving together as a group, each with its own result, replay or conflict', async () => {
    const p = partners[1]!;
    const start = (await ledger.balances(ctx(), p)).available;
    const results = await Promise.allSettled([
      ledger.earn(ctx(), { partnerId: p, points: 5, idempotencyKey: 'group-a' }),
      ledger.earn(ctx(), { partnerId: p, points: 5, idempotencyKey: 'group-a' }),
      ledger.earn(ctx(), { partnerId: p, points: 6, idempotencyKey: 'group-a' }),
      ledger.earn(ctx(), { partnerId: partners[0]!, points: 7, idempotencyKey: 'group-b', pending: true }),
      ledger.earn(ctx(), { partnerId: p, points: 8, idempotencyKey: 'group-c' }),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? (r.value.created ? 'created' : 'replayed') : (r.reason as { code: string }).code))).toEqual(['created', 'replayed', 'LEDGER_IDEMPOTENCY_CONFLICT', 'created', 'created']);
    const [a, b] = results as PromiseFulfilledResult<Awaited<ReturnType<LedgerService['earn']>>>[];
    expect(b!.value.entryId).toBe(a!.value.entryId);
    expect((await ledger.balances(ctx(), p)).available).toBe(start + 13);
    // Each earning's postings carry the balance after it, in entry order.
    const c = (results[4] as PromiseFulfilledResult<Awaited<ReturnType<LedgerService['earn']>>>).value;
    expect(Math.max(...c.postings.map((q) => q.balanceAfter))).toBe(start + 13);
  });

  it('pages the statement by whole entries: an entry with two lines in the wallet never splits across pages', async () => {
    const p = partners[0]!;
    const hold = await ledger.reserve(ctx(), { partnerId: p, points: 3, idempotencyKey: 'page-hold' });
    const lines: { entryId: number; account: string }[] = [];
    let before: number | undefined;
    for (let i = 0; i < 100; i += 1) {
      const page = await ledger.statement(ctx(), p, { limit: 1, before });
      lines.push(...page.items);
      if (page.nextBefore === null) break;
      before = page.nextBefore;
    }
    expect(lines.filter((l) => l.entryId === hold.entryId).map((l) => l.account).sort()).toEqual(['available', 'reserved']);
    const all = await ledger.statement(ctx(), p, { limit: 500 });
    expect(lines).toEqual(all.items);
    await ledger.releaseHold(ctx(), { holdId: hold.entryId, idempotencyKey: 'page-unhold' });
  });

  it('spreads earnings over the shards of the program account, the same shard for a replay', async () => {
    await ledger.earnMany(ctx(), Array.from({ length: 64 }, (_, i) => ({ partnerId: partners[1]!, points: 1, idempotencyKey: `spread-${i}` })));
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const { rows } = await db.query(`select count(distinct p.account_id)::int as n from ledger_posting p join ledger_account a on a.id = p.account_id join ledger_entry e on e.id = p.entry_id where a.code = 'issued' and e.idempotency_key like 'spread-%'`);
    await db.end();
    expect(rows[0].n).toBeGreaterThan(8);
    const replay = await ledger.earnMany(ctx(), [{ partnerId: partners[1]!, points: 1, idempotencyKey: 'spread-3' }]);
    expect(replay[0]).toMatchObject({ ok: true, entry: { created: false } });
  });

  it('lets exactly 50 of 200 concurrent 10-point reservations through on a balance of 500', async () => {
    const p = partners[2]!;
    await ledger.earn(ctx(), { partnerId: p, points: 500, idempotencyKey: 'race-earn' });
    const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => ledger.reserve(ctx(), { partnerId: p, points: 10, idempotencyKey: `race-${i}` })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(50);
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failures.every((f) => (f.reason as { code?: string }).code === 'LEDGER_INSUFFICIENT_BALANCE')).toBe(true);
    expect(await ledger.balances(ctx(), p)).toMatchObject({ available: 0, reserved: 500 });
  }, 60_000);

  it('reverses an entry once, with a reason, through the API; adjustments are audited', async () => {
    const p = partners[0]!;
    const adjust = await t.app.inject({ method: 'POST', url: '/api/v1/ledger/adjustments', headers: t.adminHeaders, payload: { partnerId: p, points: 50, reason: 'goodwill after a dispute', idempotencyKey: 'adj-1' } });
    expect(adjust.statusCode).toBe(201);
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/ledger/adjustments', headers: t.adminHeaders, payload: { partnerId: p, points: 50, reason: 'goodwill after a dispute', idempotencyKey: 'adj-1' } });
    expect(again.statusCode).toBe(200);
    const entryId = adjust.json().entryId;
    const reversal = await t.app.inject({ method: 'POST', url: `/api/v1/ledger/entries/${entryId}/reversal`, headers: t.adminHeaders, payload: { reason: 'entered twice', idempotencyKey: 'rev-1' } });
    expect(reversal.statusCode).toBe(201);
    const twice = await t.app.inject({ method: 'POST', url: `/api/v1/ledger/entries/${entryId}/reversal`, headers: t.adminHeaders, payload: { reason: 'again', idempotencyKey: 'rev-2' } });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().code).toBe('LEDGER_ALREADY_REVERSED');
    const marketing = await t.signInAs(['marketing']);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/ledger/adjustments', headers: marketing, payload: { partnerId: p, points: 1, reason: 'nope', idempotencyKey: 'x' } })).statusCode).toBe(403);
    const audit = await t.app.inject({ method: 'GET', url: '/api/v1/audit/records?action=ledger.', headers: t.adminHeaders });
    expect(audit.json().items.map((r: { action: string }) => r.action).sort()).toEqual(['ledger.entry.adjusted', 'ledger.entry.reversed']);
  });

  it('shows a partner user only their own balances; another partner is a 404', async () => {
    const own = await t.signInAs(['partner-user'], { partnerId: partners[0] });
    const mine = await t.app.inject({ method: 'GET', url: '/api/v1/ledger/me/balances', headers: own });
    expect(mine.json()).toMatchObject({ partnerId: partners[0], available: 1200 });
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/ledger/partners/${partners[1]}/balances`, headers: own })).statusCode).toBe(403);
    const staff = await t.signInAs(['finance']);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/ledger/partners/${partners[1]}/statement`, headers: staff })).statusCode).toBe(200);
  });

  it('refuses to change or delete the journal', async () => {
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    await expect(db.query('update ledger_posting set amount = amount + 1')).rejects.toThrow(/append-only/);
    await expect(db.query('delete from ledger_entry')).rejects.toThrow(/append-only/);
    await expect(db.query('update ledger_balance set balance = -1 where guarded')).rejects.toThrow(/check constraint/);
    await db.end();
  });

  it('keeps every invariant after random concurrent sequences, and replaying them changes nothing', async () => {
    const op = fc.record({
      kind: fc.constantFrom('earn', 'earn_pending', 'earn_batch', 'release', 'reserve', 'capture', 'release_hold', 'adjust', 'reverse', 'expire'),
      partner: fc.integer({ min: 0, max: 2 }),
      points: fc.integer({ min: 1, max: 400 }),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 40 }), async (ops) => {
        run += 1;
        const holds: number[] = [];
        const posted: number[] = [];
        // The hold or entry an operation works on is chosen once, so that its replay repeats the same request.
        const chosen = new Map<number, number | undefined>();
        const pick = (i: number, from: number[]) => {
          if (!chosen.has(i)) chosen.set(i, from.length ? from[(ops[i]!.points * 7919) % from.length] : undefined);
          return chosen.get(i);
        };
        const apply = (o: (typeof ops)[number], i: number) => {
          const input = { partnerId: partners[o.partner]!, points: o.points, idempotencyKey: `prop-${run}-${i}` };
          switch (o.kind) {
            case 'earn':
              return ledger.earn(ctx(), input);
            case 'earn_pending':
              return ledger.earn(ctx(), { ...input, pending: true });
            case 'earn_batch':
              return ledger
                .earnMany(ctx(), [0, 1, 2].map((k) => ({ partnerId: partners[(o.partner + k) % 3]!, points: o.points + k, idempotencyKey: `${input.idempotencyKey}-${k}` })))
                .then((results) => {
                  const failed = results.find((r) => !r.ok);
                  if (failed && !failed.ok) throw failed.error;
                  return { created: results.some((r) => r.ok && r.entry.created) };
                });
            case 'release':
              return ledger.releasePending(ctx(), input);
            case 'reserve':
              return ledger.reserve(ctx(), { ...input, explanation: { order: i } }).then((r) => {
                if (r.created) holds.push(r.entryId);
                return r;
              });
            case 'capture': {
              // Capture part of a hold posted earlier in the run (the rest goes back to the lots it came from).
              const hold = pick(i, holds);
              return hold === undefined ? Promise.resolve({ created: false }) : ledger.capture(ctx(), { holdId: hold, points: 1 + (o.points % 5), idempotencyKey: input.idempotencyKey });
            }
            case 'release_hold': {
              const hold = pick(i, holds);
              return hold === undefined ? Promise.resolve({ created: false }) : ledger.releaseHold(ctx(), { holdId: hold, idempotencyKey: input.idempotencyKey });
            }
            case 'adjust':
              return ledger.adjust(ctx(), { ...input, points: input.points * (o.points % 2 ? 1 : -1), reason: 'random adjustment' });
            case 'reverse': {
              // A partial or full reversal of an entry posted earlier in the run.
              const target = pick(i, posted);
              return target === undefined ? Promise.resolve({ created: false }) : ledger.reverse(ctx(), { entryId: target, points: o.points % 3 === 0 ? undefined : 1 + (o.points % 7), reason: 'random reversal', idempotencyKey: input.idempotencyKey });
            }
            case 'expire':
              // Everything earned so far is due at a cutoff far in the future.
              return ledger.expireLots(ctx(), { cutoff: new Date(Date.now() + 40 * 365 * 86_400_000) }).then(() => ({ created: false }));
          }
        };
        // Concurrently, in chunks of 8: overspending attempts must fail cleanly, never corrupt.
        const succeeded: number[] = [];
        for (let i = 0; i < ops.length; i += 8) {
          const outcomes = await Promise.allSettled(ops.slice(i, i + 8).map((o, j) => apply(o, i + j)));
          outcomes.forEach((r, j) => {
            if (r.status !== 'fulfilled') return;
            if (ops[i + j]!.kind !== 'expire') succeeded.push(i + j);
            const entryId = (r.value as { entryId?: number }).entryId;
            if (entryId && ['earn', 'earn_pending', 'release', 'adjust', 'capture'].includes(ops[i + j]!.kind)) posted.push(entryId);
          });
        }
        const before = await Promise.all(partners.map((p) => ledger.balances(ctx(), p)));
        // Replaying what was posted (same keys, same requests) must change nothing. (A refused request is not
        // remembered: retried later, it may succeed, which is what a caller wants.)
        const replays = await Promise.all(succeeded.map((i) => apply(ops[i]!, i)));
        expect(replays.every((r) => r && !r.created)).toBe(true);
        const after = await Promise.all(partners.map((p) => ledger.balances(ctx(), p)));
        expect(after).toEqual(before);
        expect(await invariants()).toEqual({ unbalancedEntries: [], balanceMismatches: [], negativeGuarded: [], runningBalanceBreaks: [], lotsNotAvailable: [], lotUsesOff: [], holdsNotReserved: [] });
      }),
      { numRuns: 15 },
    );
  }, 120_000);

  it('seals every committed entry into the per-program hash chain, concurrently with posting', async () => {
    const sealing = sealLedger(t.orm.em.fork() as never);
    await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.earn(ctx(), { partnerId: partners[i % 3]!, points: 5, idempotencyKey: `seal-${i}` })));
    await sealing;
    const second = await sealLedger(t.orm.em.fork() as never);
    const report = await verifyLedger(t.orm.em.fork() as never);
    expect(report.problems).toEqual([]);
    expect(report.sealed).toBe(report.entries);
    expect(second.sealedThrough).toBeGreaterThan(0);
    expect((await sealLedger(t.orm.em.fork() as never)).sealed).toBe(0);
  });

  it('verify finds a tampered balance row and a tampered posting, naming them', async () => {
    await sealLedger(t.orm.em.fork() as never);
    expect((await verifyLedger(t.orm.em.fork() as never)).problems).toEqual([]);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const { rows } = await db.query(`select b.account_id from ledger_balance b join ledger_account a on a.id = b.account_id where a.partner_id = $1 and a.code = 'available'`, [partners[0]]);
    const account = rows[0].account_id;
    await db.query('update ledger_balance set balance = balance + 5 where account_id = $1', [account]);
    await db.query('alter table ledger_posting disable trigger ledger_posting_append_only');
    await db.query('update ledger_posting set amount = amount + 1 where entry_id = (select min(entry_id) from ledger_posting where account_id = $1) and account_id = $1', [account]);
    await db.query('alter table ledger_posting enable trigger ledger_posting_append_only');
    await db.end();
    const report = await verifyLedger(t.orm.em.fork() as never);
    expect([...new Set(report.problems.map((p) => p.check))].sort()).toEqual(['balance-row', 'entry-balances', 'hash-chain', 'lots', 'running-balance']);
    const chain = report.problems.filter((p) => p.check === 'hash-chain');
    expect(chain).toHaveLength(1);
    expect(chain[0]!.detail).toMatch(/^entry \d+ of program .* was altered after it was posted$/);
    expect(report.problems.find((p) => p.check === 'balance-row')!.detail).toContain(`account ${account}`);
  });
});
