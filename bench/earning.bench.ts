/**
 * Earning ingestion through HTTP, measured in one run on one embedded PostgreSQL 18: a live program with 1,000 partners
 * (named by NIP) and 50 active rules (conditions on SKU lists, categories and amounts; per-amount and fixed effects),
 * the real server listening on a port, and autocannon as the load generator in a process of its own (so that it does
 * not share the server's event loop):
 *  - single-event ingestion (`POST /api/v1/earning/events`), as fast as it goes: events/s;
 *  - batch ingestion (`POST /api/v1/earning/events/batch`, 1,000 events per request): events/s;
 *  - p50/p99 latency of single events sent at a fixed 300 requests/s.
 * Every request carries invoices with keys never sent before (a counter per request), three lines each; an event
 * counts when it is answered as processed. Targets of issue 6: single ≥ 1,500 events/s, batch ≥ 10,000 events/s,
 * p99 ≤ 25 ms at 300 requests/s. `BENCH_SECONDS` sets the length of each run (default 10).
 * Per run it also prints the server's CPU time per event (this process: the server, since the load generator runs in
 * its own) and the SQL statements the server sent per event. `BENCH_PROFILE=<dir>` writes a V8 CPU profile of each
 * measured run there (`single.cpuprofile`, `batch.cpuprofile`, `rate.cpuprofile`).
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { coreModules, runMigrations } from '@laurel/core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { startEmbeddedPostgres } from '@laurel/cli';
import { table } from './lib.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PARTNERS = 1000;
const RULES = 50;
const SKUS = 400;
const CATEGORIES = ['cables', 'switches', 'servers', 'storage', 'licences', 'services', 'racks', 'power', 'wifi', 'cameras'];

/** Valid Polish NIPs (weights 6,5,7,2,3,4,5,6,7; the check digit is the sum mod 11, never 10). */
function nips(count: number): string[] {
  const weights = [6, 5, 7, 2, 3, 4, 5, 6, 7];
  const out: string[] = [];
  for (let base = 526_000_000; out.length < count; base += 1) {
    const digits = String(base);
    const check = [...digits].reduce((sum, d, i) => sum + Number(d) * weights[i]!, 0) % 11;
    if (check !== 10) out.push(`${digits}${check}`);
  }
  return out;
}

/** Rule i of the 50: a condition on a SKU list, a category, an amount threshold or everything; a per-amount or fixed effect. */
function ruleBody(programId: string, i: number): Record<string, unknown> {
  const skus = Array.from({ length: 8 }, (_, k) => `SKU-${(i * 8 + k) % SKUS}`);
  const category = CATEGORIES[i % CATEGORIES.length]!;
  const condition =
    i === 0
      ? true
      : i % 4 === 1
        ? { in: [{ var: 'line.sku' }, skus] }
        : i % 4 === 2
          ? { '==': [{ var: 'line.category' }, category] }
          : i % 4 === 3
            ? { and: [{ '==': [{ var: 'line.category' }, category] }, { '>=': [{ var: 'line.netAmount' }, 50_000] }] }
            : { or: [{ in: [{ var: 'line.sku' }, skus] }, { '>': [{ var: 'line.quantity' }, 20] }] };
  const effect = i % 3 === 2 ? { type: 'fixed', points: 5 + (i % 7), target: i % 2 ? 'available' : 'pending' } : { type: 'per-amount', pointsPerUnit: [1, 0.5, 2, 0.25, 1.5][i % 5], target: i % 5 === 4 ? 'available' : 'pending', rounding: 'floor' };
  return { programId, code: `r${i}`, name: `Rule ${i}`, priority: i % 10, eventTypes: ['invoice.issued'], validFrom: '2024-01-01T00:00:00Z', condition, effect };
}

// ---------------------------------------------------------------------------------------------------------------
// The load generator: this file run as a child process (`node earning.bench.ts --load <json>`), reporting by IPC.

interface LoadSpec {
  url: string;
  path: string;
  authorization: string;
  programId: string;
  nips: string[];
  prefix: string;
  perRequest: number;
  connections: number;
  seconds: number;
  overallRate?: number;
}
interface LoadResult {
  requests: number;
  ok: number;
  events: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  p50: number;
  p99: number;
}

type Autocannon = (options: Record<string, unknown>) => Promise<{ duration: number; non2xx: number; errors: number; timeouts: number; requests: { total: number }; latency: { p50: number; p99: number } }>;

async function load(spec: LoadSpec): Promise<LoadResult> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  let n = 0;
  let events = 0;
  let ok = 0;
  const invoice = () => {
    n += 1;
    const partner = spec.nips[(n * 7919) % spec.nips.length]!;
    const sku = (k: number) => `SKU-${(n * 31 + k * 97) % SKUS}`;
    return {
      type: 'invoice.issued',
      source: 'bench',
      externalId: `${spec.prefix}-${n}`,
      occurredAt: '2025-07-01T10:00:00Z',
      programId: spec.programId,
      partner: { nip: partner },
      number: `FV/${n}`,
      currency: 'PLN',
      lines: [0, 1, 2].map((k) => ({ sku: sku(k), quantity: 1 + ((n + k) % 30), netAmount: 1_000 + ((n * 37 + k * 1_013) % 120_000), category: CATEGORIES[(n + k) % CATEGORIES.length] })),
    };
  };
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.seconds,
    timeout: 120,
    ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
    requests: [
      {
        method: 'POST',
        path: spec.path,
        headers: { 'content-type': 'application/json', authorization: spec.authorization },
        setupRequest: (req: Record<string, unknown>) => ({
          ...req,
          body: JSON.stringify(spec.perRequest === 1 ? invoice() : { events: Array.from({ length: spec.perRequest }, invoice) }),
        }),
        onResponse: (status: number, body: string) => {
          if (status < 200 || status >= 300) return;
          ok += 1;
          if (spec.perRequest === 1) events += 1;
          else events += (JSON.parse(body) as { accepted: number }).accepted;
        },
      },
    ],
  });
  return { requests: result.requests.total, ok, events, non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, seconds: result.duration, p50: result.latency.p50, p99: result.latency.p99 };
}

if (process.argv[2] === '--load') {
  const result = await load(JSON.parse(process.argv[3]!) as LoadSpec);
  process.send!(result, undefined, {}, () => process.exit(0));
}

/** Run the load generator in a child process and wait for its figures. */
function drive(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--load', JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answer: LoadResult | undefined;
    child.on('message', (m) => (answer = m as LoadResult));
    child.on('error', reject);
    child.on('exit', (code) => (answer ? resolve(answer) : reject(new Error(`load generator exited with ${code}`))));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// What the server spends per event: CPU time of this process and the SQL statements it sends (every pg query).

let statements = 0;
const uncounted = new WeakSet<object>();
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
/** With BENCH_SQL set: the time the server's statements took, by their first words (printed at the end). */
const timed = process.env.BENCH_SQL ? new Map<string, { n: number; ms: number }>() : null;
pg.Client.prototype.query = function (this: object, ...args: unknown[]) {
  if (uncounted.has(this)) return query.apply(this, args);
  statements += 1;
  const result = query.apply(this, args);
  if (timed && result instanceof Promise) {
    const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string }).text);
    const key = text.replace(/\s+/g, ' ').slice(0, 90);
    const started = performance.now();
    void result.then(
      () => {
        const t = timed.get(key) ?? { n: 0, ms: 0 };
        timed.set(key, { n: t.n + 1, ms: t.ms + performance.now() - started });
      },
      () => {},
    );
  }
  return result;
} as typeof pg.Client.prototype.query;

interface Measured extends LoadResult {
  cpuMs: number;
  statements: number;
  /** Events the server stored in the run (answered or still in flight when the run ended), counted once settled. */
  stored: number;
}

/**
 * Drive one run and let the server finish what is in flight, measuring this process's CPU time and statements over
 * both (and with BENCH_PROFILE, a CPU profile); per event means per event stored by the run.
 */
async function measure(name: string, spec: LoadSpec, settle: () => Promise<void>, stored: (prefix: string) => Promise<number>): Promise<Measured> {
  const dir = process.env.BENCH_PROFILE;
  const session = dir ? new Session() : null;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const cpu = process.cpuUsage();
  const before = statements;
  const result = await drive(spec);
  await settle();
  const used = process.cpuUsage(cpu);
  const sent = statements - before;
  if (session && dir) {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
  return { ...result, cpuMs: (used.user + used.system) / 1000, statements: sent, stored: await stored(spec.prefix) };
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'laurel-bench-earning-'));
  const server = await startEmbeddedPostgres({ dataDir: dir });
  let t: TestApp | undefined;
  try {
    await server.createDatabase('earning');
    const url = server.url('earning');
    await runMigrations(url, coreModules);
    t = await startTestApp({ databaseUrl: url, env: { LAUREL_DB_POOL_SIZE: '20' } });
    const app = t;
    const admin = async (path: string, payload: Record<string, unknown>, expected: number) => {
      const res = await app.app.inject({ method: 'POST', url: path, headers: app.adminHeaders, payload });
      if (res.statusCode !== expected) throw new Error(`${path}: ${res.statusCode} ${res.body}`);
      return res.json() as { id: string };
    };
    const program = await admin('/api/v1/programs', { code: 'bench', name: { en: 'B', pl: 'B', ru: 'B' }, currency: 'PLN', pointValueMinorPerThousand: 1000 }, 201);
    await admin(`/api/v1/programs/${program.id}/status`, { status: 'live', reason: 'bench' }, 200);
    const numbers = nips(PARTNERS);
    for (const [i, nip] of numbers.entries()) await admin('/api/v1/partners', { programId: program.id, legalName: `Bench ${i}`, type: 'dealer', nip }, 201);
    for (let i = 0; i < RULES; i += 1) {
      const rule = await admin('/api/v1/earning/rules', ruleBody(program.id, i), 201);
      await admin(`/api/v1/earning/rules/${rule.id}/activate`, {}, 200);
    }
    const { authorization } = await app.apiKeyHeaders(['events:write']);
    const address = await app.app.listen({ host: '127.0.0.1', port: 0 });
    const base = { url: address, authorization, programId: program.id, nips: numbers, seconds: SECONDS };
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    uncounted.add(db);
    const storedOf = async (prefix: string) => Number((await db.query<{ n: string }>(`select count(*) as n from earning_event where source = 'bench' and external_id like $1`, [`${prefix}-%`])).rows[0]!.n);
    // Between runs, wait until the server has answered what the last run left in flight, so runs do not overlap.
    const settle = async () => {
      for (let i = 0; i < 600; i += 1) {
        if (Number((await db.query<{ n: string }>(`select count(*) as n from earning_event where status = 'received'`)).rows[0]!.n) === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 500));
    };

    // Warm-up (JIT, the rules' cache, PostgreSQL's buffers, every partner's wallet — a live program's partners have
    // theirs, created on a first earning), not counted.
    const wallets = await app.app.inject({
      method: 'POST',
      url: '/api/v1/earning/events/batch',
      headers: { authorization },
      payload: { events: numbers.map((nip, i) => ({ type: 'invoice.issued', source: 'bench', externalId: `wallet-${i}`, occurredAt: '2025-06-01T10:00:00Z', programId: program.id, partner: { nip }, number: `W/${i}`, currency: 'PLN', lines: [{ sku: 'SKU-0', quantity: 1, netAmount: 100_000, category: CATEGORIES[0] }] })) },
    });
    if (wallets.statusCode !== 200 || wallets.json<{ accepted: number }>().accepted !== PARTNERS) throw new Error(`warm-up batch: ${wallets.statusCode} ${wallets.body.slice(0, 300)}`);
    await drive({ ...base, path: '/api/v1/earning/events', prefix: 'warm', perRequest: 1, connections: 8, seconds: 3 });
    await drive({ ...base, path: '/api/v1/earning/events/batch', prefix: 'warmb', perRequest: 1000, connections: 2, seconds: 3 });
    await settle();

    // BENCH_RUNS=single,batch,rate runs only those (the JSON keys of the others are then 0).
    const runs = new Set((process.env.BENCH_RUNS ?? 'single,batch,rate').split(','));
    const none: Measured = { requests: 0, ok: 0, events: 0, non2xx: 0, errors: 0, timeouts: 0, seconds: 1, p50: 0, p99: 0, cpuMs: 0, statements: 0, stored: 0 };
    const single = !runs.has('single') ? none : await measure('single', { ...base, path: '/api/v1/earning/events', prefix: 'single', perRequest: 1, connections: 16 }, settle, storedOf);
    const batch = !runs.has('batch') ? none : await measure('batch', { ...base, path: '/api/v1/earning/events/batch', prefix: 'batch', perRequest: 1000, connections: 4 }, settle, storedOf);
    const fixed = !runs.has('rate') ? none : await measure('rate', { ...base, path: '/api/v1/earning/events', prefix: 'rate', perRequest: 1, connections: 16, overallRate: 300 }, settle, storedOf);
    const stored = (await db.query<{ status: string; n: string }>(`select status, count(*) as n from earning_event group by status order by status`)).rows;
    const entries = Number((await db.query<{ n: string }>(`select count(*) as n from ledger_entry`)).rows[0]!.n);
    await db.end();

    const singleEps = single.events / single.seconds;
    const batchEps = batch.events / batch.seconds;
    const failures = (r: LoadResult) => `${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`;
    const cpuPer = (r: Measured) => Number((r.cpuMs / Math.max(r.stored, 1)).toFixed(2));
    const sqlPer = (r: Measured) => Number((r.statements / Math.max(r.stored, 1)).toFixed(2));
    const perEvent = (r: Measured) => `${cpuPer(r)} / ${sqlPer(r)}`;
    console.log(`Earning ingestion over HTTP (autocannon), embedded PostgreSQL 18, ${PARTNERS} partners, ${RULES} active rules, ${SECONDS} s per run, 3-line invoices\n`);
    console.log(
      table(
        ['measure', 'value', 'target', 'requests', 'failures'],
        [
          ['single events, 16 connections (events/s)', Math.round(singleEps), '≥ 1,500', single.requests, failures(single)],
          ['batch of 1,000, 4 connections (events/s)', Math.round(batchEps), '≥ 10,000', batch.requests, failures(batch)],
          ['single events at 300 requests/s: p50 (ms)', fixed.p50, '', fixed.requests, failures(fixed)],
          ['single events at 300 requests/s: p99 (ms)', fixed.p99, '≤ 25', '', ''],
          ['single events, 16 connections: p50 / p99 (ms)', `${single.p50} / ${single.p99}`, '', '', ''],
          ['batch of 1,000: p50 / p99 (ms)', `${batch.p50} / ${batch.p99}`, '', '', ''],
          ['single events: server CPU ms / SQL statements per event', perEvent(single), '', '', ''],
          ['batch of 1,000: server CPU ms / SQL statements per event', perEvent(batch), '', '', ''],
          ['at 300 requests/s: server CPU ms / SQL statements per event', perEvent(fixed), '', '', ''],
        ],
      ),
    );
    if (timed) for (const [sql, t] of [...timed].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) console.log(`${t.ms.toFixed(0).padStart(8)} ms ${String(t.n).padStart(7)}×  ${sql}`);
    console.log(`\nstored events by status: ${stored.map((r) => `${r.status} ${r.n}`).join(', ')}; ledger entries ${entries}`);
    return {
      single_eps: Math.round(singleEps),
      batch_eps: Math.round(batchEps),
      p50_ms_at_300rps: fixed.p50,
      p99_ms_at_300rps: fixed.p99,
      partners: PARTNERS,
      rules: RULES,
      single_cpu_ms_per_event: cpuPer(single),
      batch_cpu_ms_per_event: cpuPer(batch),
      single_statements_per_event: sqlPer(single),
      batch_statements_per_event: sqlPer(batch),
    };
  } finally {
    await t?.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
