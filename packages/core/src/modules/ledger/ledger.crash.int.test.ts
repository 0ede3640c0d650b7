import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { ledgerServiceRef, verifyLedger } from '@laurel/core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';
import { CRASH_ENTRIES, crashEntry, expectedAvailable } from './ledger.crash-plan.ts';

const CHILD = fileURLToPath(new URL('./ledger.crash-child.ts', import.meta.url));

describe('ledger: a crash in the middle of posting loses and doubles nothing', () => {
  let t: TestApp;
  let databaseUrl: string;
  const partners: string[] = [];

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    t = await startTestApp({ databaseUrl });
    const program = (await t.app.inject({ method: 'POST', url: '/api/v1/programs', headers: t.adminHeaders, payload: { code: 'crash', name: { en: 'C', pl: 'C', ru: 'C' }, currency: 'PLN', pointValueMinorPerThousand: 1000 } })).json();
    for (let i = 0; i < 5; i += 1) {
      partners.push((await t.app.inject({ method: 'POST', url: '/api/v1/partners', headers: t.adminHeaders, payload: { programId: program.id, legalName: `Crash ${i}`, country: 'DE', euVat: `DE30000000${i}`, type: 'reseller' } })).json().id);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('kills a process posting 10,000 idempotent entries with SIGKILL, replays the whole run, and ends exact', async () => {
    const child = spawn(process.execPath, [CHILD, databaseUrl, JSON.stringify(partners)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let posted = 0;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killAt = 1000 + Math.floor(Math.random() * 4000);
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        for (const m of d.toString().matchAll(/posted (\d+)/g)) posted = Math.max(posted, Number(m[1]));
        if (posted >= killAt) child.kill('SIGKILL');
      });
      child.on('exit', (code, signal) => (signal === 'SIGKILL' || code === 0 ? resolve() : reject(new Error(`child failed (${code}): ${stderr}`))));
      setTimeout(() => child.kill('SIGKILL'), 90_000).unref();
    });
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const { rows } = await db.query(`select count(*)::int as n from ledger_entry where idempotency_key like 'crash-%'`);
    const before = rows[0].n as number;
    expect(before).toBeGreaterThanOrEqual(Math.min(posted, killAt));
    expect(before).toBeLessThan(CRASH_ENTRIES);

    // Replay the whole run: whatever the killed process committed is recognized; the rest is posted now.
    const ledger = t.host.service(ledgerServiceRef);
    const ctx = () => t.host.createContext({ requestId: 'crash-replay', locale: 'en', actor: { kind: 'system', name: 'crash-child' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
    let replayed = 0;
    let created = 0;
    for (let i = 0; i < CRASH_ENTRIES; i += 500) {
      const results = await ledger.earnMany(ctx(), Array.from({ length: 500 }, (_, j) => crashEntry(i + j, partners)));
      for (const r of results) {
        expect(r.ok).toBe(true);
        if (r.ok && r.entry.created) created += 1;
        else replayed += 1;
      }
    }
    expect(replayed).toBe(before);
    expect(created).toBe(CRASH_ENTRIES - before);

    const expected = expectedAvailable(partners);
    for (const p of partners) expect((await ledger.balances(ctx(), p)).available).toBe(expected.get(p));
    expect((await db.query(`select count(*)::int as n from ledger_entry where idempotency_key like 'crash-%'`)).rows[0].n).toBe(CRASH_ENTRIES);
    await db.end();
    expect((await verifyLedger(t.orm.em.fork() as never)).problems).toEqual([]);
  }, 180_000);
});
