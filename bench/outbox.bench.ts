/**
 * Outbox delivery throughput: N events, one listener each, drained by (a) one dispatcher, (b) two
 * dispatchers sharing the outbox through FOR UPDATE SKIP LOCKED (two replicas), (c) one dispatcher with a
 * larger batch. Every variant must deliver each event exactly once (checked). Figures: deliveries per
 * second, median of the runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { definePlugin, type PluginDefinition } from '@laurel/plugin-sdk';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { coreModules, runMigrations } from '@laurel/core';
import { startEmbeddedPostgres } from '@laurel/cli';
import { median, table } from './lib.ts';

declare module '@laurel/plugin-sdk' {
  interface LaurelEvents {
    'bench.tick.happened': { n: number };
  }
}

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function benchPlugin(seen: Map<number, number>): PluginDefinition {
  return definePlugin({
    id: 'bench',
    version: '1.0.0',
    compatibility: '^0.1.0',
    setup(ctx) {
      ctx.on('bench.tick.happened', (event) => {
        seen.set(event.payload.n, (seen.get(event.payload.n) ?? 0) + 1);
      }, { name: 'count' });
    },
  }) as PluginDefinition;
}

async function seed(t: TestApp): Promise<void> {
  const ctx = t.host.createContext({ requestId: 'bench', locale: 'en', actor: { kind: 'system', name: 'bench' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
  for (let i = 0; i < EVENTS; i += 1) ctx.emit('bench.tick.happened', { n: i });
  await ctx.em.flush();
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'laurel-bench-'));
  const server = await startEmbeddedPostgres({ dataDir: dir });
  try {
    const variants = [
      { name: '1 dispatcher, batch 50', dispatchers: 1, batch: 50 },
      { name: '2 dispatchers (SKIP LOCKED), batch 50', dispatchers: 2, batch: 50 },
      { name: '1 dispatcher, batch 200', dispatchers: 1, batch: 200 },
    ];
    const results: { name: string; perSecond: number[]; duplicates: number }[] = variants.map((v) => ({ name: v.name, perSecond: [], duplicates: 0 }));
    for (let runIndex = 0; runIndex < RUNS; runIndex += 1) {
      for (const [i, v] of variants.entries()) {
        const db = `bench_${runIndex}_${i}`;
        await server.createDatabase(db);
        await runMigrations(server.url(db), coreModules);
        const seen = new Map<number, number>();
        const apps: TestApp[] = [];
        for (let d = 0; d < v.dispatchers; d += 1) {
          apps.push(await startTestApp({ databaseUrl: server.url(db), plugins: [benchPlugin(seen)], env: { LAUREL_OUTBOX_BATCH: String(v.batch) } }));
        }
        await seed(apps[0]!);
        const started = performance.now();
        await Promise.all(apps.map((a) => a.outbox.drainUntilIdle(100_000)));
        const seconds = (performance.now() - started) / 1000;
        const delivered = [...seen.values()].reduce((a, b) => a + b, 0);
        if (seen.size !== EVENTS) throw new Error(`${v.name}: ${seen.size} of ${EVENTS} events delivered`);
        results[i]!.duplicates += delivered - EVENTS;
        results[i]!.perSecond.push(EVENTS / seconds);
        for (const a of apps) await a.close();
        const admin = new pg.Client({ connectionString: server.url('postgres') });
        await admin.connect();
        await admin.query(`drop database ${db}`);
        await admin.end();
      }
    }
    const base = median(results[0]!.perSecond);
    console.log(`Outbox delivery, ${EVENTS} events, median of ${RUNS} runs (embedded PostgreSQL 18, one machine)\n`);
    console.log(
      table(
        ['variant', 'deliveries/s (median)', 'min', 'max', 'vs first', 'duplicates'],
        results.map((r) => [r.name, Math.round(median(r.perSecond)), Math.round(Math.min(...r.perSecond)), Math.round(Math.max(...r.perSecond)), `${(median(r.perSecond) / base).toFixed(2)}x`, r.duplicates]),
      ),
    );
    return {
      events: EVENTS,
      runs: RUNS,
      single_batch50_per_s: Math.round(median(results[0]!.perSecond)),
      two_dispatchers_batch50_per_s: Math.round(median(results[1]!.perSecond)),
      single_batch200_per_s: Math.round(median(results[2]!.perSecond)),
      duplicates: results.reduce((a, r) => a + r.duplicates, 0),
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
