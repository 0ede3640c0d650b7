import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser } from 'playwright-core';
import { startTestApp, TEST_PASSWORD, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, plain, WEB_DIR } from './browser.ts';

const fixture = (name: string) => readFileSync(new URL(`../packages/core/src/modules/earning/fixtures/${name}`, import.meta.url), 'utf8');

/**
 * The daily exchange-rate fetch on the exchange rates page (Russian): after the scheduled task ran, a source that
 * answered 503 shows as failed-and-retrying with the error and its attempts, one that worked as fetched with its
 * rates' day; "Fetch now" fetches the failing source again once it answers, and the page shows it fetched. The sources
 * are a loopback HTTP server this test starts, serving the NBP and ECB fixture files.
 */
describe.skipIf(!haveChromium && !process.env.CI)('web app: the daily exchange-rate fetch', () => {
  let t: TestApp;
  let browser: Browser;
  let server: Server;
  let base = '';
  let ecbUp = false;

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    server = createServer((req, res) => {
      if (req.url === '/nbp.json') return res.writeHead(200).end(fixture('nbp_tableA_170-A-NBP-2022_2022-09-02.json'));
      if (req.url === '/ecb.xml' && ecbUp) return res.writeHead(200).end(fixture('ecb_eurofxref-daily_2024-06-28.xml'));
      res.writeHead(503).end('maintenance');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const fxFetch = { sources: [{ id: 'nbp-a', format: 'nbp-json', url: `${origin}/nbp.json`, afterUtc: '00:00' }, { id: 'ecb', format: 'ecb-xml', url: `${origin}/ecb.xml`, quote: 'EUR', afterUtc: '00:00' }], maxAttempts: 4, retryMinutes: 30, timeoutMs: 2000 };
    t = await startTestApp({ databaseUrl: await createTestDatabase(), pluginConfig: { earning: { options: { fxFetch } } }, env: { LAUREL_WEB_DIR: WEB_DIR } });
    base = await listen(t);
    const task = t.host.periodicTasks.find((p) => p.name === 'fetch-fx-rates')!;
    await task.task(t.host.createContext({ requestId: 'task', locale: 'en', actor: { kind: 'system', name: 'earning:fetch-fx-rates' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log }));
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('shows each source’s last fetch, the failure and its retry, and fetches a source now', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'ru' });
    const page = await (await browser.newContext({ locale: 'ru-RU' })).newPage();
    await page.goto(`${base}/sign-in`);
    await page.locator('main input[name="email"]').fill(admin.email);
    await page.locator('main input[name="password"]').fill(TEST_PASSWORD);
    await page.locator('main form button[type="submit"]').click();
    await page.waitForURL(/\/admin$/);
    await page.goto(`${base}/admin/earning/fx-rates`);

    const card = page.locator('[data-fx-fetch]');
    const nbp = card.locator('[data-fx-source="nbp-a"]');
    const ecb = card.locator('[data-fx-source="ecb"]');
    expect(plain(await nbp.innerText())).toContain('Загружено');
    expect(plain(await nbp.innerText())).toContain('попытка 1 из 4');
    expect(plain(await nbp.innerText())).toMatch(/Курсов: \d+, на 2 сент\. 2022/);
    expect(plain(await ecb.innerText())).toContain('Ошибка, будет повтор');
    expect(plain(await ecb.locator('[data-fx-error]').innerText())).toContain('HTTP 503');
    expect(plain(await ecb.innerText())).toContain('Следующая попытка:');
    // The NBP rates are in the table.
    expect(await page.locator('main [data-currency="USD"]').count()).toBeGreaterThan(0);

    ecbUp = true;
    await ecb.locator('button', { hasText: 'Загрузить сейчас' }).click();
    await expect.poll(async () => plain(await page.locator('[data-fx-source="ecb"]').innerText())).toContain('Загружено');
    expect(plain(await page.locator('[data-fx-fetch]').innerText())).toContain('ecb загружен; состояние ниже.');
    const audit = await t.app.inject({ method: 'GET', url: '/api/v1/audit/records?action=earning.fx-fetch.', headers: t.adminHeaders });
    expect(audit.json().items.map((r: { action: string }) => r.action).sort()).toEqual(['earning.fx-fetch.failed', 'earning.fx-fetch.requested']);
  });
});
