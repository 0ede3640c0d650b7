import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Page } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { ledgerServiceRef } from '@laurel/core';
import { recordingTemporalGateway, startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, validNip, WEB_DIR, signInOnPage } from './browser.ts';

/**
 * One delivery address per checkout, in a real browser (Russian): a cart with two physical goods and a voucher asks for
 * one address, filled in from the company's profile (its name, country, the applicant's phone); both physical orders
 * carry it, the voucher none. The next checkout — the cart's and a single reward's — starts from that last delivery.
 */
describe.skipIf(!haveChromium && !process.env.CI)('web app: one delivery address per checkout, filled in', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let programId = '';
  let partnerId = '';
  const rewards: Record<string, string> = {};

  const api = async (method: 'POST' | 'GET', url: string, payload?: Record<string, unknown>, headers = t.adminHeaders) => {
    const res = await t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json();
  };

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), temporal: recordingTemporalGateway(), env: { LAUREL_WEB_DIR: WEB_DIR, LAUREL_VOUCHER_KEY: 'd4'.repeat(32) } });
    base = await listen(t);
    programId = (await api('POST', '/api/v1/programs', { code: 'web-address', name: { en: 'Address', pl: 'Adres', ru: 'Адрес' }, currency: 'PLN', pointValueMinorPerThousand: 1000 })).id;
    await api('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'launch' });
    partnerId = (await api('POST', '/api/v1/partners', { programId, legalName: 'Адресная Оптовая Sp. z o.o.', nip: validNip(100_000_000 + Math.floor(Math.random() * 800_000_000)), type: 'wholesaler', country: 'CZ' })).id;
    const ctx = t.host.createContext({ requestId: 'web-address', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
    await t.host.service(ledgerServiceRef).earn(ctx, { partnerId, points: 10_000, idempotencyKey: 'web-address-start', explanation: { invoice: 'FV/2026/12' } });
    const reward = async (sku: string, type: string, extra: Record<string, unknown> = {}) =>
      (rewards[sku] = (await api('POST', '/api/v1/catalogue/rewards', { programId, sku, type, name: { en: sku, pl: sku, ru: sku }, description: { en: 'd', pl: 'd', ru: 'd' }, category: 'c', pricePoints: 100, status: 'active', ...extra })).id);
    await reward('MUG', 'physical');
    await reward('BAG', 'physical');
    await reward('CARD', 'voucher');
    await api('POST', `/api/v1/catalogue/rewards/${rewards.CARD}/vouchers`, { codes: ['C-1', 'C-2'] });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const signIn = (page: Page, email: string) => signInOnPage(page, base, email, /\/portal/);

  const add = async (page: Page, sku: string) => {
    await page.goto(`${base}/portal/rewards`);
    await page.locator(`main article[data-reward="${sku}"] form button[type="submit"]`).click();
    await page.waitForURL(/\/portal\/cart\?added=/);
  };

  it('asks one address for every physical line, filled in from the profile, then from the last delivery', async () => {
    const user = await t.signInAs(['partner-user'], { partnerId, locale: 'ru' });
    const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, user.email);
    for (const sku of ['MUG', 'BAG', 'CARD']) await add(page, sku);

    const checkout = page.locator('main form[action="?/checkout"]');
    expect(await checkout.locator('fieldset').count()).toBe(1);
    expect(await checkout.locator('input[name="shipping.street"]').count()).toBe(1);
    expect(await checkout.locator('[data-shipping-source]').getAttribute('data-shipping-source')).toBe('profile');
    expect(await checkout.locator('[data-shipping-source]').innerText()).toBe('Заполнено данными из профиля вашей компании; добавьте улицу, почтовый индекс и город.');
    expect(await checkout.locator('input[name="shipping.name"]').inputValue()).toBe('Адресная Оптовая Sp. z o.o.');
    expect(await checkout.locator('input[name="shipping.country"]').inputValue()).toBe('CZ');
    await checkout.locator('input[name="shipping.name"]').fill('Иван Петров');
    await checkout.locator('input[name="shipping.street"]').fill('Václavské náměstí 1');
    await checkout.locator('input[name="shipping.postalCode"]').fill('110 00');
    await checkout.locator('input[name="shipping.city"]').fill('Praha');
    await checkout.locator('button[type="submit"]').click();
    await page.waitForURL(/\/portal\/cart\/placed\?orders=/);

    const orders = (await api('GET', '/api/v1/catalogue/me/orders', undefined, user)).items as { sku: string; shipping: Record<string, string> | null }[];
    const address = { name: 'Иван Петров', street: 'Václavské náměstí 1', postalCode: '110 00', city: 'Praha', country: 'CZ' };
    expect(orders.find((o) => o.sku === 'MUG')!.shipping).toEqual(address);
    expect(orders.find((o) => o.sku === 'BAG')!.shipping).toEqual(address);
    expect(orders.find((o) => o.sku === 'CARD')!.shipping).toBeNull();

    // The next time: the cart and a single reward's checkout start from that delivery.
    await add(page, 'MUG');
    expect(await checkout.locator('[data-shipping-source]').getAttribute('data-shipping-source')).toBe('last-order');
    expect(await checkout.locator('input[name="shipping.street"]').inputValue()).toBe('Václavské náměstí 1');
    expect(await checkout.locator('input[name="shipping.city"]').inputValue()).toBe('Praha');
    await page.goto(`${base}/portal/rewards/${rewards.BAG}/checkout?quantity=1`);
    const single = page.locator('main form[method="POST"]');
    expect(await single.locator('input[name="shipping.name"]').inputValue()).toBe('Иван Петров');
    expect(await single.locator('input[name="shipping.postalCode"]').inputValue()).toBe('110 00');
    // A voucher alone asks for no address at all.
    await page.goto(`${base}/portal/rewards/${rewards.CARD}/checkout?quantity=1`);
    expect(await page.locator('main input[name="shipping.street"]').count()).toBe(0);
    await context.close();
  });
});
