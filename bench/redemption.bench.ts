/**
 * Placing a redemption order over HTTP, measured in one run on one embedded PostgreSQL 18: the real server listening
 * on a port, partner users signed in with their session cookies, each `POST /api/v1/catalogue/orders` answered after
 * its synchronous part — the points reserved (a ledger hold), the stock taken (a guarded counter), the order row and
 * the outbox message asking for the redemption workflow, all in one transaction. The workflow itself runs later on
 * Temporal and is not timed here (the bench records workflow starts instead of sending them to a server).
 *
 * Side by side, in the same run:
 *  - `GET /health/live` — the floor: what any request costs on this machine through HTTP;
 *  - orders of an unlimited reward (no stock row to update), one client at a time and 8 at once;
 *  - orders of one stocked reward that every partner orders (every order updates the same stock row).
 * Target of issue 9: p99 ≤ 20 ms to place an order. `BENCH_ORDERS` sets the orders per variant (default 2,000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { coreModules, runMigrations } from '@laurel/core';
import { recordingTemporalGateway, startTestApp, type TestApp } from '@laurel/core/testing';
import { startEmbeddedPostgres } from '@laurel/cli';
import { median, table } from './lib.ts';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 2000);
const PARTNERS = 40;

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** Send `count` requests from `clients` concurrent clients; the latency of each, in ms, and how many were refused. */
async function drive(count: number, clients: number, send: (i: number) => Promise<Response>): Promise<{ latencies: number[]; failed: number; seconds: number }> {
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        const res = await send(i);
        const body = await res.text();
        latencies.push(performance.now() - t0);
        if (!res.ok) {
          failed += 1;
          if (failed === 1) console.error(`first refusal: ${res.status} ${body.slice(0, 300)}`);
        }
      }
    }),
  );
  return { latencies, failed, seconds: (performance.now() - started) / 1000 };
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'laurel-bench-redemption-'));
  const server = await startEmbeddedPostgres({ dataDir: dir });
  let t: TestApp | undefined;
  try {
    await server.createDatabase('redemption');
    const url = server.url('redemption');
    await runMigrations(url, coreModules);
    t = await startTestApp({ databaseUrl: url, temporal: recordingTemporalGateway(), env: { LAUREL_DB_POOL_SIZE: '20' } });
    const app = t;
    const admin = async (path: string, payload: Record<string, unknown>, expected: number) => {
      const res = await app.app.inject({ method: 'POST', url: path, headers: app.adminHeaders, payload });
      if (res.statusCode !== expected) throw new Error(`${path}: ${res.statusCode} ${res.body}`);
      return res.json() as { id: string };
    };
    const text = (s: string) => ({ en: s, pl: s, ru: s });
    const program = await admin('/api/v1/programs', { code: 'bench', name: text('Bench'), currency: 'PLN', pointValueMinorPerThousand: 1000 }, 201);
    await admin(`/api/v1/programs/${program.id}/status`, { status: 'live', reason: 'bench' }, 200);
    const sessions: Record<string, string>[] = [];
    for (let i = 0; i < PARTNERS; i += 1) {
      const nip = String(5_260_000_000 + i * 11); // any 10 digits with a valid check digit below
      const digits = nip.slice(0, 9);
      const check = [...digits].reduce((sum, d, k) => sum + Number(d) * [6, 5, 7, 2, 3, 4, 5, 6, 7][k]!, 0) % 11;
      if (check === 10) continue;
      const partner = await admin('/api/v1/partners', { programId: program.id, legalName: `Bench ${i}`, type: 'dealer', nip: `${digits}${check}` }, 201);
      await admin('/api/v1/ledger/adjustments', { partnerId: partner.id, points: 50_000, reason: 'bench', idempotencyKey: `bench-${partner.id}` }, 201);
      const s = await app.signInAs(['partner-user'], { partnerId: partner.id });
      sessions.push({ cookie: s.cookie, 'x-csrf-token': s['x-csrf-token'], 'content-type': 'application/json' });
    }
    const reward = (sku: string, stock: number | null) =>
      admin('/api/v1/catalogue/rewards', { programId: program.id, sku, type: 'service', name: text(sku), description: text(sku), category: 'bench', pricePoints: 10, stock, status: 'active' }, 201);
    const unlimited = await reward('UNLIMITED', null);
    const stocked = await reward('STOCKED', 1_000_000);

    const base = await app.app.listen({ host: '127.0.0.1', port: 0 });
    let key = 0;
    const order = (rewardId: string) => (i: number) =>
      fetch(`${base}/api/v1/catalogue/orders`, { method: 'POST', headers: sessions[i % sessions.length]!, body: JSON.stringify({ rewardId, quantity: 1, idempotencyKey: `bench-${(key += 1)}` }) });
    const health = () => fetch(`${base}/health/live`);

    // Warm-up (JIT, caches, PostgreSQL's buffers), not counted.
    await drive(300, 4, order(unlimited.id));
    await drive(300, 4, health);

    const variants: [string, () => Promise<{ latencies: number[]; failed: number; seconds: number }>][] = [
      ['GET /health/live, 1 client (floor)', () => drive(ORDERS, 1, health)],
      ['order, unlimited reward, 1 client', () => drive(ORDERS, 1, order(unlimited.id))],
      ['order, unlimited reward, 8 clients', () => drive(ORDERS, 8, order(unlimited.id))],
      ['order, one stocked reward, 1 client', () => drive(ORDERS, 1, order(stocked.id))],
      ['order, one stocked reward, 8 clients', () => drive(ORDERS, 8, order(stocked.id))],
    ];
    const results: { name: string; p50: number; p99: number; perSecond: number; failed: number }[] = [];
    for (const [name, go] of variants) {
      const r = await go();
      results.push({ name, p50: median(r.latencies), p99: percentile(r.latencies, 99), perSecond: r.latencies.length / r.seconds, failed: r.failed });
    }
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const orders = Number((await db.query<{ n: string }>(`select count(*) as n from catalogue_order`)).rows[0]!.n);
    const stockLeft = Number((await db.query<{ stock: number }>(`select stock from catalogue_reward where id = $1`, [stocked.id])).rows[0]!.stock);
    await db.end();

    console.log(`Placing redemption orders over HTTP, embedded PostgreSQL 18, ${sessions.length} partners, ${ORDERS} requests per variant\n`);
    console.log(
      table(
        ['variant', 'p50 ms', 'p99 ms', 'per second', 'failed'],
        results.map((r) => [r.name, r.p50.toFixed(2), r.p99.toFixed(2), Math.round(r.perSecond), r.failed]),
      ),
    );
    const stockedOrders = ORDERS * 2;
    console.log(`\norders stored: ${orders}; stock of the stocked reward: ${stockLeft} (expected ${1_000_000 - stockedOrders}); target p99 ≤ 20 ms`);
    const headline = results[2]!;
    return {
      reserve_p50_ms: Number(headline.p50.toFixed(2)),
      reserve_p99_ms: Number(headline.p99.toFixed(2)),
      sequential_p50_ms: Number(results[1]!.p50.toFixed(2)),
      sequential_p99_ms: Number(results[1]!.p99.toFixed(2)),
      hot_stock_p99_ms: Number(results[4]!.p99.toFixed(2)),
      health_p50_ms: Number(results[0]!.p50.toFixed(2)),
      orders_per_s_8_clients: Math.round(headline.perSecond),
      failed: results.reduce((sum, r) => sum + r.failed, 0),
      partners: sessions.length,
    };
  } finally {
    await t?.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
