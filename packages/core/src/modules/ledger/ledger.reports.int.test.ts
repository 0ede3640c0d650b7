import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerServiceRef } from '@laurel/core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';
import { pointsValue } from './ledger.reports.ts';

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += c;
  }
  if (field !== '' || row.length > 0) throw new Error('CSV does not end with CRLF');
  return rows;
}

describe('ledger reports: as-of balances, statement filters and CSV, liability', () => {
  let t: TestApp;
  const admin = () => t.adminHeaders;

  async function api(method: 'GET' | 'POST' | 'PATCH', url: string, headers: Record<string, string> = admin(), payload?: unknown) {
    return t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as never }) });
  }
  async function createProgram(code: string, pointValueMinorPerThousand: number) {
    const res = await api('POST', '/api/v1/programs', admin(), { code, name: { en: code, pl: code, ru: code }, currency: 'PLN', pointValueMinorPerThousand, timeZone: 'Europe/Warsaw' });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; createdAt: string };
  }
  async function createPartner(programId: string, name: string, euVat: string) {
    const res = await api('POST', '/api/v1/partners', admin(), { programId, legalName: name, country: 'DE', euVat, type: 'dealer' });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; partnerCode: string };
  }
  /** An instant strictly after everything committed so far and before anything that follows. */
  async function mark(): Promise<string> {
    await sleep(15);
    const at = new Date().toISOString();
    await sleep(15);
    return at;
  }

  let programId = '';
  let a = { id: '', partnerCode: '' };
  let b = { id: '', partnerCode: '' };
  const at: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase() });
    programId = (await createProgram('reports', 1000)).id;
    a = await createPartner(programId, 'Reports A', 'DE200000001');
    b = await createPartner(programId, 'Reports B', 'DE200000002');
    // A: earn 1000, pending 250, hold 300; adjust -1 (a reason with a comma and quotes), hold 120 and capture it.
    const ledger = t.host.service(ledgerServiceRef);
    const ctx = () => t.host.createContext({ requestId: 'reports-test', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
    at.start = await mark();
    await ledger.earn(ctx(), { partnerId: a.id, points: 1000, idempotencyKey: 'r-open', explanation: { note: 'opening balance' } });
    at.afterOpen = await mark();
    await ledger.earn(ctx(), { partnerId: a.id, points: 250, idempotencyKey: 'r-pending', pending: true, explanation: { invoice: 'FV/7/2025', line: 2, rule: '=cmd' } });
    await ledger.reserve(ctx(), { partnerId: a.id, points: 300, idempotencyKey: 'r-hold' });
    at.afterHold = await mark();
    await ledger.adjust(ctx(), { partnerId: a.id, points: -1, reason: '=rounding, "as agreed"', idempotencyKey: 'r-adj' });
    const hold = await ledger.reserve(ctx(), { partnerId: a.id, points: 120, idempotencyKey: 'r-hold-2' });
    await ledger.capture(ctx(), { holdId: hold.entryId, points: 120, idempotencyKey: 'r-capture' });
    await ledger.earn(ctx(), { partnerId: b.id, points: 77, idempotencyKey: 'r-b' });
    at.end = await mark();
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('gives balances as they were at an instant', async () => {
    const asOf = async (when: string) => {
      const res = await api('GET', `/api/v1/ledger/partners/${a.id}/balances/as-of?asOf=${encodeURIComponent(when)}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    expect(await asOf(at.start!)).toMatchObject({ partnerId: a.id, unit: 'PTS', pending: 0, available: 0, reserved: 0, asOf: at.start });
    expect(await asOf(at.afterOpen!)).toMatchObject({ pending: 0, available: 1000, reserved: 0 });
    expect(await asOf(at.afterHold!)).toMatchObject({ pending: 250, available: 700, reserved: 300 });
    const now = await asOf(at.end!);
    expect(now).toMatchObject({ pending: 250, available: 579, reserved: 300 });
    const current = (await api('GET', `/api/v1/ledger/partners/${a.id}/balances`)).json();
    expect({ pending: current.pending, available: current.available, reserved: current.reserved }).toEqual({ pending: now.pending, available: now.available, reserved: now.reserved });
    // A date is the start of that day in the program's time zone (Europe/Warsaw).
    const tomorrow = new Date(Date.now() + 36 * 3600_000).toISOString().slice(0, 10);
    expect(await asOf(tomorrow)).toMatchObject({ available: 579 });
    expect((await asOf('2020-01-01')).asOf).toBe('2019-12-31T23:00:00.000Z');
  });

  it('filters the statement by period, kind and direction, and never splits an entry between pages', async () => {
    const get = async (query: string) => {
      const res = await api('GET', `/api/v1/ledger/partners/${a.id}/statement.json?${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { items: { entryId: number; kind: string; account: string; amount: number; balanceAfter: number }[]; nextBefore: number | null };
    };
    const all = await get('limit=100');
    expect(all.items.map((i) => i.kind)).toEqual(['capture', 'reserve', 'reserve', 'adjustment', 'reserve', 'reserve', 'earn_pending', 'earn']);
    expect((await get('kind=reserve')).items.map((i) => i.account).sort()).toEqual(['available', 'available', 'reserved', 'reserved']);
    expect((await get('kind=earn_pending&kind=capture')).items.map((i) => i.kind)).toEqual(['capture', 'earn_pending']);
    expect((await get('direction=out')).items.map((i) => i.amount)).toEqual([-120, -120, -1, -300]);
    expect((await get('direction=in&kind=earn')).items.map((i) => i.amount)).toEqual([1000]);
    expect((await get(`from=${encodeURIComponent(at.afterOpen!)}&to=${encodeURIComponent(at.afterHold!)}`)).items.map((i) => i.kind)).toEqual(['reserve', 'reserve', 'earn_pending']);
    expect((await get(`to=${encodeURIComponent(at.afterOpen!)}`)).items.map((i) => i.kind)).toEqual(['earn']);

    // Pages of 2 lines: a reserve entry's two lines stay together; paging walks everything once.
    const first = await get('limit=2');
    expect(first.items.map((i) => i.kind)).toEqual(['capture', 'reserve', 'reserve']);
    const second = await get(`limit=2&before=${first.nextBefore}`);
    expect(second.items.map((i) => i.kind)).toEqual(['adjustment', 'reserve', 'reserve']);
    const third = await get(`limit=2&before=${second.nextBefore}`);
    expect(third.items.map((i) => i.kind)).toEqual(['earn_pending', 'earn']);
    expect(third.nextBefore).toBeNull();

    // The partner user's own statement with the same filters.
    const own = await t.signInAs(['partner-user'], { partnerId: a.id });
    const mine = await api('GET', '/api/v1/ledger/me/statement.json?direction=in&limit=10', own);
    expect(mine.statusCode, mine.body).toBe(200);
    expect(mine.json().items.every((i: { amount: number }) => i.amount > 0)).toBe(true);
  });

  it('refuses bad dates and periods with a problem naming the field', async () => {
    const bad = await api('GET', `/api/v1/ledger/partners/${a.id}/statement.json?from=2025-02-30`);
    expect(bad.statusCode).toBe(422);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json()).toMatchObject({ code: 'LEDGER_DATE_INVALID', errors: [{ field: '/querystring/from' }] });
    const backwards = await api('GET', `/api/v1/ledger/partners/${a.id}/statement.csv?from=2025-03-01&to=2025-02-01`, await t.signInAs(['finance'], { locale: 'pl' }));
    expect(backwards.statusCode).toBe(422);
    expect(backwards.json()).toMatchObject({ code: 'LEDGER_PERIOD_INVALID', errors: [{ field: '/querystring/from' }, { field: '/querystring/to' }] });
    expect(backwards.json().detail).toContain('Okres');
    const asOf = await api('GET', `/api/v1/ledger/partners/${a.id}/balances/as-of?asOf=31.01.2025`);
    expect(asOf.json()).toMatchObject({ code: 'LEDGER_DATE_INVALID', errors: [{ field: '/querystring/asOf' }] });
    const liability = await api('GET', `/api/v1/ledger/programs/${programId}/liability?to=2025-01-01`);
    expect(liability.json()).toMatchObject({ code: 'LEDGER_PERIOD_START_MISSING', errors: [{ field: '/querystring/from' }] });
    const noOffset = await api('GET', `/api/v1/ledger/programs/${programId}/liability?asOf=2025-01-01T10:00:00`);
    expect(noOffset.json()).toMatchObject({ code: 'LEDGER_DATE_INVALID', errors: [{ field: '/querystring/asOf' }] });
  });

  it('exports the statement as CSV whose running balances add up, to its own partner only', async () => {
    const res = await api('GET', `/api/v1/ledger/partners/${a.id}/statement.csv`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(new RegExp(`^attachment; filename="statement-${a.partnerCode}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`));
    const [header, ...rows] = parseCsv(res.body);
    expect(header).toEqual(['entry_id', 'posted_at', 'kind', 'account', 'amount', 'balance_after', 'reason', 'explanation']);
    expect(rows).toHaveLength(8);
    // Oldest first per account, each balance after is the previous one plus the amount.
    const running: Record<string, number> = {};
    for (const row of [...rows].reverse()) {
      const [, postedAt, , account, amount, balanceAfter] = row;
      expect(new Date(postedAt!).toISOString()).toBe(postedAt);
      running[account!] = (running[account!] ?? 0) + Number(amount);
      expect(Number(balanceAfter)).toBe(running[account!]);
    }
    expect(running).toEqual({ available: 579, pending: 250, reserved: 300 });
    const adjustment = rows.find((r) => r[4] === '-1')!;
    expect(adjustment.slice(2, 7)).toEqual(['adjustment', 'available', '-1', '699', `'=rounding, "as agreed"`]);
    // Text a spreadsheet would run as a formula is defused (above); the explanation is summed up in key order.
    expect(rows.find((r) => r[2] === 'earn_pending')![7]).toBe('invoice=FV/7/2025; line=2; rule==cmd');

    const filtered = parseCsv((await api('GET', `/api/v1/ledger/partners/${a.id}/statement.csv?kind=reserve`)).body);
    expect(filtered.slice(1).map((r) => r[2])).toEqual(['reserve', 'reserve', 'reserve', 'reserve']);

    // The partner's own user gets the same file through /me; another partner's user never gets it.
    const own = await t.signInAs(['partner-user'], { partnerId: a.id });
    const mine = await api('GET', '/api/v1/ledger/me/statement.csv', own);
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toBe(res.body);
    const other = await t.signInAs(['partner-admin'], { partnerId: b.id });
    const theirs = await api('GET', '/api/v1/ledger/me/statement.csv', other);
    expect(parseCsv(theirs.body).slice(1).map((r) => r[4])).toEqual(['77']);
    const foreign = await api('GET', `/api/v1/ledger/partners/${a.id}/statement.csv`, other);
    expect(foreign.statusCode).toBe(403);
    expect(foreign.body).not.toContain('opening balance');
    // A reader limited to another program gets a 404, not the file.
    const elsewhere = await createProgram('reports-elsewhere', 1000);
    const key = await api('POST', '/api/v1/access/api-keys', admin(), { name: 'elsewhere', scopes: ['ledger:read'], programId: elsewhere.id });
    expect(key.statusCode, key.body).toBe(201);
    const scoped = { authorization: `Bearer ${key.json().key}` };
    const hidden = await api('GET', `/api/v1/ledger/partners/${a.id}/statement.csv`, scoped);
    expect(hidden.statusCode).toBe(404);
    expect(hidden.body).not.toContain('opening balance');
  });

  it('streams a CSV of three pages of 1,000 lines, each line once', async () => {
    const program = await createProgram('reports-long', 1000);
    const p = await createPartner(program.id, 'Reports Long', 'DE200000005');
    const ctx = () => t.host.createContext({ requestId: 'reports-test', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
    const ledger = t.host.service(ledgerServiceRef);
    const results = await ledger.earnMany(ctx(), Array.from({ length: 2050 }, (_, i) => ({ partnerId: p.id, points: 1 + (i % 7), idempotencyKey: `long-${i}` })));
    expect(results.every((r) => r.ok)).toBe(true);
    const res = await api('GET', `/api/v1/ledger/partners/${p.id}/statement.csv`);
    expect(res.statusCode).toBe(200);
    const rows = parseCsv(res.body).slice(1);
    expect(rows).toHaveLength(2050);
    expect(new Set(rows.map((r) => r[0])).size).toBe(2050);
    let running = 0;
    for (const row of [...rows].reverse()) {
      running += Number(row[4]);
      expect(Number(row[5])).toBe(running);
    }
    expect(running).toBe((await api('GET', `/api/v1/ledger/partners/${p.id}/balances`)).json().available);
  });

  it('values points by rounding half to even, exactly', () => {
    expect(pointsValue(100n, 1235n)).toBe(124n); // 123.5 → 124
    expect(pointsValue(300n, 1235n)).toBe(370n); // 370.5 → 370
    expect(pointsValue(-300n, 1235n)).toBe(-370n);
    expect(pointsValue(-100n, 1235n)).toBe(-124n);
    expect(pointsValue(1n, 1499n)).toBe(1n); // 1.499
    expect(pointsValue(1n, 1501n)).toBe(2n);
    expect(pointsValue(9_007_199_254_740_991n, 1_000_000_000n)).toBe(9_007_199_254_740_991_000_000n);
  });

  it("reports the program's liability with its value, as of an instant and for a period", async () => {
    const program = await createProgram('liability', 1235);
    const p = await createPartner(program.id, 'Liability A', 'DE200000003');
    const q = await createPartner(program.id, 'Liability B', 'DE200000004');
    const ledger = t.host.service(ledgerServiceRef);
    const ctx = () => t.host.createContext({ requestId: 'reports-test', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
    const beforeAll = await mark();
    await ledger.earn(ctx(), { partnerId: p.id, points: 1000, idempotencyKey: 'l-earn' });
    await ledger.earn(ctx(), { partnerId: q.id, points: 501, idempotencyKey: 'l-pending', pending: true });
    await ledger.reserve(ctx(), { partnerId: p.id, points: 100, idempotencyKey: 'l-hold' });
    const periodStart = await mark();
    // 300 redeemed, over several shards of `redeemed`.
    for (const [i, pts] of [100, 120, 80].entries()) {
      const hold = await ledger.reserve(ctx(), { partnerId: p.id, points: pts, idempotencyKey: `l-hold-${i}` });
      await ledger.capture(ctx(), { holdId: hold.entryId, points: pts, idempotencyKey: `l-capture-${i}` });
    }
    await ledger.adjust(ctx(), { partnerId: q.id, points: 7, reason: 'goodwill', idempotencyKey: 'l-adj' });
    const beforeChange = await mark();
    const changed = await api('PATCH', `/api/v1/programs/${program.id}`, admin(), { pointValueMinorPerThousand: 2000 });
    expect(changed.statusCode, changed.body).toBe(200);
    const afterChange = await mark();
    // After the change: 50 more earned and redeemed.
    await ledger.earn(ctx(), { partnerId: p.id, points: 50, idempotencyKey: 'l-earn-2' });
    const hold = await ledger.reserve(ctx(), { partnerId: p.id, points: 50, idempotencyKey: 'l-hold-3' });
    await ledger.capture(ctx(), { holdId: hold.entryId, points: 50, idempotencyKey: 'l-capture-3' });
    const end = await mark();

    const finance = await t.signInAs(['finance']);
    const liability = async (query: string) => {
      const res = await api('GET', `/api/v1/ledger/programs/${program.id}/liability?${query}`, finance);
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    const q1 = (s: string) => encodeURIComponent(s);

    // Before the change, at 1235 minor units per 1000 points.
    const early = await liability(`asOf=${q1(beforeChange)}&from=${q1(periodStart)}&to=${q1(beforeChange)}`);
    expect(early).toMatchObject({
      programId: program.id,
      unit: 'PTS',
      asOf: beforeChange,
      pointValue: { minorPerThousand: 1235, currency: 'PLN', validFrom: program.createdAt },
      outstanding: {
        pending: { points: 501, value: 619 }, // 618.735
        available: { points: 607, value: 750 }, // 749.645
        reserved: { points: 100, value: 124 }, // 123.5 → 124 (even)
        total: { points: 1208, value: 1492 }, // 1491.88
      },
      period: { from: periodStart, to: beforeChange, redeemed: { points: 300, value: 370 }, expired: { points: 0, value: 0 } }, // 370.5 → 370 (even)
    });
    expect(early.outstanding.total.points).toBe(early.outstanding.pending.points + early.outstanding.available.points + early.outstanding.reserved.points);

    // The same period, valued as of a later instant: the value changed mid-way, the as-of value applies throughout.
    const later = await liability(`asOf=${q1(end)}&from=${q1(periodStart)}&to=${q1(end)}`);
    expect(later.pointValue).toMatchObject({ minorPerThousand: 2000, currency: 'PLN' });
    expect(Date.parse(later.pointValue.validFrom)).toBeGreaterThan(Date.parse(beforeChange));
    expect(Date.parse(later.pointValue.validFrom)).toBeLessThan(Date.parse(afterChange));
    expect(later.outstanding).toMatchObject({ pending: { points: 501, value: 1002 }, available: { points: 607, value: 1214 }, reserved: { points: 100, value: 200 }, total: { points: 1208, value: 2416 } });
    expect(later.period).toMatchObject({ redeemed: { points: 350, value: 700 }, expired: { points: 0, value: 0 } });

    // Before anything was posted: nothing outstanding; the first point value.
    expect((await liability(`asOf=${q1(beforeAll)}`)).outstanding.total).toEqual({ points: 0, value: 0 });
    expect((await liability(`asOf=2000-01-01`)).pointValue.minorPerThousand).toBe(1235);
    // Without asOf: now; without a period: none.
    const now = await liability('');
    expect(now.period).toBeNull();
    expect(now.outstanding.total.points).toBe(1208);

    // Who may see it: admin, finance, program managers; not marketing, support or partner users.
    expect((await api('GET', `/api/v1/ledger/programs/${program.id}/liability`, await t.signInAs(['program-manager']))).statusCode).toBe(200);
    expect((await api('GET', `/api/v1/ledger/programs/${program.id}/liability`, await t.signInAs(['marketing']))).statusCode).toBe(403);
    expect((await api('GET', `/api/v1/ledger/programs/${program.id}/liability`, await t.signInAs(['support']))).statusCode).toBe(403);
    expect((await api('GET', `/api/v1/ledger/programs/${program.id}/liability`, await t.signInAs(['partner-admin'], { partnerId: p.id }))).statusCode).toBe(403);
  });
});
