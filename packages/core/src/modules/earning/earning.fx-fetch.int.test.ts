import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/**
 * The daily fetch of exchange rates (scheduled task `fetch-fx-rates`), against a loopback HTTP server this test starts
 * serving the NBP and ECB fixture files: imported once a day per source, a failing source retried until it succeeds
 * or runs out of attempts, every failure audited and shown in the sources' status, and an admin's "fetch now".
 */
describe('earning: the scheduled exchange-rate fetch', () => {
  let t: TestApp;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers read loosely, as a test does
  type Res = { status: number; body: any; text: string };
  const call = async (method: 'GET' | 'POST', url: string, opts: { query?: Record<string, string>; body?: unknown; as?: Record<string, string> } = {}): Promise<Res> => {
    const q = opts.query ? `?${new URLSearchParams(opts.query).toString()}` : '';
    const res = await t.app.inject({ method, url: `${url}${q}`, headers: opts.as ?? t.adminHeaders, ...(opts.body === undefined ? {} : { payload: opts.body as object }) });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, text: res.body };
  };
  const get = (url: string, opts: { query?: Record<string, string>; as?: Record<string, string> } = {}) => call('GET', url, opts);
  const post = (url: string, body: unknown, opts: { as?: Record<string, string> } = {}) => call('POST', url, { ...opts, body });
  /** The scheduled task, as a replica runs it (a system context named after it). */
  const runTask = async () => {
    const task = t.host.periodicTasks.find((p) => p.pluginId === 'earning' && p.name === 'fetch-fx-rates')!;
    await task.task(t.host.createContext({ requestId: 'task', locale: 'en', actor: { kind: 'system', name: 'earning:fetch-fx-rates' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log }));
  };
  let server: Server;
  const hits: Record<string, number> = {};
  let flakyFailures = 1;
  let brokenFixed = false;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '';
      hits[path] = (hits[path] ?? 0) + 1;
      if (path === '/nbp/tables/A?format=json') return res.writeHead(200, { 'content-type': 'application/json' }).end(fixture('nbp_tableA_170-A-NBP-2022_2022-09-02.json'));
      if (path === '/ecb/daily.xml') {
        if (flakyFailures-- > 0) return res.writeHead(503).end('busy');
        return res.writeHead(200, { 'content-type': 'text/xml' }).end(fixture('ecb_eurofxref-daily_2024-06-28.xml'));
      }
      if (path === '/later.xml') return res.writeHead(200, { 'content-type': 'text/xml' }).end(fixture('ecb_eurofxref-daily_2024-06-28.xml'));
      if (path === '/broken.json') return res.writeHead(200).end(brokenFixed ? fixture('nbp_tableA_170-A-NBP-2022_2022-09-02.json') : '<html>maintenance</html>');
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A source due only at 23:59 UTC, to see the time of day respected (unless the test runs in that last minute).
    const sources = [
      { id: 'nbp-a', format: 'nbp-json', url: `${base}/nbp/tables/A?format=json`, afterUtc: '00:00' },
      { id: 'ecb', format: 'ecb-xml', url: `${base}/ecb/daily.xml`, quote: 'EUR', afterUtc: '00:00' },
      { id: 'mirror', format: 'nbp-json', url: `${base}/broken.json`, afterUtc: '00:00' },
      { id: 'late', format: 'ecb-xml', url: `${base}/later.xml`, afterUtc: '23:59' },
    ];
    t = await startTestApp({ databaseUrl: await createTestDatabase(), pluginConfig: { earning: { options: { fxFetch: { sources, maxAttempts: 3, retryMinutes: 0, timeoutMs: 2000 } } } } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  const status = async () => {
    const res = await get('/api/v1/earning/fx-fetches');
    expect(res.status, res.text).toBe(200);
    return Object.fromEntries((res.body.sources as { source: string }[]).map((s) => [s.source, s])) as Res['body'];
  };
  const failures = async () => (await get('/api/v1/audit/records', { query: { action: 'earning.fx-fetch.failed' } })).body.items as { subjectId: string; data: Record<string, unknown>; actor: unknown }[];

  it('imports each due source once a day, retries a failing one and shows each source’s status', async () => {
    const before = await status();
    expect(before['nbp-a']).toMatchObject({ format: 'nbp-json', afterUtc: '00:00', last: null, lastSuccess: null });

    await runTask();
    const today = new Date().toISOString().slice(0, 10);
    const first = await status();
    expect(first['nbp-a'].last).toMatchObject({ date: today, status: 'succeeded', attempts: 1, imported: expect.any(Number), rateDates: ['2022-09-02'], lastError: null });
    expect(first['nbp-a'].lastSuccess).toMatchObject({ date: today, rateDates: ['2022-09-02'] });
    expect(first.ecb.last).toMatchObject({ status: 'retrying', attempts: 1, maxAttempts: 3, lastError: expect.stringContaining('HTTP 503') });
    expect(first.mirror.last).toMatchObject({ status: 'retrying', attempts: 1, lastError: expect.stringContaining('EARNING_FX_FILE') });
    const lateDue = new Date().getUTCHours() * 60 + new Date().getUTCMinutes() >= 23 * 60 + 59;
    if (!lateDue) expect(first.late.last).toBeNull();

    // The rates are stored as an upload stores them.
    const usd = await get('/api/v1/earning/fx-rates', { query: { currency: 'USD', quote: 'PLN' } });
    expect(usd.body.items[0]).toMatchObject({ date: '2022-09-02', rate: '4.7276', source: expect.stringContaining('NBP') });

    // Again the same day: NBP is not fetched again; the ECB's second attempt succeeds; the broken mirror fails again.
    await runTask();
    expect(hits['/nbp/tables/A?format=json']).toBe(1);
    const second = await status();
    expect(second.ecb.last).toMatchObject({ status: 'succeeded', attempts: 2, rateDates: ['2024-06-28'], lastError: null });
    expect((await get('/api/v1/earning/fx-rates', { query: { currency: 'USD', quote: 'EUR' } })).body.items[0]).toMatchObject({ date: '2024-06-28', source: 'ECB' });
    expect(second.mirror.last).toMatchObject({ status: 'retrying', attempts: 2 });

    // The third failure is the last: the day is failed, and a further run does not fetch it again.
    await runTask();
    await runTask();
    expect(hits['/broken.json']).toBe(3);
    expect(hits['/ecb/daily.xml']).toBe(2);
    const third = await status();
    expect(third.mirror.last).toMatchObject({ status: 'failed', attempts: 3, nextAttemptAt: null, lastError: expect.stringContaining('EARNING_FX_FILE') });
    expect(third.mirror.lastSuccess).toBeNull();

    // Every failed attempt is audited, by the scheduled task, the last one saying it was final.
    const audited = (await failures()).filter((r) => r.subjectId === `mirror:${today}`);
    expect(audited.map((r) => [r.data.attempt, r.data.final]).sort()).toEqual([[1, false], [2, false], [3, true]]);
    expect(JSON.stringify(audited[0]!.actor)).toContain('fetch-fx-rates');
    expect((await failures()).filter((r) => r.subjectId === `ecb:${today}`)).toHaveLength(1);
    const imported = (await get('/api/v1/audit/records', { query: { action: 'earning.fx-rates.imported' } })).body.items;
    expect(imported.length).toBeGreaterThanOrEqual(2);
  });

  it('an admin fetches a source now: attempts start again, audited; an unknown source is a 404 naming it', async () => {
    brokenFixed = true;
    const res = await post('/api/v1/earning/fx-fetches/mirror/run', {});
    expect(res.status, res.text).toBe(200);
    const mirror = (res.body.sources as { source: string; last: unknown }[]).find((s) => s.source === 'mirror')!;
    expect(mirror.last).toMatchObject({ status: 'succeeded', attempts: 1, lastError: null, rateDates: ['2022-09-02'] });
    const requested = (await get('/api/v1/audit/records', { query: { action: 'earning.fx-fetch.requested' } })).body.items;
    expect(requested).toHaveLength(1);
    expect(requested[0]).toMatchObject({ subjectId: `mirror:${new Date().toISOString().slice(0, 10)}`, data: { source: 'mirror' } });

    const manager = await t.signInAs(['program-manager'], { locale: 'pl' });
    const unknown = await post('/api/v1/earning/fx-fetches/nbp-b/run', {}, { as: manager });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'EARNING_FX_SOURCE_UNKNOWN', errors: [{ field: '/params/source', message: 'Nie ma źródła kursów walut nbp-b; skonfigurowane: nbp-a, ecb, mirror, late.' }] });
  });
});
