/**
 * Backtest speed, on one embedded PostgreSQL 18: a program of 1,000 partners (BENCH_PARTNERS) in 3 segments and 2
 * types, 20 active rules (conditions on category, SKU, partner type and segment; per-amount, per-quantity and fixed
 * effects; one best-of group; a per-partner monthly cap) and 20,000 stored invoices of 3 lines each
 * (BENCH_EVENTS), generated set-based as the inbox would have stored them. A draft set of 2 rules (a new version of
 * the base rule, a new category bonus) is backtested over the whole period: the background job as the outbox
 * listener runs it (chunks of 2,000 events, each evaluated under both rule sets with the compiled evaluator).
 * Measured: its wall time and events per second, and that the ledger is untouched.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { coreModules, runMigrations } from '@laurel/core';
import { backtestServiceRef } from '../packages/core/src/modules/earning/earning.backtest.ts';
import { startTestApp } from '@laurel/core/testing';
import { startEmbeddedPostgres } from '@laurel/cli';
import type { RequestContext } from '@laurel/plugin-sdk';
import { table } from './lib.ts';

const PARTNERS = Number(process.env.BENCH_PARTNERS ?? 1000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'laurel-bench-backtest-'));
  const server = await startEmbeddedPostgres({ dataDir: dir });
  try {
    await server.createDatabase('backtest');
    const url = server.url('backtest');
    await runMigrations(url, coreModules);
    const t = await startTestApp({ databaseUrl: url });
    const backtests = t.host.service(backtestServiceRef);
    const ctx = (): RequestContext => t.host.createContext({ requestId: 'bench', locale: 'en', actor: { kind: 'system', name: 'bench' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
    const inject = async (url: string, payload: Record<string, unknown>) => {
      const res = await t.app.inject({ method: 'POST', url, headers: t.adminHeaders, payload });
      if (res.statusCode >= 300) throw new Error(`${url}: ${res.body}`);
      return res.json();
    };
    const program = await inject('/api/v1/programs', { code: 'bench', name: { en: 'B', pl: 'B', ru: 'B' }, currency: 'PLN', pointValueMinorPerThousand: 10_000, timeZone: 'Europe/Warsaw' });
    const rule = async (body: Record<string, unknown>, activate = true) => {
      const created = await inject('/api/v1/earning/rules', { programId: program.id, validFrom: '2025-01-01T00:00:00Z', eventTypes: ['invoice.issued'], priority: 0, ...body });
      if (activate) await inject(`/api/v1/earning/rules/${created.id}/activate`, {});
      return created.id as string;
    };
    const pending = 'pending';
    await rule({ code: 'base', name: 'Base', condition: true, effect: { type: 'per-amount', pointsPerUnit: 1, target: pending } });
    for (let i = 0; i < 8; i += 1) {
      await rule({ code: `cat-${i}`, name: `Category ${i}`, condition: { '==': [{ var: 'line.category' }, `cat-${i}`] }, effect: { type: 'per-amount', pointsPerUnit: 0.5 + i / 10, target: pending }, stacking: i < 3 ? { mode: 'best-of', group: 'cats' } : { mode: 'additive' } });
    }
    for (let i = 0; i < 5; i += 1) {
      await rule({ code: `sku-${i}`, name: `SKU ${i}`, condition: { in: [{ var: 'line.sku' }, [`SKU-${i}`, `SKU-${i + 10}`]] }, effect: { type: 'per-quantity', pointsPerUnit: 2 + i, target: pending } });
    }
    await rule({ code: 'dealers', name: 'Dealers', condition: { '==': [{ var: 'partner.type' }, 'dealer'] }, effect: { type: 'fixed', points: 5, target: 'available' } });
    await rule({ code: 'retail', name: 'Retail', condition: { in: ['retail', { var: 'partner.segments' }] }, effect: { type: 'per-amount', pointsPerUnit: 0.25, target: pending } });
    await rule({ code: 'big', name: 'Big lines', condition: { '>=': [{ var: 'line.netAmount' }, 50_000] }, effect: { type: 'fixed', points: 20, target: pending } });
    await rule({ code: 'margin', name: 'Margin', condition: true, effect: { type: 'per-margin', pointsPerUnit: 0.1, target: pending } });
    await rule({ code: 'capped', name: 'Capped', condition: { '==': [{ var: 'line.category' }, 'cat-7'] }, effect: { type: 'per-amount', pointsPerUnit: 1, target: pending }, caps: { perPartner: { period: 'month', points: 500 } } });
    await rule({ code: 'never', name: 'Never', condition: { '==': [{ var: 'event.currency' }, 'EUR'] }, effect: { type: 'fixed', points: 1, target: pending } });
    const drafts = [
      await rule({ code: 'base', name: 'Base ×1.2', condition: true, effect: { type: 'per-amount', pointsPerUnit: 1.2, target: pending } }, false),
      await rule({ code: 'cat-bonus', name: 'Category bonus', condition: { in: [{ var: 'line.category' }, ['cat-1', 'cat-2']] }, effect: { type: 'per-amount', pointsPerUnit: 1, target: pending } }, false),
    ];

    const db = new pg.Client({ connectionString: url });
    db.on('error', () => {}); // the server stops under it at the end
    await db.connect();
    const setupStarted = performance.now();
    await db.query(
      `insert into partners_partner (id, program_id, partner_code, legal_name, country, type, segments, status, created_at, updated_at)
       select gen_random_uuid(), $1, 'B' || i, 'Bench partner ' || i, 'PL', (array['dealer', 'reseller'])[1 + i % 2], jsonb_build_array((array['retail', 'wholesale', 'online'])[1 + i % 3]), 'active', now(), now()
         from generate_series(1, $2) as i`,
      [program.id, PARTNERS],
    );
    // Invoices spread over 2025, received in order (uuidv7-like ids by time), 3 lines each.
    await db.query(
      `with p as (select id, row_number() over (order by partner_code) as n from partners_partner where program_id = $1),
            e as (select i, (timestamptz '2025-01-01' + (i * interval '1 second' * (365 * 86400 / $3))) as at from generate_series(1, $3) as i)
       insert into earning_event (id, program_id, source, external_id, type, occurred_at, payload, payload_hash, status, partner_id, result, received_by, received_at, updated_at)
       select ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, $1, 'bench', 'INV-' || i, 'invoice.issued', e.at,
              jsonb_build_object('type', 'invoice.issued', 'source', 'bench', 'externalId', 'INV-' || i, 'occurredAt', to_char(e.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                'programId', $1::text, 'partner', jsonb_build_object('partnerId', p.id::text), 'number', 'FV/' || i, 'currency', 'PLN',
                'lines', jsonb_build_array(
                  jsonb_build_object('sku', 'SKU-' || (i % 20), 'quantity', 1 + i % 4, 'netAmount', 1000 + (i * 7919) % 90000, 'category', 'cat-' || (i % 9), 'margin', 100 + i % 5000),
                  jsonb_build_object('sku', 'SKU-' || ((i + 3) % 20), 'quantity', 2, 'netAmount', 500 + (i * 104729) % 40000, 'category', 'cat-' || ((i + 1) % 9)),
                  jsonb_build_object('sku', 'X-' || (i % 50), 'quantity', 1, 'netAmount', 2500))),
              md5(i::text), 'processed', p.id, '{"points": 0, "entries": []}'::jsonb, '{"kind": "system"}'::jsonb, e.at, e.at
         from e join p on p.n = 1 + (e.i % $2)`,
      [program.id, PARTNERS, EVENTS],
    );
    await db.query('analyze earning_event');
    const setupMs = performance.now() - setupStarted;
    const ledger = async () => (await db.query(`select (select count(*) from ledger_entry)::int as entries, (select count(*) from earning_grant)::int as counters`)).rows[0];
    const before = await ledger();

    const started = await backtests.start(ctx(), { programId: program.id, from: '2025-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z', ruleIds: drafts });
    await ctx().em.flush();
    const t0 = performance.now();
    const done = await backtests.run(ctx(), started.id);
    const wall = performance.now() - t0;
    const after = await ledger();
    await db.end();
    await t.close();
    if (done.status !== 'done' || !done.result) throw new Error(`backtest ${done.status}: ${JSON.stringify(done.error)}`);
    const r = done.result;
    const eps = Math.round((r.total.events / wall) * 1000);
    console.log(`setup: ${PARTNERS} partners, ${EVENTS} stored invoices (3 lines), 20 active rules, 2 drafts in ${(setupMs / 1000).toFixed(1)} s`);
    console.log(
      table(
        ['events', 'partners', 'live points', 'draft points', 'ratio', 'wall ms', 'events/s', 'ledger unchanged'],
        [[r.total.events, r.total.partners, r.total.live, r.total.draft, r.total.ratio ?? '—', Math.round(wall), eps, JSON.stringify(before) === JSON.stringify(after) ? 'yes' : 'NO']],
      ),
    );
    console.log(table(['segment', 'events', 'live', 'draft', 'ratio'], r.segments.map((s) => [s.segment ?? '—', s.events, s.live, s.draft, s.ratio ?? '—'])));
    return { events: r.total.events, partners: PARTNERS, rules: 20, drafts: 2, wall_ms: Math.round(wall), events_per_s: eps, ledger_unchanged: JSON.stringify(before) === JSON.stringify(after) };
  } catch (error) {
    console.error(error);
    throw error;
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
