import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { isAppError } from '@laurel/plugin-sdk';
import { catalogueServiceRef, ledgerServiceRef } from '@laurel/core';
import { recordingTemporalGateway, startTestApp, TEST_PASSWORD, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, plain, validNip, WEB_DIR, gotoHydrated } from './browser.ts';

/**
 * Fulfilment by a supplier in a real browser: an admin (en) adds a supplier on this machine and sees its signing secret
 * once, edits it, rotates the secret, disables another one, and adds a reward fulfilled by the first; an order of that
 * reward is sent to the supplier (no answer, then 503, then fulfilled with its reference), and the admin's order page
 * shows the supplier's reference and the call log. A Polish admin who gives an http:// address of another host reads
 * the API's problem at the URL field, in Polish. Layouts are checked at a desktop width and at 375 px.
 */



interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A supplier on loopback: answers with what the test queued, and keeps what it received. */
function startSupplier(): Promise<{ server: Server; url: string; received: Received[]; answers: { status: number; body?: string; delayMs?: number }[] }> {
  const received: Received[] = [];
  const answers: { status: number; body?: string; delayMs?: number }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const answer = answers.shift() ?? { status: 200, body: '{}' };
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body ?? '');
      }, answer.delayMs ?? 0);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`, received, answers })));
}

/** What the supplier does with its secret (Standard Webhooks): the signature of "<id>.<timestamp>.<body>". */
function verify(secret: string, r: Received): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${String(r.headers['webhook-id'])}.${String(r.headers['webhook-timestamp'])}.${r.body}`).digest('base64');
  return String(r.headers['webhook-signature']).split(' ').includes(`v1,${expected}`);
}

describe.skipIf(!haveChromium && !process.env.CI)('web app: suppliers that fulfil rewards', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let programId = '';
  let partnerId = '';
  let supplier: Awaited<ReturnType<typeof startSupplier>>;

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    supplier = await startSupplier();
    t = await startTestApp({ databaseUrl: await createTestDatabase(), temporal: recordingTemporalGateway(), env: { LAUREL_WEB_DIR: WEB_DIR, LAUREL_VOUCHER_KEY: 'c3'.repeat(32) } });
    base = await listen(t);
    const program = await t.app.inject({
      method: 'POST',
      url: '/api/v1/programs',
      headers: t.adminHeaders,
      payload: { code: 'web-suppliers', name: { en: 'Supplied Rewards', pl: 'Nagrody od dostawców', ru: 'Награды от поставщиков' }, currency: 'PLN', pointValueMinorPerThousand: 1000 },
    });
    expect(program.statusCode, program.body).toBe(201);
    programId = program.json().id;
    const live = await t.app.inject({ method: 'POST', url: `/api/v1/programs/${programId}/status`, headers: t.adminHeaders, payload: { status: 'live', reason: 'launch' } });
    expect(live.statusCode, live.body).toBe(200);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/partners',
      headers: t.adminHeaders,
      payload: { programId, legalName: 'Dostawcza Hurtownia Sp. z o.o.', nip: validNip(100_000_000 + Math.floor(Math.random() * 800_000_000)), type: 'wholesaler', region: 'mazowieckie' },
    });
    expect(created.statusCode, created.body).toBe(201);
    partnerId = created.json().id;
    const ledger = t.host.service(ledgerServiceRef);
    const ctx = t.host.createContext({ requestId: 'web-suppliers', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
    await ledger.earn(ctx, { partnerId, points: 1000, idempotencyKey: 'web-suppliers-start', explanation: { invoice: 'FV/2026/11' } });

    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    supplier?.server.close();
  });

  async function signIn(page: Page, email: string, landing: RegExp): Promise<void> {
    await page.goto(`${base}/sign-in`);
    await page.locator('main input[name="email"]').fill(email);
    await page.locator('main input[name="password"]').fill(TEST_PASSWORD);
    await page.locator('main form button[type="submit"]').click();
    await page.waitForURL(landing);
  }

  /** Nothing wider than the viewport at 375 px (no horizontal scrolling), then back to the desktop width. */
  async function fitsPhone(page: Page): Promise<void> {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.reload();
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
    expect(overflow, `${page.url()} scrolls sideways at 375 px`).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  const row = (page: Page, name: string) => page.locator('main table tbody tr', { has: page.locator('[data-supplier-name]', { hasText: name }) });

  it('lets an admin add a supplier (secret shown once), edit and rotate it, add a reward it fulfils, and read its call log on the order', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'en' });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, admin.email, /\/admin$/);
    await page.locator('.app-header nav a', { hasText: 'Suppliers' }).click();
    await page.waitForURL(/\/admin\/suppliers$/);
    expect(await page.locator('main h1').innerText()).toBe('Suppliers');
    expect(await page.locator('main').innerText()).toContain('No suppliers yet');

    // ---- Add: the secret is shown once, with a copy button and the warning.
    const add = page.locator('main form[action="?/create"]');
    await add.locator('input[name="name"]').fill('Giftco');
    await add.locator('input[name="url"]').fill(supplier.url);
    await add.locator('input[name="timeout"]').fill('5');
    await add.locator('button[type="submit"]').click();
    const notice = page.locator('main [data-secret-notice]');
    await expect.poll(() => notice.count()).toBe(1);
    expect(await notice.innerText()).toContain('Supplier Giftco added');
    expect(await notice.innerText()).toContain('it will not be shown again');
    expect(await notice.locator('button', { hasText: 'Copy' }).count()).toBe(1);
    const firstSecret = await notice.locator('input[readonly]').inputValue();
    expect(firstSecret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const giftco = row(page, 'Giftco');
    expect(await giftco.innerText()).toContain(supplier.url);
    expect(await giftco.innerText()).toContain('5 seconds');
    expect(await giftco.innerText()).toContain('Active');
    // Shown once: the page loaded again has no trace of it.
    await page.goto(`${base}/admin/suppliers`);
    expect(await page.locator('main [data-secret-notice]').count()).toBe(0);
    expect(await page.content()).not.toContain(firstSecret);
    await fitsPhone(page);

    // ---- Edit the timeout (1 s, so a slow answer counts as none), then rotate the secret.
    await giftco.locator('summary', { hasText: 'Edit' }).click();
    const edit = giftco.locator('form[action="?/update"]');
    await edit.locator('input[name="timeout"]').fill('1');
    await edit.locator('button[type="submit"]').click();
    await expect.poll(async () => page.locator('main').innerText()).toContain('Supplier Giftco saved.');
    await expect.poll(async () => plain(await row(page, 'Giftco').innerText())).toContain('1 second');
    await row(page, 'Giftco').locator('summary', { hasText: 'New signing secret' }).click();
    expect(await row(page, 'Giftco').innerText()).toContain('the current one stops signing at once');
    await row(page, 'Giftco').locator('form[action="?/rotate"] button[type="submit"]').click();
    await expect.poll(() => page.locator('main [data-secret-notice]').count()).toBe(1);
    expect(await page.locator('main [data-secret-notice]').innerText()).toContain('New signing secret for Giftco');
    const secret = await page.locator('main [data-secret-notice] input[readonly]').inputValue();
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(firstSecret);

    // ---- A second supplier, disabled: new rewards cannot choose it.
    await page.goto(`${base}/admin/suppliers`);
    await add.locator('input[name="name"]').fill('Old Courier');
    await add.locator('input[name="url"]').fill('https://courier.example.com/orders');
    await add.locator('button[type="submit"]').click();
    await expect.poll(() => row(page, 'Old Courier').count()).toBe(1);
    await row(page, 'Old Courier').locator('summary', { hasText: 'Disable' }).click();
    await row(page, 'Old Courier').locator('form[action="?/status"] button[type="submit"]').click();
    await expect.poll(async () => page.locator('main').innerText()).toContain('Supplier Old Courier is disabled.');
    expect(await row(page, 'Old Courier').innerText()).toContain('Disabled');
    expect(await row(page, 'Old Courier').locator('button', { hasText: 'Enable' }).count()).toBe(1);
    await fitsPhone(page);

    // Each action went through the API and left an audit record.
    const audit = await t.app.inject({ method: 'GET', url: '/api/v1/audit/records?action=catalogue.supplier.', headers: t.adminHeaders });
    const actions = audit.json().items.map((r: { action: string }) => r.action);
    expect(actions.filter((a: string) => a === 'catalogue.supplier.created')).toHaveLength(2);
    expect(actions.filter((a: string) => a === 'catalogue.supplier.updated')).toHaveLength(2);
    expect(actions).toContain('catalogue.supplier.secret-rotated');

    // ---- A reward fulfilled by Giftco. The fulfilment follows the type until chosen (vouchers: the code pool).
    await gotoHydrated(page, `${base}/admin/rewards/new`); // the fulfilment follows the type only once hydrated
    const form = page.locator('main form[method="POST"]');
    expect(await form.locator('select[name="fulfilment"]').inputValue()).toBe('manual');
    await form.locator('select[name="type"]').selectOption('voucher');
    await expect.poll(() => form.locator('select[name="fulfilment"]').inputValue()).toBe('voucher-pool');
    await form.locator('select[name="type"]').selectOption('service');
    await expect.poll(() => form.locator('select[name="fulfilment"]').inputValue()).toBe('manual');
    expect(await form.locator('select[name="supplierId"]').count()).toBe(0);
    await form.locator('select[name="fulfilment"]').selectOption('supplier');
    const supplierSelect = form.locator('select[name="supplierId"]');
    await expect.poll(() => supplierSelect.count()).toBe(1);
    const offered = await supplierSelect.locator('option').allInnerTexts();
    expect(offered).toContain('Giftco');
    expect(offered).not.toContain('Old Courier');
    await form.locator('input[name="sku"]').fill('COURSE-1');
    for (const lang of ['en', 'pl', 'ru']) {
      await form.locator(`input[name="name.${lang}"]`).fill(`Sales course (${lang})`);
      await form.locator(`textarea[name="description.${lang}"]`).fill(`An online course (${lang}).`);
    }
    await form.locator('input[name="category"]').fill('Training');
    await form.locator('input[name="pricePoints"]').fill('200');
    await form.locator('select[name="status"]').selectOption('active');
    // No supplier chosen: the field says so.
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => form.locator('select[name="supplierId"][aria-invalid="true"]').count()).toBe(1);
    expect(await form.innerText()).toContain('Fill in this field.');
    await form.locator('select[name="supplierId"]').selectOption({ label: 'Giftco' });
    await form.locator('button[type="submit"]').click();
    await page.waitForURL(/\/admin\/rewards\/[0-9a-f-]{36}\?created$/);
    const rewardId = new URL(page.url()).pathname.split('/').pop()!;
    const fulfilment = page.locator('main [data-fulfilment="supplier"]');
    expect(await fulfilment.innerText()).toContain('By a supplier');
    expect(await fulfilment.locator('[data-supplier]').innerText()).toBe('Giftco');
    await fitsPhone(page);

    // ---- An order of it, sent to Giftco by the redemption step: no answer in time, then a 503, then fulfilled.
    const partnerUser = await t.signInAs(['partner-user'], { partnerId });
    const placed = await t.app.inject({ method: 'POST', url: '/api/v1/catalogue/orders', headers: partnerUser, payload: { rewardId, quantity: 1, idempotencyKey: 'web-suppliers-1' } });
    expect(placed.statusCode, placed.body).toBe(201);
    const orderId = placed.json().id as string;
    const catalogue = t.host.service(catalogueServiceRef);
    const system = () => t.host.createContext({ requestId: 'web-suppliers', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
    supplier.answers.push({ status: 200, body: '{}', delayMs: 1500 }, { status: 503, body: 'busy, try later' }, { status: 200, body: JSON.stringify({ status: 'fulfilled', reference: 'GC-991' }) });
    for (const expected of ['CATALOGUE_SUPPLIER_UNAVAILABLE', 'CATALOGUE_SUPPLIER_UNAVAILABLE']) {
      const error = await catalogue.fulfil(system(), orderId).then(() => null, (e: unknown) => e);
      expect(isAppError(error) && error.code).toBe(expected);
    }
    expect(await catalogue.fulfil(system(), orderId)).toEqual({ result: 'done' });
    expect(supplier.received.every((r) => verify(secret, r))).toBe(true);
    expect(supplier.received.some((r) => verify(firstSecret, r))).toBe(false);

    await page.goto(`${base}/admin/orders/${orderId}`);
    const details = plain(await page.locator('main').innerText());
    expect(details).toContain("Supplier's reference");
    expect(details).toContain('GC-991');
    expect(details).toContain('Giftco');
    const calls = page.locator('main [data-supplier-calls] tbody tr');
    expect(await calls.count()).toBe(3);
    const [first, second, third] = [plain(await calls.nth(0).innerText()), plain(await calls.nth(1).innerText()), plain(await calls.nth(2).innerText())];
    expect(first).toContain('No answer');
    expect(first).toContain('Failed (retryable)');
    expect(first).toContain('no answer within 1000 ms');
    expect(second).toContain('HTTP 503');
    expect(second).toContain('busy, try later');
    expect(third).toContain('HTTP 200');
    expect(third).toContain('Fulfilled');
    expect(third).toContain('GC-991');
    await fitsPhone(page);
    await context.close();
  }, 120_000);

  it('shows the API problem for an http:// address of another host at the URL field, in Polish', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'pl' });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, admin.email, /\/admin$/);
    expect(await page.locator('.app-header nav').innerText()).toContain('Dostawcy');
    await page.goto(`${base}/admin/suppliers`);
    expect(await page.locator('main h1').innerText()).toBe('Dostawcy');
    const add = page.locator('main form[action="?/create"]');
    await add.locator('input[name="name"]').fill('Kurier Plus');
    await add.locator('input[name="url"]').fill('http://supplier.example.com/orders');
    await add.locator('button[type="submit"]').click();
    const url = add.locator('input[name="url"][aria-invalid="true"]');
    await expect.poll(() => url.count()).toBe(1);
    const errorId = (await url.getAttribute('aria-describedby'))!.split(' ').find((id) => id.endsWith('-error'))!;
    const message = await page.locator(`[id="${errorId}"]`).innerText();
    expect(message).toContain('http://supplier.example.com/orders nie jest adresem dostawcy');
    expect(message).toContain('użyj https://');
    expect(await page.locator('main').innerText()).not.toContain('/api/v1/catalogue/suppliers nie jest');
    // What was typed is kept, nothing was added, and no secret is shown.
    expect(await add.locator('input[name="name"]').inputValue()).toBe('Kurier Plus');
    expect(await page.locator('main [data-secret-notice]').count()).toBe(0);
    const listed = await t.app.inject({ method: 'GET', url: `/api/v1/catalogue/suppliers?programId=${programId}`, headers: t.adminHeaders });
    expect(listed.json().items.map((s: { name: string }) => s.name)).not.toContain('Kurier Plus');
    await fitsPhone(page);
    await context.close();
  }, 60_000);
});
