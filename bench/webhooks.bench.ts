/**
 * Outbound webhook throughput: N events for one subscription whose receiver (a Node HTTP server on loopback) answers
 * 204 at once, sent by (a) one worker with a batch of 20 (the default), (b) one worker with a batch of 100, (c) two
 * workers (two replicas sharing the table through FOR UPDATE SKIP LOCKED), batch 20. Each event must arrive exactly
 * once per webhook-id (checked: duplicates are counted). The clock covers the outbox fan-out and the sending, shown
 * apart too. The events are `webhooks.subscription.disabled`, which only this module listens to, so other modules'
 * listeners do not weigh in. Figures: deliveries per second, median of the runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { coreModules, runMigrations, webhookServiceRef } from '@laurel/core';
import { startEmbeddedPostgres } from '@laurel/cli';
import { median, table } from './lib.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const system = (t: TestApp) => t.host.createContext({ requestId: 'bench', locale: 'en', actor: { kind: 'system', name: 'bench' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });

async function seed(t: TestApp): Promise<void> {
  const ctx = system(t);
  for (let i = 0; i < EVENTS; i += 1) {
    ctx.emit('webhooks.subscription.disabled', { subscriptionId: '00000000-0000-7000-8000-000000000001', url: `https://example.test/${i}`, reason: 'failing', consecutiveFailures: i, failingSince: new Date().toISOString() });
  }
  await ctx.em.flush();
}

/** Send until nothing is due: what the `deliver` task does on each replica. */
async function work(t: TestApp): Promise<void> {
  const webhooks = t.host.service(webhookServiceRef);
  for (;;) {
    const r = await webhooks.deliverDue(system(t));
    if (r.delivered + r.retried + r.failed === 0) return;
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'laurel-bench-'));
  const server = await startEmbeddedPostgres({ dataDir: dir });
  const ids = new Map<string, number>();
  const receiver = createServer((req, res) => {
    const id = String(req.headers['webhook-id']);
    ids.set(id, (ids.get(id) ?? 0) + 1);
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  try {
    const variants = [
      { name: '1 worker, batch 20', workers: 1, batch: 20 },
      { name: '1 worker, batch 100', workers: 1, batch: 100 },
      { name: '2 workers (SKIP LOCKED), batch 20', workers: 2, batch: 20 },
    ];
    const results = variants.map((v) => ({ name: v.name, perSecond: [] as number[], fanOutPerSecond: [] as number[], sendPerSecond: [] as number[], duplicates: 0 }));
    for (let runIndex = 0; runIndex < RUNS; runIndex += 1) {
      for (const [i, v] of variants.entries()) {
        const db = `bench_wh_${runIndex}_${i}`;
        await server.createDatabase(db);
        await runMigrations(server.url(db), coreModules);
        const apps: TestApp[] = [];
        for (let w = 0; w < v.workers; w += 1) {
          apps.push(await startTestApp({ databaseUrl: server.url(db), pluginConfig: { webhooks: { options: { allowPrivateTargets: true, batchSize: v.batch } } } }));
        }
        const created = await apps[0]!.app.inject({ method: 'POST', url: '/api/v1/webhooks/subscriptions', headers: apps[0]!.adminHeaders, payload: { url, eventTypes: ['webhooks.subscription.disabled'] } });
        if (created.statusCode !== 201) throw new Error(`subscription: ${created.statusCode} ${created.body}`);
        ids.clear();
        await seed(apps[0]!);
        const started = performance.now();
        await Promise.all(apps.map((a) => a.outbox.drainUntilIdle(100_000)));
        const fannedOut = performance.now();
        await Promise.all(apps.map((a) => work(a)));
        const seconds = (performance.now() - started) / 1000;
        results[i]!.fanOutPerSecond.push(EVENTS / ((fannedOut - started) / 1000));
        results[i]!.sendPerSecond.push(EVENTS / ((performance.now() - fannedOut) / 1000));
        if (ids.size !== EVENTS) throw new Error(`${v.name}: ${ids.size} of ${EVENTS} deliveries arrived`);
        results[i]!.duplicates += [...ids.values()].reduce((a, b) => a + b, 0) - EVENTS;
        results[i]!.perSecond.push(EVENTS / seconds);
        for (const a of apps) await a.close();
        const admin = new pg.Client({ connectionString: server.url('postgres') });
        await admin.connect();
        await admin.query(`drop database ${db}`);
        await admin.end();
      }
    }
    const base = median(results[0]!.perSecond);
    console.log(`Outbound webhooks, ${EVENTS} events to a loopback receiver answering 204, median of ${RUNS} runs (embedded PostgreSQL 18, one machine)\n`);
    console.log(
      table(
        ['variant', 'deliveries/s (median)', 'min', 'max', 'vs first', 'fan-out/s', 'send/s', 'duplicates'],
        results.map((r) => [
          r.name,
          Math.round(median(r.perSecond)),
          Math.round(Math.min(...r.perSecond)),
          Math.round(Math.max(...r.perSecond)),
          `${(median(r.perSecond) / base).toFixed(2)}x`,
          Math.round(median(r.fanOutPerSecond)),
          Math.round(median(r.sendPerSecond)),
          r.duplicates,
        ]),
      ),
    );
    return {
      events: EVENTS,
      runs: RUNS,
      single_batch20_per_s: Math.round(median(results[0]!.perSecond)),
      single_batch100_per_s: Math.round(median(results[1]!.perSecond)),
      two_workers_batch20_per_s: Math.round(median(results[2]!.perSecond)),
      single_batch20_send_per_s: Math.round(median(results[0]!.sendPerSecond)),
      single_batch20_fan_out_per_s: Math.round(median(results[0]!.fanOutPerSecond)),
      duplicates: results.reduce((a, r) => a + r.duplicates, 0),
    };
  } finally {
    receiver.closeAllConnections();
    receiver.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
