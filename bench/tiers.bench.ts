/**
 * Tier review at scale, on one embedded PostgreSQL 18: a program of 100,000 partners (BENCH_PARTNERS), each with a
 * year of invoices (one a month, each paid), in a resellers track of Silver, Gold and Platinum qualified on net
 * turnover, active months, paid invoices and the share of strategic products in the last 12 months (Platinum also on
 * the calendar quarter). The data is generated set-based (generate_series) as the earning events would have left it
 * in the tiers module's activity; partners start on assorted tiers, some under downgrade protection. Measured: the
 * batch review of every partner for one review date (what the scheduled review calls), its wall time, partners per
 * second and the Node process's peak RSS. Target: ≤ 60 s on 2 cores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { coreModules, runMigrations } from '@laurel/core';
import { tiersServiceRef } from '../packages/core/src/modules/tiers/index.ts';
import { startTestApp } from '@laurel/core/testing';
import { startEmbeddedPostgres } from '@laurel/cli';
import type { RequestContext } from '@laurel/plugin-sdk';
import { table } from './lib.ts';

const PARTNERS = Number(process.env.BENCH_PARTNERS ?? 100_000);
const MONTHS = 12;
const ZL = 100;

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'laurel-bench-tiers-'));
  const server = await startEmbeddedPostgres({ dataDir: dir });
  try {
    await server.createDatabase('tiers');
    const url = server.url('tiers');
    await runMigrations(url, coreModules);
    const t = await startTestApp({ databaseUrl: url });
    const tiers = t.host.service(tiersServiceRef);
    const ctx = (): RequestContext => t.host.createContext({ requestId: 'bench', locale: 'en', actor: { kind: 'system', name: 'bench' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
    const program = (await t.app.inject({ method: 'POST', url: '/api/v1/programs', headers: t.adminHeaders, payload: { code: 'bench', name: { en: 'B', pl: 'B', ru: 'B' }, currency: 'PLN', pointValueMinorPerThousand: 1000, timeZone: 'Europe/Warsaw' } })).json();
    const track = await tiers.createTrack(ctx(), { programId: program.id, code: 'resellers', name: { en: 'Resellers', pl: 'Resellerzy', ru: 'Реселлеры' }, review: { every: 'quarter', graceMonths: 3, maxDowngradeSteps: 1, yearStartMonth: 1 }, strategic: { categories: ['pv'] } });
    const rolling = 'rolling-12-months' as const;
    const silver = await tiers.createTier(ctx(), track.id, { code: 'silver', name: { en: 'Silver', pl: 'Srebrny', ru: 'Серебряный' }, rank: 1, qualification: { mode: 'all', conditions: [{ metric: 'net-turnover', min: 60_000 * ZL, window: rolling }] }, benefits: { multiplier: 1.1 } });
    const gold = await tiers.createTier(ctx(), track.id, {
      code: 'gold', name: { en: 'Gold', pl: 'Złoty', ru: 'Золотой' }, rank: 2,
      qualification: { mode: 'all', conditions: [{ metric: 'net-turnover', min: 150_000 * ZL, window: rolling }, { metric: 'active-months', min: 10, window: rolling }] }, benefits: { multiplier: 1.25 },
    });
    const platinum = await tiers.createTier(ctx(), track.id, {
      code: 'platinum', name: { en: 'Platinum', pl: 'Platynowy', ru: 'Платиновый' }, rank: 3,
      qualification: { mode: 'all', conditions: [{ metric: 'net-turnover', min: 240_000 * ZL, window: rolling }, { metric: 'strategic-share', min: 25, window: rolling }, { metric: 'paid-invoices', min: 12, window: rolling }, { metric: 'net-turnover', min: 40_000 * ZL, window: 'calendar-quarter' }] },
      benefits: { multiplier: 1.5 },
    });

    // Set-based data: partners, their tier records (assorted tiers, a tenth under protection) and a year of activity.
    const setupStarted = performance.now();
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    await db.query(
      `insert into partners_partner (id, program_id, partner_code, legal_name, country, type, segments, status, created_at, updated_at)
       select gen_random_uuid(), $1, 'B' || i, 'Bench partner ' || i, 'DE', 'reseller', '[]'::jsonb, 'active', now(), now() from generate_series(1, $2) as i`,
      [program.id, PARTNERS],
    );
    await db.query(
      `insert into tiers_partner (partner_id, program_id, track_id, tier_id, since, grace_until, updated_at)
       select id, program_id, $2, (array[null, $3, $4, $5]::uuid[])[1 + (abs(hashtext(id::text)) % 4)], now() - interval '1 year',
              case when abs(hashtext(id::text || 'g')) % 10 = 0 then now() - interval '1 day' end, now()
         from partners_partner where program_id = $1`,
      [program.id, track.id, silver.id, gold.id, platinum.id],
    );
    // One invoice a month per partner, paid ten days later; the monthly size and the strategic share vary by partner.
    // Loaded without the indexes, which are built afterwards (as a bulk load would).
    await db.query(`alter table tiers_activity set (autovacuum_enabled = false)`);
    await db.query(`alter table tiers_activity drop constraint tiers_activity_pkey`);
    await db.query(`drop index tiers_activity_partner_idx, tiers_activity_invoice_idx`);
    await db.query(
      `insert into tiers_activity (event_id, program_id, partner_id, invoice_id, kind, occurred_at, net, strategic_net, points)
       select x.invoice_id, $1, x.partner_id, x.invoice_id, 'invoice', x.at, x.net, x.net * x.share / 100, x.net / 1000
         from (select p.partner_id, gen_random_uuid() as invoice_id, now() - make_interval(days => 30 * m + 3) as at,
                      (2000 + abs(hashtext(p.partner_id::text)) % 28000) * 100::bigint * (case when m % 5 = 0 and abs(hashtext(p.partner_id::text || 'q')) % 3 = 0 then 0 else 1 end) as net,
                      abs(hashtext(p.partner_id::text || 's')) % 50 as share
                 from tiers_partner p cross join generate_series(0, $2 - 1) as m where p.program_id = $1) x`,
      [program.id, MONTHS],
    );
    await db.query(
      `insert into tiers_activity (event_id, program_id, partner_id, invoice_id, kind, occurred_at)
       select gen_random_uuid(), program_id, partner_id, invoice_id, 'paid', occurred_at + interval '10 days' from tiers_activity where kind = 'invoice' and net > 0 and occurred_at < now() - interval '10 days'`,
    );
    await db.query(`alter table tiers_activity add primary key (event_id)`);
    await db.query(`create index tiers_activity_partner_idx on tiers_activity (partner_id, occurred_at) include (kind, net, strategic_net, points)`);
    await db.query(`create index tiers_activity_invoice_idx on tiers_activity (invoice_id) where invoice_id is not null`);
    await db.query(`alter table tiers_activity set (autovacuum_enabled = true)`);
    await db.query(`vacuum analyze tiers_activity`);
    await db.query(`vacuum analyze tiers_partner`);
    const [{ rows: activityRows }] = [await db.query<{ n: string }>(`select count(*)::text as n from tiers_activity`)];
    await db.end();
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    // The measured part: the batch review of every partner for one review date.
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const job = await tiers.review(ctx(), { programId: program.id, reviewDate: new Date().toISOString() });
    const seconds = (performance.now() - started) / 1000;
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    const distribution = await tiers.distribution(ctx(), program.id);
    await t.close();

    const counts = distribution.tracks[0]!.tiers.map((x) => `${x.tier?.code ?? 'none'} ${x.partners}`).join(', ');
    console.log(
      table(
        ['tier review', 'value'],
        [
          ['partners', PARTNERS],
          ['activity rows (invoices + payments, a year)', Number(activityRows[0]!.n)],
          ['set-up, not measured (s)', setupSeconds.toFixed(1)],
          ['review of every partner (s)', seconds.toFixed(2)],
          ['partners per second', Math.round(PARTNERS / seconds)],
          ['done / total', `${job.done} / ${job.total}`],
          ['promoted / demoted / protected', `${job.promoted} / ${job.demoted} / ${job.protected}`],
          ['tiers after the review', counts],
          ['peak RSS of the Node process (MB)', peakRssMb],
          ['RSS before the review (MB)', Math.round(rssBefore / 1024 / 1024)],
        ],
      ),
    );
    return { partners: PARTNERS, seconds: Number(seconds.toFixed(2)), peak_rss_mb: peakRssMb, activity_rows: Number(activityRows[0]!.n), promoted: job.promoted, demoted: job.demoted, protected: job.protected };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
