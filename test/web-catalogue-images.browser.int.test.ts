import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { Type, definePlugin, fulfilmentProvidersRef } from '@laurel/plugin-sdk';
import { ledgerServiceRef } from '@laurel/core';
import { activityDeps, createRedemptionActivities } from '@laurel/workflows';
import { recordingTemporalGateway, startTestApp, TEST_PASSWORD, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, plain, validNip, WEB_DIR } from './browser.ts';
import { solidPng } from './png.ts';

/**
 * Reward images and plugin fulfilment providers in a real browser. A Polish admin adds images to a reward (a file that
 * is not an image is refused at the file field, in Polish), gives one alternative text, reorders them; a partner sees
 * the first image on the catalogue card and all of them, in order, on the reward's page — decoded by the browser. An
 * English admin creates a reward fulfilled by a plugin's provider: the form offers it for the types it serves, asks for
 * its setting, shows the API's problem with it at the field, and the reward's page names the provider.
 */

const giftcards = definePlugin({
  id: 'giftcards',
  version: '1.0.0',
  compatibility: '^0.1.0',
  dependsOn: ['catalogue'],
  setup(ctx) {
    ctx.inject(fulfilmentProvidersRef)().register({
      id: 'giftcards.api',
      label: { en: 'Gift cards (API)', pl: 'Karty podarunkowe (API)', ru: 'Подарочные карты (API)' },
      rewardTypes: ['voucher'],
      settings: Type.Object({ productCode: Type.String({ pattern: '^[A-Z0-9-]+$', title: 'Product code' }) }, { additionalProperties: false }),
      fulfil: async () => ({ status: 'delivered', reference: 'GC-1' }),
    });
  },
});

describe.skipIf(!haveChromium && !process.env.CI)('web app: reward images and plugin fulfilment providers', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let programId = '';
  let partnerId = '';
  let rewardId = '';

  const api = async (method: 'POST' | 'PATCH', url: string, payload: Record<string, unknown>) => {
    const res = await t.app.inject({ method, url, headers: t.adminHeaders, payload });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json();
  };

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), temporal: recordingTemporalGateway(), plugins: [giftcards], env: { LAUREL_WEB_DIR: WEB_DIR } });
    base = await listen(t);
    programId = (await api('POST', '/api/v1/programs', { code: 'web-images', name: { en: 'Pictures', pl: 'Obrazki', ru: 'Картинки' }, currency: 'PLN', pointValueMinorPerThousand: 1000 })).id;
    await api('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'launch' });
    partnerId = (await api('POST', '/api/v1/partners', { programId, legalName: 'Obrazkowa Hurtownia Sp. z o.o.', nip: validNip(100_000_000 + Math.floor(Math.random() * 800_000_000)), type: 'wholesaler' })).id;
    const ctx = t.host.createContext({ requestId: 'web-images', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
    await t.host.service(ledgerServiceRef).earn(ctx, { partnerId, points: 5000, idempotencyKey: 'web-images-start', explanation: { invoice: 'FV/2026/12' } });
    rewardId = (
      await api('POST', '/api/v1/catalogue/rewards', {
        programId, sku: 'HEADSET', type: 'physical', name: { en: 'Headset', pl: 'Słuchawki', ru: 'Наушники' }, description: { en: 'Wireless.', pl: 'Bezprzewodowe.', ru: 'Беспроводные.' },
        category: 'Audio', pricePoints: 900, status: 'active', stock: 5,
      })
    ).id;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signIn(page: Page, email: string, landing: RegExp): Promise<void> {
    await page.goto(`${base}/sign-in`);
    await page.locator('main input[name="email"]').fill(email);
    await page.locator('main input[name="password"]').fill(TEST_PASSWORD);
    await page.locator('main form button[type="submit"]').click();
    await page.waitForURL(landing);
  }

  /** The browser fetched and decoded the image (a broken one has no natural width). */
  const decoded = (page: Page, selector: string) => page.locator(selector).evaluateAll((imgs) => imgs.map((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth));

  async function fitsPhone(page: Page): Promise<void> {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.reload();
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
    expect(overflow, `${page.url()} scrolls sideways at 375 px`).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  it('an admin adds, describes and orders images; a partner sees them on the card and the reward page', async () => {
    const admin = await t.signInAs(['program-manager'], { locale: 'pl' });
    const context = await browser.newContext({ locale: 'pl-PL', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, admin.email, /\/admin$/);
    await page.goto(`${base}/admin/rewards/${rewardId}`);
    const images = page.locator('main [data-images]');
    expect(await images.innerText()).toContain('Nie ma jeszcze obrazów.');
    const add = images.locator('form[action="?/imageAdd"]');

    // Not an image (whatever its name says): refused at the file field, in Polish.
    await add.locator('input[type="file"]').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from('GIF89a not really') });
    await add.locator('button[type="submit"]').click();
    await expect.poll(() => add.locator('[data-file-error]').count()).toBe(1);
    expect(await add.locator('[data-file-error]').innerText()).toBe('Przyjmujemy tylko obrazy PNG, JPEG i WebP; ten plik nie jest żadnym z nich.');
    expect(await add.locator('input[type="file"]').getAttribute('aria-invalid')).toBe('true');

    // A red one with its alternative text in Polish, then a blue one without.
    await add.locator('input[type="file"]').setInputFiles({ name: 'red.png', mimeType: 'image/png', buffer: solidPng(64, 48, [220, 40, 40]) });
    await add.locator('input[name="alt.pl"]').fill('Czerwone słuchawki');
    await add.locator('button[type="submit"]').click();
    await expect.poll(() => images.locator('li[data-image]').count()).toBe(1);
    await images.locator('form[action="?/imageAdd"] input[type="file"]').setInputFiles({ name: 'blue.png', mimeType: 'image/png', buffer: solidPng(64, 48, [40, 40, 220]) });
    await images.locator('form[action="?/imageAdd"] button[type="submit"]').click();
    await expect.poll(() => images.locator('li[data-image]').count()).toBe(2);
    expect(await decoded(page, 'main [data-images] li[data-image] img')).toEqual([64, 64]);
    expect(await images.locator('li[data-image] img').first().getAttribute('alt')).toBe('Czerwone słuchawki');
    expect(await images.locator('li[data-image] img').nth(1).getAttribute('alt')).toBe('Słuchawki');

    // The blue one first.
    const blueId = await images.locator('li[data-image]').nth(1).getAttribute('data-image');
    await images.locator(`li[data-image="${blueId}"] button[data-move="up"]`).click();
    await expect.poll(() => images.locator('li[data-image]').first().getAttribute('data-image')).toBe(blueId);
    expect(await images.innerText()).toContain('Obraz przesunięty.');
    await fitsPhone(page);

    // The partner's catalogue: the first image on the card, all of them in order on the reward's page.
    const partner = await t.signInAs(['partner-user'], { partnerId, locale: 'pl' });
    const partnerContext = await browser.newContext({ locale: 'pl-PL', viewport: { width: 1280, height: 900 } });
    const portal = await partnerContext.newPage();
    await signIn(portal, partner.email, /\/portal/);
    await portal.goto(`${base}/portal/rewards`);
    const card = portal.locator('main article[data-reward="HEADSET"]');
    expect(await card.locator('img').count()).toBe(1);
    expect(await card.locator('img').getAttribute('alt')).toBe('Słuchawki');
    expect(await decoded(portal, 'main article[data-reward="HEADSET"] img')).toEqual([64]);
    await card.locator('h3 a').click();
    await portal.waitForURL(new RegExp(`/portal/rewards/${rewardId}$`));
    const gallery = portal.locator('main [data-gallery] img');
    expect(await gallery.count()).toBe(2);
    expect(await gallery.evaluateAll((imgs) => imgs.map((img) => img.getAttribute('alt')))).toEqual(['Słuchawki', 'Czerwone słuchawki']);
    await gallery.nth(1).scrollIntoViewIfNeeded();
    await expect.poll(() => decoded(portal, 'main [data-gallery] img')).toEqual([64, 64]);
    // Red pixels where the second image is: the bytes a browser shows are the ones uploaded.
    const src = await gallery.nth(1).getAttribute('src');
    const served = await portal.request.get(`${base}${src}`);
    expect(served.status()).toBe(200);
    expect(served.headers()['cache-control']).toBe('private, max-age=31536000, immutable');
    expect((await served.body()).equals(solidPng(64, 48, [220, 40, 40]))).toBe(true);
    await fitsPhone(portal);
    await context.close();
    await partnerContext.close();
  });

  it('an admin creates a reward fulfilled by a plugin provider: offered for its type, its setting asked for and checked', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'en' });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, admin.email, /\/admin$/);
    await page.goto(`${base}/admin/rewards/new`);
    const form = page.locator('main form[method="POST"]');
    const fulfilment = form.locator('select[name="fulfilment"]');
    // A physical good: the provider (vouchers only) is not offered.
    expect(await fulfilment.locator('option').allInnerTexts()).not.toContain('Gift cards (API)');
    await form.locator('select[name="type"]').selectOption('voucher');
    await expect.poll(() => fulfilment.locator('option').allInnerTexts()).toContain('Gift cards (API)');
    await fulfilment.selectOption('giftcards.api');
    const code = form.locator('input[name="fulfilmentSettings.productCode"]');
    await expect.poll(() => code.count()).toBe(1);
    expect(plain(await form.locator('[data-provider-settings]').innerText())).toContain('Product code');
    await form.locator('input[name="sku"]').fill('GIFT-100');
    for (const lang of ['en', 'pl', 'ru']) {
      await form.locator(`input[name="name.${lang}"]`).fill(`Gift card 100 (${lang})`);
      await form.locator(`textarea[name="description.${lang}"]`).fill(`A card (${lang}).`);
    }
    await form.locator('input[name="category"]').fill('Cards');
    await form.locator('input[name="pricePoints"]').fill('1000');
    await code.fill('empik 100');
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => form.locator('input[name="fulfilmentSettings.productCode"][aria-invalid="true"]').count()).toBe(1);
    expect(await form.innerText()).toContain('The settings for the fulfilment provider are not valid');
    await form.locator('input[name="fulfilmentSettings.productCode"]').fill('EMPIK-100');
    await form.locator('button[type="submit"]').click();
    await page.waitForURL(/\/admin\/rewards\/[0-9a-f-]{36}\?created$/);
    const how = plain(await page.locator('main [data-fulfilment]').innerText());
    expect(how).toContain('Gift cards (API)');
    expect(how).toContain('productCode: EMPIK-100');
    await context.close();

    // An order of it: the redemption workflow's fulfil step hands it to the plugin; the partner sees its reference.
    const giftId = new URL(page.url()).pathname.split('/').pop()!;
    await api('PATCH', `/api/v1/catalogue/rewards/${giftId}`, { status: 'active' });
    const partner = await t.signInAs(['partner-user'], { partnerId, locale: 'pl' });
    const placed = await t.app.inject({ method: 'POST', url: '/api/v1/catalogue/orders', headers: partner, payload: { rewardId: giftId, quantity: 1, idempotencyKey: 'web-gift-1' } });
    expect(placed.statusCode, placed.body).toBe(201);
    const orderId = placed.json().id as string;
    const activities = createRedemptionActivities(activityDeps(t));
    expect(await activities.fulfilRedemption({ orderId, attempt: 1 })).toEqual({ result: 'done' });
    await activities.captureRedemption({ orderId });
    await activities.recordRedemptionStatus({ orderId, status: 'completed', note: null });
    const partnerContext = await browser.newContext({ locale: 'pl-PL', viewport: { width: 1280, height: 900 } });
    const portal = await partnerContext.newPage();
    await signIn(portal, partner.email, /\/portal/);
    await portal.goto(`${base}/portal/orders/${orderId}`);
    const details = plain(await portal.locator('main').innerText());
    expect(details).toContain('Numer realizacji');
    expect(details).toContain('GC-1');
    await partnerContext.close();
  });
});
