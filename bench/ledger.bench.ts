/**
 * Ledger throughput and footprint, measured in one run on one embedded PostgreSQL 18:
 *  - pgbench TPC-B-like tps at 1, 8 and 32 clients (the yardstick; needs pgbench from postgresql-client);
 *  - the ledger's single-entry earns per second through the service layer at 1, 8 and 32 clients;
 *  - a uniform run (32 clients, each earning in a program of its own: no shared row) against a hot run (32 clients
 *    earning in one program, every entry touching its `issued` account), deadlocks counted;
 *  - balance read p50/p99 for an account with 1,000 and with 1,000,000 postings;
 *  - bytes on disk per posting (entries, postings, lots, lot uses and holds with their indexes; seals not counted);
 *  - the same earn driven by pgbench straight into `ledger_earn`: the database side alone, without Node.
 *  - batched earning: 1,000 entries per call (one round trip), 2 callers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { coreModules, ledgerServiceRef, runMigrations, type LedgerService } from '@laurel/core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { startEmbeddedPostgres } from '@laurel/cli';
import type { RequestContext } from '@laurel/plugin-sdk';
import { table } from './lib.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const PARTNERS = 200;

function pgbench(url: string, clients: number, script?: string): number | null {
  const which = spawnSync('pgbench', ['--version']);
  if (which.status !== 0) return null;
  const u = new URL(url);
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(u.password) };
  const args = ['-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username)];
  const workload = script ? ['-f', script] : ['-b', 'tpcb-like'];
  const res = spawnSync('pgbench', [...args, ...workload, '-c', String(clients), '-j', String(Math.min(clients, 2)), '-T', String(SECONDS), '-n', u.pathname.slice(1)], { env, encoding: 'utf8' });
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(res.stdout);
  return m ? Number(m[1]) : null;
}

async function timed(clients: number, work: (worker: number, i: number) => Promise<void>): Promise<{ perSecond: number; deadlocks: number; errors: number }> {
  const until = performance.now() + SECONDS * 1000;
  let done = 0;
  let deadlocks = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, worker) => {
      for (let i = 0; performance.now() < until; i += 1) {
        try {
          await work(worker, i);
          done += 1;
        } catch (error) {
          if (String((error as Error).message).includes('deadlock')) deadlocks += 1;
          else errors += 1;
        }
      }
    }),
  );
  return { perSecond: done / SECONDS, deadlocks, errors };
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'laurel-bench-ledger-'));
  const server = await startEmbeddedPostgres({ dataDir: dir });
  try {
    await server.createDatabase('pgb');
    await server.createDatabase('ledger');
    const pgbUrl = server.url('pgb');
    const u = new URL(pgbUrl);
    const init = spawnSync('pgbench', ['-i', '-s', '8', '-q', '-h', u.hostname, '-p', u.port, '-U', u.username, 'pgb'], { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) }, encoding: 'utf8' });
    const havePgbench = init.status === 0;
    const pgb = { 1: havePgbench ? pgbench(pgbUrl, 1) : null, 8: havePgbench ? pgbench(pgbUrl, 8) : null, 32: havePgbench ? pgbench(pgbUrl, 32) : null };

    const url = server.url('ledger');
    await runMigrations(url, coreModules);
    const t: TestApp = await startTestApp({ databaseUrl: url, env: { LAUREL_DB_POOL_SIZE: '40' } });
    const ledger: LedgerService = t.host.service(ledgerServiceRef);
    const ctx = (): RequestContext => t.host.createContext({ requestId: 'bench', locale: 'en', actor: { kind: 'system', name: 'bench' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
    const program = (await t.app.inject({ method: 'POST', url: '/api/v1/programs', headers: t.adminHeaders, payload: { code: 'bench', name: { en: 'B', pl: 'B', ru: 'B' }, currency: 'PLN', pointValueMinorPerThousand: 1000 } })).json();
    const partners: string[] = [];
    for (let i = 0; i < PARTNERS; i += 1) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/partners', headers: t.adminHeaders, payload: { programId: program.id, legalName: `Bench ${i}`, country: 'DE', euVat: `DE${String(200000000 + i)}`, type: 'dealer' } });
      partners.push(res.json().id);
      await ledger.earn(ctx(), { partnerId: partners[i]!, points: 1_000_000_000, idempotencyKey: `fund-${i}` });
    }

    // The same earn as the service posts, driven by pgbench straight into the database function: what the ledger
    // costs in PostgreSQL alone, without Node (the difference to the service figure is the client side).
    let dbOnly8: number | null = null;
    {
      const db = new pg.Client({ connectionString: url });
      await db.connect();
      await db.query(`create table bench_wallet (i int primary key, avail bigint not null, issued bigint not null)`);
      await db.query(
        `insert into bench_wallet select row_number() over (order by a.id) - 1, a.id,
                (select min(id) from ledger_account where program_id = $1 and code = 'issued') + (row_number() over (order by a.id)) % 16
           from ledger_account a where a.program_id = $1 and a.holder = 'partner' and a.code = 'available'`,
        [program.id],
      );
      await db.end();
      const script = join(dir, 'ledger-earn.sql');
      writeFileSync(
        script,
        `\\set i random(0, ${PARTNERS - 1})\n\\set k random(1, 4000000000000000)\n` +
          `select ledger_earn('${program.id}', 'pgb-' || :k, 'h', 'earn', w.issued, w.avail, 10, '{"rule":"bench"}', '{"kind":"system","name":"bench"}', true, now() + interval '2 years') from bench_wallet w where w.i = :i;\n`,
      );
      dbOnly8 = pgbench(url, 8, script);
    }

    const single: Record<number, number> = {};
    for (const clients of [1, 8, 32]) {
      single[clients] = (await timed(clients, (w, i) => ledger.earn(ctx(), { partnerId: partners[(w * 7 + i) % PARTNERS]!, points: 10, idempotencyKey: `s${clients}-${w}-${i}`, explanation: { rule: 'bench' } }).then(() => undefined))).perSecond;
    }
    let batchNo = 0;
    // Two callers, so that one caller's request building overlaps the other's round trip (as two importers would).
    const batched = await timed(2, async () => {
      const n = batchNo++;
      const results = await ledger.earnMany(ctx(), Array.from({ length: 1000 }, (_, i) => ({ partnerId: partners[i % PARTNERS]!, points: 1, idempotencyKey: `b-${n}-${i}` })));
      if (results.some((r) => !r.ok)) throw new Error('batch entry refused');
    });
    const batchedEps = batched.perSecond * 1000;
    // Uniform: each of the 32 clients earns in a program of its own (no row shared with another client); hot: all
    // 32 earn in one program, every entry touching its `issued` account. Same operation, same code path.
    const own: string[] = [];
    for (let w = 0; w < 32; w += 1) {
      const p = (await t.app.inject({ method: 'POST', url: '/api/v1/programs', headers: t.adminHeaders, payload: { code: `uniform-${w}`, name: { en: 'U', pl: 'U', ru: 'U' }, currency: 'PLN', pointValueMinorPerThousand: 1000 } })).json();
      own.push((await t.app.inject({ method: 'POST', url: '/api/v1/partners', headers: t.adminHeaders, payload: { programId: p.id, legalName: `Uniform ${w}`, country: 'DE', euVat: `DE${String(300000000 + w)}`, type: 'dealer' } })).json().id);
    }
    const uniform = await timed(32, (w, i) => ledger.earn(ctx(), { partnerId: own[w]!, points: 1, idempotencyKey: `u-${w}-${i}` }).then(() => undefined));
    const hot = await timed(32, (w, i) => ledger.earn(ctx(), { partnerId: partners[(w * 7 + i) % PARTNERS]!, points: 1, idempotencyKey: `h-${w}-${i}` }).then(() => undefined));

    // Balance reads: one account with ~1,000 postings, one with 1,000,000 (history written in bulk).
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    // Footprint of what the runs above wrote (earns with their lots, reservations with their holds and lot uses),
    // measured before the bulk history below, which has no lots and would flatter the figure.
    await db.query('vacuum analyze ledger_entry, ledger_posting, ledger_lot, ledger_lot_use, ledger_hold');
    const size = (
      await db.query(
        `select (select sum(pg_total_relation_size(t)) from unnest(array['ledger_entry', 'ledger_posting', 'ledger_lot', 'ledger_lot_use', 'ledger_hold']::regclass[]) t)::float8
                / (select count(*) from ledger_posting) as b`,
      )
    ).rows[0].b as number;
    const accountOf = async (partnerId: string) => Number((await db.query(`select id from ledger_account where partner_id = $1 and code = 'available'`, [partnerId])).rows[0].id);
    const small = partners[1]!;
    const big = partners[2]!;
    const issued = Number((await db.query(`select id from ledger_account where program_id = $1 and code = 'issued'`, [program.id])).rows[0].id);
    async function history(partnerId: string, n: number): Promise<void> {
      const acct = await accountOf(partnerId);
      const batch = 100_000;
      for (let done = 0; done < n; done += batch) {
        const k = Math.min(batch, n - done);
        await db.query(
          `with e as (
             insert into ledger_entry (program_id, idempotency_key, request_hash, kind, actor)
             select $1, 'hist-' || $2 || '-' || ($3 + g), 'x', 'earn', '{"kind":"system"}' from generate_series(1, $4) g returning id)
           insert into ledger_posting (entry_id, account_id, amount, balance_after)
           select id, a, d, 0 from e, lateral (values ($5::bigint, 1::bigint), ($6::bigint, -1::bigint)) v(a, d)`,
          [program.id, partnerId, done, k, acct, issued],
        );
      }
    }
    await history(small, 1_000);
    await history(big, 1_000_000);
    await db.query('analyze');
    async function readTimes(partnerId: string): Promise<number[]> {
      const times: number[] = [];
      for (let i = 0; i < 2000; i += 1) {
        const started = performance.now();
        await ledger.balances(ctx(), partnerId);
        times.push(performance.now() - started);
      }
      return times.sort((a, b) => a - b);
    }
    const p = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
    const read1k = await readTimes(small);
    const read1m = await readTimes(big);
    await db.end();
    await t.close();

    const ratio = (a: number | null, b: number | null) => (a && b ? `${(a / b).toFixed(2)}x` : '—');
    console.log(`Ledger, embedded PostgreSQL 18, ${SECONDS} s per run, ${PARTNERS} partners\n`);
    console.log(
      table(
        ['measure', '1 client', '8 clients', '32 clients'],
        [
          ['pgbench tpcb-like (tps)', pgb[1] ?? 'no pgbench', pgb[8] ?? '—', pgb[32] ?? '—'].map((v) => (typeof v === 'number' ? Math.round(v) : v)),
          ['ledger single-entry earn (entries/s)', Math.round(single[1]!), Math.round(single[8]!), Math.round(single[32]!)],
          ['ledger vs pgbench', ratio(single[1]!, pgb[1]), ratio(single[8]!, pgb[8]), ratio(single[32]!, pgb[32])],
          ['ledger_earn alone, driven by pgbench (entries/s)', '', dbOnly8 === null ? '—' : Math.round(dbOnly8), ''],
        ],
      ),
    );
    console.log('');
    console.log(
      table(
        ['measure', 'value'],
        [
          ['uniform, 32 clients (entries/s)', Math.round(uniform.perSecond)],
          ['hot program account, 32 clients (entries/s)', Math.round(hot.perSecond)],
          ['hot / uniform', (hot.perSecond / uniform.perSecond).toFixed(2)],
          ['deadlocks (all runs)', uniform.deadlocks + hot.deadlocks],
          ['balance read p50 / p99, 1k postings (ms)', `${p(read1k, 0.5).toFixed(3)} / ${p(read1k, 0.99).toFixed(3)}`],
          ['balance read p50 / p99, 1M postings (ms)', `${p(read1m, 0.5).toFixed(3)} / ${p(read1m, 0.99).toFixed(3)}`],
          ['bytes per posting (entries, postings, lots, lot uses, holds with their indexes; seals not counted)', Math.round(size)],
          ['batched earning, 1,000 per call, 2 callers (entries/s)', Math.round(batchedEps)],
        ],
      ),
    );
    return {
      pgbench_tps_1: pgb[1] && Math.round(pgb[1]),
      pgbench_tps_8: pgb[8] && Math.round(pgb[8]),
      pgbench_tps_32: pgb[32] && Math.round(pgb[32]),
      single_eps_1: Math.round(single[1]!),
      single_eps_8: Math.round(single[8]!),
      single_eps_32: Math.round(single[32]!),
      batched_eps: Math.round(batchedEps),
      uniform_eps_32: Math.round(uniform.perSecond),
      hot_eps_32: Math.round(hot.perSecond),
      deadlocks: uniform.deadlocks + hot.deadlocks,
      read_p99_ms_1k: Number(p(read1k, 0.99).toFixed(3)),
      read_p99_ms_1m: Number(p(read1m, 0.99).toFixed(3)),
      bytes_per_posting: Math.round(size),
      db_only_eps_8: dbOnly8 && Math.round(dbOnly8),
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
