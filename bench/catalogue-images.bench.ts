/**
 * Reward images over HTTP, in one run on one embedded PostgreSQL 18 (the real server on a port, a partner user's and an
 * admin's session cookies):
 *  - `GET /health/live` — the floor;
 *  - the partner's offer (`GET /api/v1/catalogue/offer`) of 60 rewards without images, and of 60 rewards with two
 *    images each (one more statement: the images' metadata, never their bytes);
 *  - an image's bytes (`GET /api/v1/catalogue/images/{sha256}`, a 256 KB PNG from `bytea`), and the same asked with
 *    `If-None-Match` (a 304, what a browser that has it sends — though `immutable` mostly spares even that);
 *  - an upload (`POST /rewards/{id}/images`, the same 256 KB PNG base64 with bytes changed each time, spread over the
 *    rewards without images).
 * `BENCH_REQUESTS` sets the requests per variant (default 500).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coreModules, runMigrations } from '@laurel/core';
import { recordingTemporalGateway, startTestApp, type TestApp } from '@laurel/core/testing';
import { startEmbeddedPostgres } from '@laurel/cli';
import { solidPng } from '../test/png.ts';
import { median, table } from './lib.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 500);
const REWARDS = 60;

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

async function drive(count: number, send: (i: number) => Promise<Response>, expected: number): Promise<{ latencies: number[]; failed: number; bytes: number }> {
  const latencies: number[] = [];
  let failed = 0;
  let bytes = 0;
  for (let i = 0; i < count; i += 1) {
    const t0 = performance.now();
    const res = await send(i);
    const body = new Uint8Array(await res.arrayBuffer());
    latencies.push(performance.now() - t0);
    bytes = body.length;
    if (res.status !== expected) {
      failed += 1;
      if (failed === 1) console.error(`first failure: ${res.status} ${new TextDecoder().decode(body).slice(0, 300)}`);
    }
  }
  return { latencies, failed, bytes };
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'laurel-bench-images-'));
  const server = await startEmbeddedPostgres({ dataDir: dir });
  let t: TestApp | undefined;
  try {
    await server.createDatabase('images');
    const url = server.url('images');
    await runMigrations(url, coreModules);
    t = await startTestApp({ databaseUrl: url, temporal: recordingTemporalGateway() });
    const app = t;
    const admin = async (path: string, payload: Record<string, unknown>, expected: number) => {
      const res = await app.app.inject({ method: 'POST', url: path, headers: app.adminHeaders, payload });
      if (res.statusCode !== expected) throw new Error(`${path}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      return res.json() as { id: string; sha256: string };
    };
    const text = (s: string) => ({ en: s, pl: s, ru: s });
    // A 256 KB PNG: noise does not compress, so the file is as large as a real photo of that size.
    const photo = solidPng(16, 16, [10, 120, 200]);
    const big = Buffer.concat([photo, Buffer.from(Array.from({ length: 256 * 1024 - photo.length }, (_, i) => (i * 7919) % 251))]);
    const setUp = async (code: string, nip: string, withImages: boolean) => {
      const program = await admin('/api/v1/programs', { code, name: text(code), currency: 'PLN', pointValueMinorPerThousand: 1000 }, 201);
      await admin(`/api/v1/programs/${program.id}/status`, { status: 'live', reason: 'bench' }, 200);
      const partner = await admin('/api/v1/partners', { programId: program.id, legalName: code, type: 'dealer', nip }, 201);
      let sha = '';
      const rewardIds: string[] = [];
      for (let i = 0; i < REWARDS; i += 1) {
        const reward = await admin('/api/v1/catalogue/rewards', { programId: program.id, sku: `R-${i}`, type: 'service', name: text(`Reward ${i}`), description: text('d'), category: 'bench', pricePoints: 10 + i, status: 'active' }, 201);
        rewardIds.push(reward.id);
        if (!withImages) continue;
        for (const colour of [[200, 30, 30], [30, 30, 200]] as const) {
          const image = await admin(`/api/v1/catalogue/rewards/${reward.id}/images`, { data: (i === 0 && colour[0] === 200 ? big : solidPng(32, 24, [colour[0], colour[1], (colour[2] + i) % 256])).toString('base64'), alt: { pl: `Obraz ${i}` } }, 201);
          if (i === 0 && colour[0] === 200) sha = image.sha256;
        }
      }
      const s = await app.signInAs(['partner-user'], { partnerId: partner.id });
      return { session: { cookie: s.cookie, 'x-csrf-token': s['x-csrf-token'] }, sha, rewardIds };
    };
    const plain = await setUp('bench-plain', '5260250995', false);
    const pictured = await setUp('bench-images', '5250007738', true);

    const base = await app.app.listen({ host: '127.0.0.1', port: 0 });
    const adminHeaders = { cookie: app.adminHeaders.cookie, 'x-csrf-token': app.adminHeaders['x-csrf-token'], 'content-type': 'application/json' };
    const offer = (session: Record<string, string>) => () => fetch(`${base}/api/v1/catalogue/offer`, { headers: session });
    const image = (etag: boolean) => () => fetch(`${base}/api/v1/catalogue/images/${pictured.sha}`, { headers: { ...pictured.session, ...(etag ? { 'if-none-match': `"${pictured.sha}"` } : {}) } });
    const upload = (i: number) => {
      const bytes = Buffer.from(big);
      bytes.writeUInt32BE(i + 1, bytes.length - 4); // other bytes each time: a new image
      return fetch(`${base}/api/v1/catalogue/rewards/${plain.rewardIds[i % plain.rewardIds.length]}/images`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ data: bytes.toString('base64') }) });
    };
    const health = () => fetch(`${base}/health/live`);
    await drive(100, offer(pictured.session), 200);
    await drive(100, image(false), 200);

    const variants: [string, () => Promise<{ latencies: number[]; failed: number; bytes: number }>][] = [
      ['GET /health/live (floor)', () => drive(REQUESTS, health, 200)],
      [`offer, ${REWARDS} rewards without images`, () => drive(REQUESTS, offer(plain.session), 200)],
      [`offer, ${REWARDS} rewards with 2 images each`, () => drive(REQUESTS, offer(pictured.session), 200)],
      ['image bytes, 256 KB PNG (200)', () => drive(REQUESTS, image(false), 200)],
      ['image, If-None-Match (304)', () => drive(REQUESTS, image(true), 304)],
      // Spread over the rewards without images (a reward takes 12).
      ['upload 256 KB PNG (201)', () => drive(Math.min(REQUESTS, 200), upload, 201)],
    ];
    const results: { name: string; p50: number; p99: number; bytes: number; failed: number }[] = [];
    for (const [name, go] of variants) {
      const r = await go();
      results.push({ name, p50: median(r.latencies), p99: percentile(r.latencies, 99), bytes: r.bytes, failed: r.failed });
    }
    console.log(`Reward images over HTTP, embedded PostgreSQL 18, ${REQUESTS} requests per variant (uploads: ${Math.min(REQUESTS, 200)}), one client\n`);
    console.log(table(['variant', 'p50 ms', 'p99 ms', 'answer bytes', 'not as expected'], results.map((r) => [r.name, r.p50.toFixed(2), r.p99.toFixed(2), r.bytes, r.failed])));
    return {
      offer_plain_p50_ms: Number(results[1]!.p50.toFixed(2)),
      offer_images_p50_ms: Number(results[2]!.p50.toFixed(2)),
      offer_images_p99_ms: Number(results[2]!.p99.toFixed(2)),
      image_200_p50_ms: Number(results[3]!.p50.toFixed(2)),
      image_200_p99_ms: Number(results[3]!.p99.toFixed(2)),
      image_304_p50_ms: Number(results[4]!.p50.toFixed(2)),
      upload_p50_ms: Number(results[5]!.p50.toFixed(2)),
      health_p50_ms: Number(results[0]!.p50.toFixed(2)),
    };
  } finally {
    await t?.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
