import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { ledgerServiceRef } from '@laurel/core';
import { startTestApp, TEST_PASSWORD, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, validNip, WEB_DIR, signInOnPage } from './browser.ts';

/**
 * The partner's cart in a real browser (Polish): two rewards added from the catalogue, a quantity changed, a delivery
 * address for the physical one, one checkout placing both orders with their points reserved (no Temporal here, so the
 * orders stay "placed"); a double submit of the same rendering places nothing twice. Then a cart whose line sells out
 * before it is placed: the problem is shown at that line, in Polish, and nothing is ordered.
 */


const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ').replace(/\s+/g, ' ');

describe.skipIf(!haveChromium && !process.env.CI)('web app: the partner’s cart and its checkout', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let partnerId = '';
  let programId = '';
  const rewards: Record<string, string> = {};

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env: { LAUREL_WEB_DIR: WEB_DIR } });
    base = await listen(t);
    const api = async (method: 'POST' | 'PATCH', url: string, payload: unknown) => {
      const res = await t.app.inject({ method, url, headers: t.adminHeaders, payload: payload as never });
      expect(res.statusCode, res.body).toBeLessThan(300);
      return res.json();
    };
    programId = (await api('POST', '/api/v1/programs', { code: 'web-cart', name: { en: 'Cart Partners', pl: 'Partnerzy z koszykiem', ru: 'Партнёры с корзиной' }, currency: 'PLN', pointValueMinorPerThousand: 1000 })).id;
    await api('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'launch' });
    partnerId = (
      await api('POST', '/api/v1/partners', { programId, legalName: 'Koszykowa Hurtownia Sp. z o.o.', nip: validNip(100_000_000 + Math.floor(Math.random() * 800_000_000)), type: 'wholesaler', region: 'mazowieckie' })
    ).id;
    const defs = [
      ['MUG', 'physical', 'Kubek z logo', 100, 10],
      ['TRAINING', 'training', 'Szkolenie produktowe', 200, null],
      ['LAST-ONE', 'service', 'Przegląd serwisowy', 50, 1],
    ] as const;
    for (const [sku, type, pl, pricePoints, stock] of defs) {
      const name = { en: `${sku} (en)`, pl, ru: `${sku} (ru)` };
      rewards[sku] = (await api('POST', '/api/v1/catalogue/rewards', { programId, sku, type, name, description: name, category: 'Różne', pricePoints, stock, status: 'active' })).id;
    }
    const ledger = t.host.service(ledgerServiceRef);
    const ctx = t.host.createContext({ requestId: 'web-cart', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
    await ledger.earn(ctx, { partnerId, points: 1000, idempotencyKey: 'web-cart-start', explanation: { invoice: 'FV/2026/11' } });

    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const signIn = (page: Page, email: string) => signInOnPage(page, base, email, /\/portal$/);

  async function fitsPhone(page: Page): Promise<void> {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.reload();
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
    expect(overflow, `${page.url()} scrolls sideways at 375 px`).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  const orderCount = async () => (await t.app.inject({ method: 'GET', url: `/api/v1/catalogue/orders?partnerId=${partnerId}`, headers: t.adminHeaders })).json().items.length as number;
  const balances = async () => (await t.app.inject({ method: 'GET', url: `/api/v1/ledger/partners/${partnerId}/balances`, headers: t.adminHeaders })).json() as { available: number; reserved: number };

  it('adds two rewards, changes a quantity and places both orders at once; a double submit places nothing twice', async () => {
    const user = await t.signInAs(['partner-user'], { partnerId, locale: 'pl' });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const p = await context.newPage();
    await signIn(p, user.email);
    expect(await p.locator('.app-header nav').innerText()).toContain('Koszyk (0)');

    // From an offer card: one click, then the cart says so.
    await p.goto(`${base}/portal/rewards`);
    await p.locator('main [data-reward="MUG"] button', { hasText: 'Dodaj do koszyka' }).click();
    await p.waitForURL(/\/portal\/cart\?added=/);
    expect(await p.locator('main').innerText()).toContain('Kubek z logo jest w koszyku.');
    expect(await p.locator('.app-header nav').innerText()).toContain('Koszyk (1)');

    // From the reward's page, with a quantity.
    await p.goto(`${base}/portal/rewards/${rewards.TRAINING}`);
    await p.locator('main input[name="quantity"]').fill('2');
    await p.locator('main [data-add-to-cart]').click();
    await p.waitForURL(/\/portal\/cart\?added=/);
    expect(await p.locator('.app-header nav').innerText()).toContain('Koszyk (2)');
    expect(await p.locator('main [data-line]').count()).toBe(2);
    expect(plain(await p.locator('main [data-line="TRAINING"] [data-line-total]').innerText())).toBe('400 punktów');
    expect(plain(await p.locator('main [data-total]').innerText())).toBe('500 punktów');

    // The mug's quantity: 3.
    const mug = p.locator('main [data-line="MUG"]');
    await mug.locator('input[name="quantity"]').fill('3');
    await mug.locator('button', { hasText: 'Zmień' }).click();
    await expect.poll(async () => plain(await mug.locator('[data-line-total]').innerText())).toBe('300 punktów');
    await expect.poll(async () => plain(await p.locator('main [data-total]').innerText())).toBe('700 punktów');
    expect(await mug.locator('input[name="quantity"]').inputValue()).toBe('3');
    expect(plain(await p.locator('main [data-balance-after]').innerText())).toBe('300 punktów');
    await fitsPhone(p);

    // A physical good: the delivery address is asked for (and required).
    const checkout = p.locator('main form[action="?/checkout"]');
    await checkout.locator('button[type="submit"]').click();
    // The company's name is filled in from its profile; the street is still to be given.
    await expect.poll(() => checkout.locator('input[name="shipping.street"][aria-invalid="true"]').count()).toBe(1);
    expect(await checkout.locator('input[name="shipping.name"]').inputValue()).toBe('Koszykowa Hurtownia Sp. z o.o.');
    expect(await orderCount()).toBe(0);
    await checkout.locator('input[name="shipping.name"]').fill('Anna Nowak');
    await checkout.locator('input[name="shipping.street"]').fill('ul. Prosta 1');
    await checkout.locator('input[name="shipping.postalCode"]').fill('00-001');
    await checkout.locator('input[name="shipping.city"]').fill('Warszawa');
    const nonce = await checkout.locator('input[name="nonce"]').inputValue();
    const lines = await checkout.locator('input[name="line"]').evaluateAll((inputs) => inputs.map((i) => (i as unknown as { value: string }).value));
    await checkout.locator('button[type="submit"]').click();
    await p.waitForURL(/\/portal\/cart\/placed\?orders=/);
    const placedUrl = new URL(p.url());

    expect(await p.locator('main h1').innerText()).toBe('Zamówienia złożone');
    expect(await p.locator('main [data-order]').count()).toBe(2);
    expect(await p.locator('main [data-order="MUG"]').innerText()).toContain('Kubek z logo');
    expect(plain(await p.locator('main [data-order="MUG"]').innerText())).toContain('300 punktów');
    expect(await p.locator('main [data-order="TRAINING"]').innerText()).toContain('Złożone');
    expect(plain(await p.locator('main [data-reserved]').innerText())).toBe('Zarezerwowano: 700 punktów.');
    expect(plain(await p.locator('main [data-balance]').innerText())).toBe('300 punktów');
    expect(await p.locator('.app-header nav').innerText()).toContain('Koszyk (0)');
    expect(await orderCount()).toBe(2);
    expect(await balances()).toMatchObject({ available: 300, reserved: 700 });

    // The same rendering sent again: the API replays the checkout, no new orders.
    const form = new URLSearchParams({ nonce, 'shipping.name': 'Anna Nowak', 'shipping.street': 'ul. Prosta 1', 'shipping.postalCode': '00-001', 'shipping.city': 'Warszawa', 'shipping.country': 'PL', physical: '1' });
    for (const line of lines) form.append('line', line);
    const again = await p.request.post(`${base}/portal/cart?/checkout`, {
      headers: { origin: base, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      maxRedirects: 0,
      data: form.toString(),
    });
    expect(again.status()).toBe(303);
    expect(again.headers()['location']).toBe(placedUrl.pathname + placedUrl.search);
    expect(await orderCount()).toBe(2);

    // Each order links to its page.
    await p.locator('main [data-order="MUG"] a').click();
    await p.waitForURL(/\/portal\/orders\/[0-9a-f-]{36}$/);
    expect(await p.locator('main h1').innerText()).toBe('Zamówienie: Kubek z logo');
    await fitsPhone(p);
    await context.close();
  }, 120_000);

  it('shows a line that sold out meanwhile at that line, in Polish, and places nothing', async () => {
    const user = await t.signInAs(['partner-user'], { partnerId, locale: 'pl' });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const p = await context.newPage();
    await signIn(p, user.email);
    for (const sku of ['TRAINING', 'LAST-ONE']) {
      await p.goto(`${base}/portal/rewards`);
      await p.locator(`main [data-reward="${sku}"] button`, { hasText: 'Dodaj do koszyka' }).click();
      await p.waitForURL(/\/portal\/cart\?added=/);
    }
    expect(await p.locator('main [data-line]').count()).toBe(2);
    const before = await balances();
    const count = await orderCount();

    // Someone else takes the last one while the cart is open.
    const sold = await t.app.inject({ method: 'PATCH', url: `/api/v1/catalogue/rewards/${rewards['LAST-ONE']}`, headers: t.adminHeaders, payload: { stock: 0 } });
    expect(sold.statusCode, sold.body).toBe(200);
    await p.locator('main form[action="?/checkout"] button[type="submit"]').click();
    const line = p.locator('main [data-line="LAST-ONE"]');
    await expect.poll(() => line.locator('[data-line-problem]').count()).toBe(1);
    expect(plain(await line.locator('[data-line-problem]').innerText())).toContain('W magazynie nie ma już 1 szt.');
    expect(await p.locator('main [data-line="TRAINING"] [data-line-problem]').count()).toBe(0);
    expect(await orderCount()).toBe(count);
    expect(await balances()).toEqual(before);

    // Reloaded, the line says why it cannot be ordered; removing it leaves the other one.
    await p.reload();
    expect(await line.locator('[data-reasons]').innerText()).toContain('Brak w magazynie.');
    await line.locator('button', { hasText: 'Usuń' }).click();
    await expect.poll(() => p.locator('main [data-line]').count()).toBe(1);
    expect(await p.locator('.app-header nav').innerText()).toContain('Koszyk (1)');

    // A reward no longer offered leaves the cart with a notice.
    const retired = await t.app.inject({ method: 'PATCH', url: `/api/v1/catalogue/rewards/${rewards.TRAINING}`, headers: t.adminHeaders, payload: { status: 'retired' } });
    expect(retired.statusCode, retired.body).toBe(200);
    await p.reload();
    expect(await p.locator('main [data-dropped]').innerText()).toContain('1 nagroda nie jest już oferowana Twojej firmie');
    expect(await p.locator('main [data-line]').count()).toBe(0);
    expect(await p.locator('main').innerText()).toContain('Koszyk jest pusty');
    await context.close();
  }, 120_000);

  it('lets an admin restrict a reward to tier labels and segments, with the API’s problem at the field', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'en' });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/sign-in`);
    await page.locator('main input[name="email"]').fill(admin.email);
    await page.locator('main input[name="password"]').fill(TEST_PASSWORD);
    await page.locator('main form button[type="submit"]').click();
    await page.waitForURL(/\/admin$/);
    await page.goto(`${base}/admin/rewards/${rewards.MUG}`);
    expect(plain(await page.locator('main [data-restrictions]').innerText())).toContain('Every tier');
    const form = page.locator('main form[action="?/save"]');
    // A label longer than the API takes: its message at the labels field, nothing saved.
    await form.locator('input[name="labels"]').fill(`gold-club, ${'x'.repeat(41)}`);
    await form.locator('input[name="segments"]').fill('smb, enterprise');
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => form.locator('input[name="labels"][aria-invalid="true"]').count()).toBe(1);
    expect(await form.locator('input[name="labels"]').inputValue()).toBe(`gold-club, ${'x'.repeat(41)}`);
    await form.locator('input[name="labels"]').fill('gold-club, gold-club , platinum');
    await form.locator('button[type="submit"]').click();
    await expect.poll(async () => page.locator('main').innerText()).toContain('Changes saved.');
    await page.reload();
    const restrictions = plain(await page.locator('main [data-restrictions]').innerText());
    expect(restrictions).toContain('gold-club, platinum');
    expect(restrictions).toContain('smb, enterprise');
    expect(await form.locator('input[name="labels"]').inputValue()).toBe('gold-club, platinum');
    const stored = (await t.app.inject({ method: 'GET', url: `/api/v1/catalogue/rewards/${rewards.MUG}`, headers: t.adminHeaders })).json();
    expect(stored).toMatchObject({ labels: ['gold-club', 'platinum'], segments: ['smb', 'enterprise'] });
    await fitsPhone(page);
    await context.close();
  }, 120_000);

  it('shows a reward locked to a higher tier, and a tier without catalogue access, with a lock and no way to the cart', async () => {
    const api = async (method: 'POST' | 'PUT', url: string, payload: unknown) => {
      const res = await t.app.inject({ method, url, headers: t.adminHeaders, payload: payload as never });
      expect(res.statusCode, res.body).toBeLessThan(300);
      return res.json();
    };
    const track = await api('POST', '/api/v1/tiers/tracks', { programId, code: 'resellers', name: { en: 'Resellers', pl: 'Resellerzy', ru: 'Реселлеры' }, partnerTypes: ['reseller'] });
    const tiers: Record<string, string> = {};
    const defs = [
      ['basic', { en: 'Basic', pl: 'Podstawowy', ru: 'Базовый' }, { access: false, labels: [] }],
      ['silver', { en: 'Silver', pl: 'Srebrny', ru: 'Серебряный' }, { access: true, labels: [] }],
      ['gold', { en: 'Gold', pl: 'Złoty', ru: 'Золотой' }, { access: true, labels: ['vip-club'] }],
    ] as const;
    for (const [rank, [code, name, catalogue]] of defs.entries()) {
      tiers[code] = (
        await api('POST', `/api/v1/tiers/tracks/${track.id}/tiers`, {
          code,
          name,
          rank: rank + 1,
          qualification: { mode: 'all', conditions: [{ metric: 'net-turnover', min: (rank + 1) * 1_000_000, window: 'rolling-12-months' }] },
          benefits: { catalogue },
        })
      ).id;
    }
    const reseller = (await api('POST', '/api/v1/partners', { programId, legalName: 'Srebrny Reseller Sp. z o.o.', nip: validNip(100_000_000 + Math.floor(Math.random() * 800_000_000)), type: 'reseller' })).id;
    const until = new Date(Date.now() + 90 * 86_400_000).toISOString();
    await api('PUT', `/api/v1/tiers/partners/${reseller}/override`, { tierId: tiers.silver, reason: 'test', until });
    const vipName = { en: 'VIP lounge', pl: 'Strefa VIP', ru: 'VIP-зона' };
    const vip = (await api('POST', '/api/v1/catalogue/rewards', { programId, sku: 'VIP', type: 'event', name: vipName, description: vipName, category: 'Różne', pricePoints: 10, status: 'active', labels: ['vip-club'] })).id;

    const user = await t.signInAs(['partner-user'], { partnerId: reseller, locale: 'pl' });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const p = await context.newPage();
    await signIn(p, user.email);
    await p.goto(`${base}/portal/rewards`);
    const card = p.locator('main [data-reward="VIP"]');
    expect(await card.locator('[data-reason="tier-required"]').innerText()).toBe('Dla poziomu Złoty.');
    expect(await card.locator('[data-reason="tier-required"] svg').count()).toBe(1);
    expect(await card.locator('button', { hasText: 'Dodaj do koszyka' }).count()).toBe(0);
    expect(await p.locator('main [data-reward="TRAINING"]').count()).toBe(0); // retired above
    expect(await p.locator('main [data-reward="LAST-ONE"] button', { hasText: 'Dodaj do koszyka' }).count()).toBe(0); // sold out
    await p.goto(`${base}/portal/rewards/${vip}`);
    expect(await p.locator('main [data-reason="tier-required"]').innerText()).toBe('Dla poziomu Złoty.');
    expect(await p.locator('main [data-add-to-cart]').count()).toBe(0);

    // A tier without catalogue access: every reward says so, with the lock.
    await api('PUT', `/api/v1/tiers/partners/${reseller}/override`, { tierId: tiers.basic, reason: 'test', until });
    await p.goto(`${base}/portal/rewards`);
    const reasons = p.locator('main [data-reason="tier-no-access"]');
    expect(await reasons.count()).toBe(await p.locator('main [data-reward]').count());
    expect(await reasons.first().innerText()).toBe('Twój poziom nie obejmuje katalogu nagród.');
    expect(await reasons.first().locator('svg').count()).toBe(1);
    expect(await p.locator('main button', { hasText: 'Dodaj do koszyka' }).count()).toBe(0);
    await context.close();
  }, 120_000);
});
