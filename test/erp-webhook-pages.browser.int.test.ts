import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { signWebhook } from '@laurel/plugin-sdk';
import { recordingTemporalGateway, startTestApp, type TestApp } from '@laurel/core/testing';
import erpConnectors from '../plugins/erp-connectors/src/index.ts';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, plain, WEB_DIR, signInOnPage } from './browser.ts';

/**
 * The ERP connectors' "Webhook sources" and "Webhook deliveries" admin pages (declarative plugin pages) in a real
 * browser: an admin adds a source from the HubSpot preset and reads its secret once; a CRM posts a signed won deal with
 * it; the admin rotates the secret (the new one shown once, the old one kept until the chosen day) and reads the
 * delivery log — the posted deal, and a wrong signature as unauthorized. A Polish admin reads the pages in Polish;
 * staff without erp:read see no entry.
 */

describe.skipIf(!haveChromium && !process.env.CI)('web app: webhook sources pages', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let programId = '';

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), temporal: recordingTemporalGateway(), plugins: [erpConnectors], env: { LAUREL_WEB_DIR: WEB_DIR } });
    base = await listen(t);
    const post = async (url: string, payload: Record<string, unknown>) => {
      const res = await t.app.inject({ method: 'POST', url, headers: t.adminHeaders, payload });
      expect(res.statusCode, res.body).toBeLessThan(300);
      return res.json() as { id: string };
    };
    programId = (await post('/api/v1/programs', { code: 'web-hooks', name: { en: 'CRM Program', pl: 'Program CRM', ru: 'Программа CRM' }, currency: 'PLN', pointValueMinorPerThousand: 1000 })).id;
    await post(`/api/v1/programs/${programId}/status`, { status: 'live', reason: 'launch' });
    await post('/api/v1/partners', { programId, legalName: 'F.H.U. Jan Kowalski', nip: '1111111111', type: 'wholesaler' });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const signIn = (page: Page, email: string) => signInOnPage(page, base, email);

  const deliver = async (sourceId: string, secret: string) => {
    const body = JSON.stringify({ id: String(Date.now()), properties: { dealstage: 'closedwon', amount: '2500.00', deal_currency_code: 'PLN', closedate: '2026-11-20T10:15:00.000Z', partner_nip: '1111111111' } });
    const id = `msg_${Math.random().toString(36).slice(2)}`;
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(`${base}/api/v1/erp-connectors/webhooks/${sourceId}`, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(secret, id, ts, body) }, body });
    return { status: res.status, id };
  };

  it('lets an admin add a source from a preset, read its secret once, rotate it, and read the delivery log', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'en' });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, admin.email);
    await page.locator('.app-header nav a', { hasText: 'Webhook sources' }).click();
    await page.waitForURL(/\/admin\/plugins\/erp-connectors\/webhook-sources$/);
    expect(await page.locator('main h1').innerText()).toBe('Webhook sources');
    expect(await page.locator('main').innerText()).toContain('No webhook sources yet.');

    // ---- Add a source from the HubSpot preset: the secret is shown once.
    const create = page.locator('main form[data-plugin-section="create"]');
    await create.locator('input[name="programId"]').fill(programId);
    await create.locator('input[name="name"]').fill('HubSpot EU');
    await create.locator('input[name="eventSource"]').fill('crm-hubspot');
    await create.locator('select[name="preset"]').selectOption('hubspot-deal-won');
    await create.locator('button[type="submit"]').click();
    const created = page.locator('main [role="status"], main .alert', { hasText: 'Source HubSpot EU added' });
    await expect.poll(() => created.count(), { timeout: 15_000 }).toBeGreaterThan(0);
    const createdText = plain(await created.first().innerText());
    const secret = /whsec_[A-Za-z0-9+/=]+/.exec(createdText)?.[0];
    expect(secret).toBeDefined();
    const path = /\/api\/v1\/erp-connectors\/webhooks\/([0-9a-f-]{36})/.exec(createdText);
    expect(path).not.toBeNull();
    const sourceId = path![1]!;

    // The list shows it with the secret's first characters only; a reload shows the secret nowhere.
    await page.reload();
    const row = page.locator('main table tbody tr', { hasText: 'HubSpot EU' });
    expect(await row.count()).toBe(1);
    expect(await row.innerText()).toContain(`${secret!.slice(0, 10)}…`);
    expect(await page.locator('main').innerText()).not.toContain(secret!.slice(10));

    // ---- The CRM posts with it; a wrong secret is refused.
    expect((await deliver(sourceId, secret!)).status).toBe(200);
    expect((await deliver(sourceId, 'whsec_' + Buffer.alloc(32, 1).toString('base64'))).status).toBe(401);

    // ---- Rotate: a new secret, shown once; the old one until tomorrow.
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const rotate = page.locator('main form[data-plugin-section="rotate"]');
    await rotate.locator('input[name="sourceId"]').fill(sourceId);
    await rotate.locator('input[name="previousSecretExpiresAt"]').fill(tomorrow);
    await rotate.locator('button[type="submit"]').click();
    const rotated = page.locator('main [role="status"], main .alert', { hasText: 'New secret for HubSpot EU' });
    await expect.poll(() => rotated.count(), { timeout: 15_000 }).toBeGreaterThan(0);
    const fresh = /whsec_[A-Za-z0-9+/=]+/.exec(plain(await rotated.first().innerText()))?.[0];
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(secret);
    expect((await deliver(sourceId, secret!)).status).toBe(200);
    expect((await deliver(sourceId, fresh!)).status).toBe(200);

    // ---- The source's page: its mapping and the old secret's expiry.
    await page.reload();
    await page.locator('main table tbody tr', { hasText: 'HubSpot EU' }).locator('a').first().click();
    await page.waitForURL(/\/admin\/plugins\/erp-connectors\/webhook-sources\/[0-9a-f-]{36}$/);
    expect(await page.locator('main h1').innerText()).toBe('Webhook source HubSpot EU');
    expect(await page.locator('main pre[data-language="json"]').innerText()).toContain('/properties/dealstage');

    // ---- The delivery log: posted deals, the wrong signature as unauthorized.
    await page.goto(`${base}/admin/plugins/erp-connectors/webhook-deliveries`);
    expect(await page.locator('main h1').innerText()).toBe('Webhook deliveries');
    const rows = page.locator('main table tbody tr');
    expect(await rows.count()).toBe(4);
    const log = plain(await page.locator('main table').innerText());
    expect(log).toContain('Posted');
    expect(log).toContain('Unauthorized');
    expect(log).toContain('ERP_WEBHOOK_SIGNATURE_INVALID');
    expect(log).toContain('previous');

    // ---- Nothing wider than a phone.
    await page.setViewportSize({ width: 375, height: 800 });
    await page.reload();
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
    expect(overflow, 'the page scrolls sideways at 375 px').toBeLessThanOrEqual(0);
    await context.close();
  });

  it('speaks Polish to a Polish admin, and shows nothing to staff without erp:read', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'pl' });
    const context = await browser.newContext({ locale: 'pl-PL' });
    const page = await context.newPage();
    await signIn(page, admin.email);
    await page.locator('.app-header nav a', { hasText: 'Źródła webhooków' }).click();
    await page.waitForURL(/\/admin\/plugins\/erp-connectors\/webhook-sources$/);
    const text = await page.locator('main').innerText();
    expect(text).toContain('Dodaj źródło');
    expect(text).toContain('Zmień sekret');
    await context.close();

    const marketing = await t.signInAs(['marketing'], { locale: 'en' });
    const other = await browser.newContext({ locale: 'en-US' });
    const page2 = await other.newPage();
    await signIn(page2, marketing.email);
    expect(await page2.locator('.app-header nav a', { hasText: 'Webhook sources' }).count()).toBe(0);
    expect((await page2.goto(`${base}/admin/plugins/erp-connectors/webhook-deliveries`))?.status()).toBe(404);
    await other.close();
  });
});
