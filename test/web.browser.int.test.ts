import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, WEB_DIR } from './browser.ts';

/**
 * The served web app in a real browser: Chromium (Debian's /usr/bin/chromium) driven by playwright-core
 * against `laurel server`'s Fastify app on a real port. `pnpm test` builds the web app first.
 */
// In CI the browser is installed by .ci/run, so its absence is a failure, not a skip.

describe.skipIf(!haveChromium && !process.env.CI)('web app in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env: { LAUREL_WEB_DIR: WEB_DIR } });
    base = await listen(t);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('serves the app in English by default, then Polish and Russian from the switcher, and remembers the choice', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await expect.poll(() => page.locator('h1').first().innerText()).toBe('Welcome to Laurel');

    await page.locator('button[name="lang"][value="pl"]').click();
    await expect.poll(() => page.getAttribute('html', 'lang')).toBe('pl');
    await expect.poll(() => page.locator('nav').first().innerText()).toContain('Stan systemu');
    await page.reload();
    expect(await page.getAttribute('html', 'lang')).toBe('pl');

    await page.locator('button[name="lang"][value="ru"]').click();
    await expect.poll(() => page.getAttribute('html', 'lang')).toBe('ru');
    await expect.poll(() => page.locator('nav').first().innerText()).toContain('Состояние системы');
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'laurel_locale')?.value).toBe('ru');
    await context.close();
  }, 60_000);

  it('picks the language from Accept-Language on a first visit, and works without JavaScript', async () => {
    const context = await browser.newContext({ locale: 'pl-PL', javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    expect(await page.getAttribute('html', 'lang')).toBe('pl');
    await page.locator('button[name="lang"][value="ru"]').click();
    await page.waitForURL(`${base}/`);
    expect(await page.getAttribute('html', 'lang')).toBe('ru');
    await context.close();
  }, 60_000);

  it('shows live system health from the API', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${base}/system/health`);
    await expect.poll(() => page.locator('main').innerText()).toContain('PostgreSQL');
    const text = await page.locator('main').innerText();
    expect(text).toMatch(/Temporal/);
    expect(text).not.toMatch(/undefined|NaN/);
    await context.close();
  }, 60_000);

  it('leaves API paths to the API: an unknown one is problem+json, not the web app', async () => {
    const res = await fetch(`${base}/api/v1/unknown`, { headers: { 'accept-language': 'pl' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(((await res.json()) as { title: string }).title).toBe('Nie znaleziono');
  });
});
