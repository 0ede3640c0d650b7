/**
 * Signed webhooks in (ERP connectors), over HTTP, in one run on one embedded PostgreSQL 18 (the real server on a port,
 * a HubSpot-preset source with a sealed secret, a deal.won rule):
 *  - a won deal posted (verify, map, validate, take the id, the earning inbox posts to the ledger, log);
 *  - the same webhook-id again (a replay: the first answer, nothing posted);
 *  - a wrong signature (401, logged), a stage that is not a win (ignored, logged), an amount that cannot be read (422);
 *  - won deals from 8 clients at once (throughput).
 * `BENCH_REQUESTS` sets the requests per variant (default 400).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordingTemporalGateway, startTestApp, type TestApp } from '@laurel/core/testing';
import { startEmbeddedPostgres } from '@laurel/cli';
import { signWebhook } from '@laurel/plugin-sdk';
import erpConnectors from '../plugins/erp-connectors/src/index.ts';
import { median, table } from './lib.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
const CLIENTS = 8;

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'laurel-bench-erp-webhooks-'));
  const server = await startEmbeddedPostgres({ dataDir: dir });
  let t: TestApp | undefined;
  try {
    await server.createDatabase('erpwebhooks');
    t = await startTestApp({
      databaseUrl: server.url('erpwebhooks'),
      temporal: recordingTemporalGateway(),
      plugins: [erpConnectors],
      pluginConfig: { 'erp-connectors': { enabled: true, options: { webhookSecretKey: 'c3'.repeat(32) } } },
    });
    const app = t;
    const admin = async (path: string, payload: Record<string, unknown>, expected: number) => {
      const res = await app.app.inject({ method: 'POST', url: path, headers: app.adminHeaders, payload });
      if (res.statusCode !== expected) throw new Error(`${path}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      return JSON.parse(res.body) as { id: string; source: { id: string }; secret: string };
    };
    const program = await admin('/api/v1/programs', { code: 'bench', name: { en: 'Bench', pl: 'Bench', ru: 'Bench' }, currency: 'PLN', pointValueMinorPerThousand: 10_000 }, 201);
    await admin(`/api/v1/programs/${program.id}/status`, { status: 'live', reason: 'bench' }, 200);
    await admin('/api/v1/partners', { programId: program.id, legalName: 'Bench Sp. z o.o.', nip: '1111111111', type: 'dealer' }, 201);
    const rule = await admin('/api/v1/earning/rules', { programId: program.id, code: 'deal', name: 'deal', validFrom: '2020-01-01T00:00:00.000Z', eventTypes: ['deal.won'], condition: true, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'available' } }, 201);
    await admin(`/api/v1/earning/rules/${rule.id}/activate`, {}, 200);
    const { source, secret } = await admin('/api/v1/erp-connectors/webhook-sources', { programId: program.id, name: 'HubSpot', eventSource: 'crm-hubspot', preset: 'hubspot-deal-won' }, 201);
    const base = await app.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `${base}/api/v1/erp-connectors/webhooks/${source.id}`;

    let n = 0;
    const deal = (stage = 'closedwon', amount = '1250.50') => JSON.stringify({ id: String((n += 1)), properties: { dealstage: stage, amount, deal_currency_code: 'PLN', closedate: '2026-11-20T10:15:00.000Z', partner_nip: '1111111111' } });
    const send = async (body: string, options: { id?: string; key?: string } = {}) => {
      const id = options.id ?? `msg_${n}_${Math.random().toString(36).slice(2)}`;
      const ts = Math.floor(Date.now() / 1000);
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(options.key ?? secret, id, ts, body) }, body });
      await res.arrayBuffer();
      return { status: res.status, id };
    };
    const drive = async (name: string, expected: number, make: (i: number) => Promise<{ status: number }>) => {
      const latencies: number[] = [];
      let failed = 0;
      for (let i = 0; i < REQUESTS; i += 1) {
        const t0 = performance.now();
        const r = await make(i);
        latencies.push(performance.now() - t0);
        if (r.status !== expected) failed += 1;
      }
      return { name, p50: median(latencies), p99: percentile(latencies, 99), failed };
    };

    // Warm-up: the first requests compile and fill caches.
    for (let i = 0; i < 50; i += 1) await send(deal());
    const posted: string[] = [];
    const rows = [
      await drive('won deal posted', 200, async () => {
        const r = await send(deal());
        posted.push(r.id);
        return r;
      }),
      await drive('replayed webhook-id', 200, async (i) => send(deal(), { id: posted[i % posted.length]! })),
      await drive('wrong signature (401)', 401, async () => send(deal(), { key: 'whsec_' + Buffer.alloc(32, 9).toString('base64') })),
      await drive('stage not won (ignored)', 200, async () => send(deal('appointmentscheduled'))),
      await drive('amount unreadable (422)', 422, async () => send(deal('closedwon', '12,50'))),
    ];
    const t0 = performance.now();
    let failedConcurrent = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let i = 0; i < Math.floor(REQUESTS / CLIENTS); i += 1) if ((await send(deal())).status !== 200) failedConcurrent += 1;
      }),
    );
    const perSecond = (Math.floor(REQUESTS / CLIENTS) * CLIENTS) / ((performance.now() - t0) / 1000);
    const [{ ok }] = (await app.orm.em.fork().execute(`select count(*)::int as ok from earning_event where type = 'deal.won'`)) as [{ ok: number }];
    console.log(table(['variant', 'p50 ms', 'p99 ms', 'failed'], rows.map((r) => [r.name, r.p50.toFixed(2), r.p99.toFixed(2), r.failed])));
    console.log(`${CLIENTS} clients: ${perSecond.toFixed(0)} won deals/s (${failedConcurrent} failed); deal.won events stored: ${ok}`);
    return {
      requests: REQUESTS,
      ...Object.fromEntries(rows.map((r) => [r.name.replace(/[^a-z]+/gi, '_').replace(/_+$/, ''), { p50: Number(r.p50.toFixed(2)), p99: Number(r.p99.toFixed(2)), failed: r.failed }])),
      concurrent: { clients: CLIENTS, perSecond: Number(perSecond.toFixed(0)), failed: failedConcurrent },
      dealsStored: ok,
    };
  } finally {
    await t?.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
