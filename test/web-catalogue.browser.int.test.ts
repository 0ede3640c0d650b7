import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { ledgerServiceRef } from '@laurel/core';
import { startTestApp, TEST_PASSWORD, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, plain, validNip, WEB_DIR } from './browser.ts';

/**
 * The catalogue in a real browser: an admin (Russian) adds a voucher reward in three languages and imports its codes;
 * a partner's user (Polish) finds it in the catalogue, orders it at the checkout and follows the order. There is no
 * Temporal server here, so the order stays "placed" with its points reserved (docs/catalogue.md, "Without Temporal").
 * Layouts are checked at a desktop width and at 375 px.
 */



describe.skipIf(!haveChromium && !process.env.CI)('web app: the rewards catalogue and redemption orders', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let partner: { id: string; legalName: string };

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env: { LAUREL_WEB_DIR: WEB_DIR, LAUREL_VOUCHER_KEY: 'b2'.repeat(32) } });
    base = await listen(t);
    const program = await t.app.inject({
      method: 'POST',
      url: '/api/v1/programs',
      headers: t.adminHeaders,
      payload: { code: 'web-catalogue', name: { en: 'Reward Partners', pl: 'Partnerzy Nagród', ru: 'Партнёры с наградами' }, currency: 'PLN', pointValueMinorPerThousand: 1000 },
    });
    expect(program.statusCode, program.body).toBe(201);
    const programId = program.json().id;
    const live = await t.app.inject({ method: 'POST', url: `/api/v1/programs/${programId}/status`, headers: t.adminHeaders, payload: { status: 'live', reason: 'launch' } });
    expect(live.statusCode, live.body).toBe(200);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/partners',
      headers: t.adminHeaders,
      payload: { programId, legalName: 'Nagrodowa Hurtownia Sp. z o.o.', nip: validNip(100_000_000 + Math.floor(Math.random() * 800_000_000)), type: 'wholesaler', region: 'mazowieckie' },
    });
    expect(created.statusCode, created.body).toBe(201);
    partner = created.json();
    const ledger = t.host.service(ledgerServiceRef);
    const ctx = t.host.createContext({ requestId: 'web-catalogue', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
    await ledger.earn(ctx, { partnerId: partner.id, points: 1000, idempotencyKey: 'web-catalogue-start', explanation: { invoice: 'FV/2026/7' } });

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

  /** Nothing wider than the viewport at 375 px (no horizontal scrolling), then back to the desktop width. */
  async function fitsPhone(page: Page): Promise<void> {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.reload();
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
    expect(overflow, `${page.url()} scrolls sideways at 375 px`).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  it('lets an admin add a voucher reward (ru) and a partner order it (pl); without Temporal the order stays placed with the points reserved', async () => {
    // ---- The admin, in Russian: a voucher reward with three languages, then its codes.
    const admin = await t.signInAs(['admin'], { locale: 'ru' });
    const adminContext = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const page = await adminContext.newPage();
    await signIn(page, admin.email, /\/admin$/);
    expect(await page.locator('.app-header nav').innerText()).toContain('Вознаграждения');
    await page.goto(`${base}/admin/rewards/new`);
    expect(await page.locator('main h1').innerText()).toBe('Новое вознаграждение');
    const form = page.locator('main form[method="POST"]');
    await form.locator('input[name="sku"]').fill('GIFT-CARD-100');
    await form.locator('select[name="type"]').selectOption('voucher');
    const texts = {
      en: ['Gift card 100', 'A gift card for electronics stores.'],
      pl: ['Karta podarunkowa 100', 'Karta podarunkowa do sklepów z elektroniką.'],
      ru: ['Подарочная карта 100', 'Подарочная карта магазинов электроники.'],
    } as const;
    for (const [lang, [name, description]] of Object.entries(texts)) {
      await form.locator(`input[name="name.${lang}"]`).fill(name);
      await form.locator(`textarea[name="description.${lang}"]`).fill(description);
    }
    await form.locator('input[name="category"]').fill('Vouchery');
    await form.locator('input[name="pricePoints"]').fill('300');
    await form.locator('input[name="cash.amount"]').fill('19,99');
    await form.locator('input[name="cash.currency"]').fill('PLN');
    await form.locator('select[name="status"]').selectOption('active');
    // One language left empty first: the field says so, nothing is saved.
    await form.locator('input[name="name.ru"]').fill('');
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => form.locator('input[name="name.ru"][aria-invalid="true"]').count()).toBe(1);
    await form.locator('input[name="name.ru"]').fill(texts.ru[0]);
    await form.locator('button[type="submit"]').click();
    await page.waitForURL(/\/admin\/rewards\/[0-9a-f-]{36}\?created$/);
    expect(await page.locator('main h1').innerText()).toBe(texts.ru[0]);
    expect(await page.locator('main').innerText()).toContain('Вознаграждение сохранено.');
    const vouchers = page.locator('main [data-vouchers]');
    expect(plain(await vouchers.innerText())).toContain('Осталось 0 невыданных кодов');
    await vouchers.locator('textarea[name="codes"]').fill('GIFT-AAA-1\nGIFT-BBB-2\nGIFT-AAA-1\n');
    await vouchers.locator('button[type="submit"]').click();
    await expect.poll(async () => plain(await vouchers.innerText())).toContain('Загружено 2 кода.');
    await expect.poll(async () => plain(await vouchers.innerText())).toContain('Осталось 2 невыданных кода');
    // Importing the same codes again adds none.
    await vouchers.locator('textarea[name="codes"]').fill('GIFT-BBB-2');
    await vouchers.locator('button[type="submit"]').click();
    await expect.poll(async () => plain(await vouchers.innerText())).toContain('1 уже был в пуле.');
    await fitsPhone(page);
    await page.goto(`${base}/admin/rewards`);
    expect(await page.locator('main table').innerText()).toContain(texts.ru[0]);
    await fitsPhone(page);

    // ---- The partner's user, in Polish: the catalogue, the reward, the checkout.
    const user = await t.signInAs(['partner-user'], { partnerId: partner.id, locale: 'pl' });
    const portal = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const p = await portal.newPage();
    await signIn(p, user.email, /\/portal$/);
    const nav = await p.locator('.app-header nav').innerText();
    expect(nav).toContain('Nagrody');
    expect(nav).toContain('Zamówienia');
    await p.goto(`${base}/portal/rewards`);
    expect(await p.locator('main h1').innerText()).toBe('Katalog nagród');
    expect(plain(await p.locator('main [data-balance]').innerText())).toBe('1000 punktów');
    const card = p.locator('main [data-reward="GIFT-CARD-100"]');
    expect(await card.locator('h3').innerText()).toBe(texts.pl[0]);
    expect(plain(await card.locator('[data-price]').innerText()).replace(/\s+/g, ' ')).toBe('300 punktów + 19,99 zł dopłaty');
    expect(await card.innerText()).toContain('Voucher (bon)');
    // Search and filters: a word that matches nothing, then the type.
    await p.locator('main input[name="q"]').fill('zzz-nic');
    await p.locator('main form[role="search"] button[type="submit"]').click();
    await p.waitForURL(/q=zzz-nic/);
    expect(await p.locator('main').innerText()).toContain('Brak pasujących nagród');
    await p.goto(`${base}/portal/rewards?type=voucher&sort=price-desc`);
    expect(await p.locator('main [data-reward]').count()).toBe(1);
    await fitsPhone(p);

    await card.locator('a', { hasText: 'Zamów' }).click();
    await p.waitForURL(/\/portal\/rewards\/[0-9a-f-]{36}$/);
    const rewardId = new URL(p.url()).pathname.split('/').pop()!;
    expect(await p.locator('main h1').innerText()).toBe(texts.pl[0]);
    expect(await p.locator('main').innerText()).toContain(texts.pl[1]);
    await p.locator('main form[method="GET"] button[type="submit"]').click();
    await p.waitForURL(/\/checkout\?quantity=1$/);
    expect(await p.locator('main h1').innerText()).toBe('Podsumowanie zamówienia');
    const summary = plain(await p.locator('main').innerText());
    expect(summary).toContain('Dostępne po zamówieniu');
    expect(summary).toContain('700 punktów');
    await fitsPhone(p);
    // A double submit of the same checkout places one order (the idempotency key comes from the rendered nonce).
    const checkoutForm = p.locator('main form[method="POST"]');
    const nonce = await checkoutForm.locator('input[name="nonce"]').inputValue();
    await checkoutForm.locator('button[type="submit"]').click();
    await p.waitForURL(/\/portal\/orders\/[0-9a-f-]{36}\?placed$/);
    const orderUrl = p.url();
    // The same rendering sent again (a second click that got through): the API replays the first order.
    const again = await p.request.post(`${base}/portal/rewards/${rewardId}/checkout`, { headers: { origin: base, accept: 'text/html' }, maxRedirects: 0, form: { nonce, quantity: '1' } });
    expect(again.status()).toBe(303);
    expect(again.headers()['location']).toBe(`${new URL(orderUrl).pathname}?placed`);
    const orders = await t.app.inject({ method: 'GET', url: `/api/v1/catalogue/orders?partnerId=${partner.id}`, headers: t.adminHeaders });
    expect(orders.json().items).toHaveLength(1);

    // The order's page: placed (no Temporal here), the points reserved, the code not yet there, cancel offered.
    expect(await p.locator('main h1').innerText()).toBe(`Zamówienie: ${texts.pl[0]}`);
    const main = plain(await p.locator('main').innerText());
    expect(main).toContain('Zamówienie złożone. Jego punkty są zarezerwowane do czasu realizacji.');
    expect(main).toContain('Zamówienie czeka na podjęcie przez proces wymiany punktów');
    expect(await p.locator('main [data-order-status]').getAttribute('data-order-status')).toBe('placed');
    expect(main).toContain('Złożone');
    expect(main).toContain('Zarezerwowane');
    expect(main).toContain('Kod będzie dostępny po realizacji zamówienia.');
    expect(main).toContain('Kod jest pokazywany tylko raz.');
    expect(await p.locator('main summary', { hasText: 'Anuluj zamówienie' }).count()).toBe(1);
    expect(await p.locator('main button', { hasText: 'Pokaż kod' }).count()).toBe(0);
    await fitsPhone(p);

    // The order history lists it with its status.
    await p.goto(`${base}/portal/orders`);
    const row = p.locator('main table tbody tr').first();
    expect(await p.locator('main table tbody tr').count()).toBe(1);
    expect(await row.innerText()).toContain(texts.pl[0]);
    expect(await row.innerText()).toContain('Złożone');
    expect(plain(await row.innerText())).toContain('300 punktów');
    await fitsPhone(p);

    // The points page: 700 available, 300 reserved.
    await p.goto(`${base}/portal/points`);
    expect(plain(await p.locator('main [data-account="available"] .balance__value').first().innerText())).toBe('700 punktów');
    expect(plain(await p.locator('main [data-account="reserved"] .balance__value').first().innerText())).toBe('300 punktów');

    // The catalogue now shows 700 points and one code left.
    await p.goto(`${base}/portal/rewards`);
    expect(plain(await p.locator('main [data-balance]').innerText())).toBe('700 punktów');
    await portal.close();

    // ---- Back to the admin: the order is listed and its page shows the recorded history.
    await page.goto(`${base}/admin/orders`);
    const adminRow = page.locator('main table tbody tr').first();
    expect(await adminRow.innerText()).toContain(texts.ru[0]);
    expect(await adminRow.innerText()).toContain('Оформлен');
    await adminRow.locator('a').click();
    await page.waitForURL(/\/admin\/orders\/[0-9a-f-]{36}$/);
    expect(await page.locator('main').innerText()).toContain('История статусов');
    expect(await page.locator('main').innerText()).toContain(partner.legalName);
    expect(await page.locator('main').innerText()).toContain('С этим заказом сейчас ничего делать не нужно.');
    await fitsPhone(page);
    await adminContext.close();
  }, 120_000);
});
