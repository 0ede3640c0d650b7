import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { verifyWebhook, webhookServiceRef } from '@laurel/core';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, WEB_DIR, signInOnPage } from './browser.ts';

/**
 * Outbound webhooks in a real browser: an admin (pl) adds a subscription for a receiver this test runs on loopback,
 * copies the secret shown once, an event happens, and the delivery appears in the log with the receiver's answer;
 * the delivery page shows the attempt and sends it again; a test message goes out from the list. The test app runs
 * no background loops, so the test drains the outbox and the webhook worker itself. `pnpm test` builds the web app
 * first.
 */

describe.skipIf(!haveChromium && !process.env.CI)('web app: webhooks in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let receiverUrl = '';
  const received: { headers: Record<string, string>; body: string }[] = [];
  const receiver: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(202, { 'content-type': 'text/plain' }).end('accepted by the test receiver');
    });
  });

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/laurel-hooks`;
    t = await startTestApp({
      databaseUrl: await createTestDatabase(),
      env: { LAUREL_WEB_DIR: WEB_DIR },
      pluginConfig: { webhooks: { options: { allowPrivateTargets: true, retryBaseMs: 1, retryMaxMs: 5 } } },
    });
    base = await listen(t);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  const signInThroughPage = (page: Page, email: string) => signInOnPage(page, base, email);

  /** An event the way a module emits it, then what the server's loops do: the outbox fan-out and the webhook worker. */
  async function eventHappens(): Promise<void> {
    const ctx = t.host.createContext({ requestId: 'browser-test', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
    ctx.emit('earning.event.processed', {
      eventId: '00000000-0000-7000-8000-000000000042',
      type: 'invoice.issued',
      programId: '00000000-0000-7000-8000-000000000001',
      partnerId: '00000000-0000-7000-8000-000000000002',
      occurredAt: new Date().toISOString(),
      points: 120,
      invoiceEventId: null,
      netTotal: 12_000,
      lines: null,
    });
    await ctx.em.flush();
    await deliver();
  }
  async function deliver(): Promise<void> {
    await t.outbox.drainUntilIdle();
    const system = t.host.createContext({ requestId: 'browser-test', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
    await t.host.service(webhookServiceRef).deliverDue(system);
  }

  async function fitsPhone(page: Page): Promise<void> {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.reload();
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
    expect(overflow, `${page.url()} scrolls sideways at 375 px`).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  it('creates a subscription (secret shown once), sees the delivery with its response code, and sends it again', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'pl' });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInThroughPage(page, admin.email);

    // The navigation leads to the page.
    await page.locator('header nav a[href="/admin/webhooks"]').click();
    await page.waitForURL(`${base}/admin/webhooks`);
    expect(await page.locator('main h1').first().innerText()).toBe('Webhooki');
    expect(await page.locator('main').innerText()).toContain('Brak subskrypcji');

    // A URL that is not one, and no event type: told at the fields, in Polish, before any round trip to the API.
    await page.locator('main form[action="?/create"] input[name="url"]').fill('hooks.example.com');
    await page.locator('main form[action="?/create"] input[name="url"]').evaluate((input: { setAttribute(name: string, value: string): void }) => input.setAttribute('type', 'text'));
    await page.locator('main form[action="?/create"] button[type="submit"]').click();
    await page.locator('main form[action="?/create"]').getByText('Podaj adres URL http(s)').waitFor();
    expect(await page.locator('main form[action="?/create"]').innerText()).toContain('Wybierz co najmniej jeden typ zdarzenia');

    await page.locator('main form[action="?/create"] input[name="url"]').fill(receiverUrl);
    await page.locator('main form[action="?/create"] input[name="eventTypes"][value="earning.event.processed"]').check();
    await page.locator('main form[action="?/create"] input[name="description"]').fill('ERP — statusy w portalu');
    await page.locator('main form[action="?/create"] button[type="submit"]').click();
    const notice = page.locator('main [data-secret-notice]');
    await notice.waitFor();
    expect(await notice.innerText()).toContain('jest pokazywany tylko ten jeden raz');
    const secret = (await notice.locator('input').first().inputValue()).trim();
    expect(secret).toMatch(/^whsec_/);
    expect(await page.locator('main [data-subscription-url]').allInnerTexts()).toEqual([receiverUrl]);

    // The secret is not on the page any more once it is left.
    await page.reload();
    expect(await page.locator('main [data-secret-notice]').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    // An event happens: the receiver gets it signed with that secret, and the log shows the delivery and its code.
    await eventHappens();
    expect(received).toHaveLength(1);
    expect(verifyWebhook(secret, received[0]!.headers, received[0]!.body)).toBe(true);
    await page.reload();
    const link = page.locator('main a[data-delivery-link]');
    expect(await link.count()).toBe(1);
    const row = page.locator('main table tr', { has: page.locator('a[data-delivery-link]') });
    expect(await row.innerText()).toContain('Dostarczono');
    expect(await row.locator('[data-status-code]').innerText()).toBe('202');
    await fitsPhone(page);

    // The delivery's page: the attempt with the answer, and "send again".
    await link.click();
    await page.waitForURL(/\/admin\/webhooks\/deliveries\/[0-9a-f-]+$/);
    expect(await page.locator('main h1').first().innerText()).toBe('Dostarczenie webhooka');
    const attempts = page.locator('main section[aria-labelledby="attempts-title"] tbody tr');
    expect(await attempts.count()).toBe(1);
    expect(await attempts.first().innerText()).toContain('HTTP 202');
    expect(await attempts.first().innerText()).toContain('accepted by the test receiver');
    expect(await page.locator('main pre').last().innerText()).toContain('"type": "earning.event.processed"');
    await page.locator('main form[action="?/replay"] button[type="submit"]').click();
    await page.getByText('zostanie za chwilę wysłane ponownie').waitFor();
    await deliver();
    await page.reload();
    expect(await attempts.count()).toBe(2);
    expect(await attempts.nth(1).innerText()).toContain('wysłane ponownie przez administratora');
    expect(received).toHaveLength(2);
    expect(received[1]!.headers['webhook-id']).toBe(received[0]!.headers['webhook-id']);
    await fitsPhone(page);

    // A test message from the list: queued, sent signed, and in the log as webhooks.test.
    await page.goto(`${base}/admin/webhooks`);
    await page.locator('main form[action="?/test"] button[type="submit"]').click();
    await page.getByText('Wiadomość testowa do').waitFor();
    await deliver();
    expect(received).toHaveLength(3);
    expect(JSON.parse(received[2]!.body).type).toBe('webhooks.test');
    expect(verifyWebhook(secret, received[2]!.headers, received[2]!.body)).toBe(true);
    await page.reload();
    expect(await page.locator('main a[data-delivery-link]').allInnerTexts()).toEqual(['webhooks.test', 'earning.event.processed']);
    await context.close();
  });
});
