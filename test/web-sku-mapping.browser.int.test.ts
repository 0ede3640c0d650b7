import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, plain, validNip, WEB_DIR, signInOnPage } from './browser.ts';

/**
 * The SKU mapping page in a real browser: an invoice sent by a system with a seller code nobody mapped earns nothing on
 * the program's fridge rule and its code is listed as unmapped; an admin (pl) reads that past events are not evaluated
 * again, maps the code in one step, and the next invoice earns; the admin adds a GTIN mapping through the form (a
 * GTIN the API refuses is named on its field, in Polish), searches the table, and imports a list whose bad cells are
 * listed and then a good one. Chromium driven by playwright-core against the real app serving web/build.
 */
describe.skipIf(!haveChromium && !process.env.CI)('web app: SKU mapping', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let programId = '';
  let key: { authorization: string };
  let nip = '';

  const api = async (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) => {
    const res = await t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
    return { status: res.statusCode, body: res.json() };
  };
  const invoice = (n: number) => ({
    type: 'invoice.issued',
    source: 'erp-web',
    externalId: `WEB-${n}`,
    occurredAt: new Date().toISOString(),
    programId,
    partner: { nip },
    number: `FV/WEB/${n}`,
    seller: 'PL9999999999',
    currency: 'PLN',
    lines: [{ sku: 'LOD-9', sellerCode: 'LOD-9', quantity: 1, netAmount: 123_400 }],
  });

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env: { LAUREL_WEB_DIR: WEB_DIR } });
    base = await listen(t);
    const program = await api('POST', '/api/v1/programs', { code: 'web-sku', name: { en: 'SKU Partners', pl: 'Partnerzy SKU', ru: 'Партнёры SKU' }, currency: 'PLN', pointValueMinorPerThousand: 1000 });
    expect(program.status).toBe(201);
    programId = program.body.id;
    expect((await api('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'launch' })).status).toBe(200);
    nip = validNip(100_000_000 + Math.floor(Math.random() * 800_000_000));
    expect((await api('POST', '/api/v1/partners', { programId, legalName: 'Chłodnie Sp. z o.o.', nip, type: 'dealer' })).status).toBe(201);
    const rule = await api('POST', '/api/v1/earning/rules', { programId, code: 'fridges', name: 'Fridges', validFrom: '2024-01-01T00:00:00Z', eventTypes: ['invoice.issued'], condition: { '==': [{ var: 'line.category' }, 'lodowki'] }, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' } });
    expect(rule.status).toBe(201);
    expect((await api('POST', `/api/v1/earning/rules/${rule.body.id}/activate`, {})).status).toBe(200);
    key = await t.apiKeyHeaders(['events:write']);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const signIn = (page: Page, email: string) => signInOnPage(page, base, email);

  it('lists an unmapped code, maps it in one step, adds and searches mappings, imports a list (pl)', async () => {
    const first = await api('POST', '/api/v1/earning/events', invoice(1), key);
    expect(first.body).toMatchObject({ status: 'processed', points: 0 });

    const admin = await t.signInAs(['admin'], { locale: 'pl' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signIn(page, admin.email);

    // The earning tabs lead to the SKU mapping; it says that past events are not evaluated again.
    await page.goto(`${base}/admin/earning/rules`);
    await page.locator('main nav a', { hasText: 'Mapowanie SKU' }).click();
    await page.waitForURL(/\/admin\/earning\/sku-mapping/);
    expect(await page.locator('main h1').innerText()).toBe('Mapowanie SKU');
    expect(await page.locator('main [data-future-only]').innerText()).toContain('nie są przeliczane ponownie');

    // The unmapped code, seen once, mapped in one step.
    const unmapped = page.locator('main [data-unmapped] tbody tr', { hasText: 'LOD-9' });
    expect(plain(await unmapped.innerText())).toContain('1 pozycja');
    await unmapped.locator('input[name="programSku"]').fill('ZT-MK9');
    await unmapped.locator('input[name="category"]').fill('lodowki');
    await unmapped.locator('button[type="submit"]').click();
    await expect.poll(() => page.locator('main [data-done]').count()).toBe(1);
    expect(await page.locator('main [data-done]').innerText()).toBe('LOD-9 jest mapowany na ZT-MK9.');
    await expect.poll(() => page.locator('main [data-unmapped]').count()).toBe(0);
    expect(await page.locator('main').innerText()).toContain('Każdy otrzymany kod jest zmapowany');

    // The next invoice earns on the mapped category; the first one is not evaluated again.
    expect((await api('POST', '/api/v1/earning/events', invoice(2), key)).body).toMatchObject({ status: 'processed', points: 1234 });
    expect((await api('GET', `/api/v1/earning/events/${first.body.id}`)).body.result.points).toBe(0);

    // A GTIN of 9 digits is refused by the API and named on the code field, in Polish; a good one is added.
    const add = page.locator('main form[action="?/save"]');
    await add.locator('select[name="codeKind"]').selectOption('gtin');
    await add.locator('input[name="code"]').fill('123456789');
    await add.locator('input[name="programSku"]').fill('ZT-MK2');
    await add.locator('button[type="submit"]').click();
    const codeError = add.locator('.field--invalid').filter({ has: page.locator('input[name="code"]') });
    await expect.poll(() => codeError.count()).toBe(1);
    expect(await codeError.innerText()).toContain('nie jest numerem GTIN');
    await add.locator('input[name="code"]').fill('4006381333931');
    await add.locator('input[name="category"]').fill('lodowki');
    await add.locator('button[type="submit"]').click();
    await expect.poll(() => page.locator('main [data-done]').innerText()).toBe('04006381333931 jest mapowany na ZT-MK2.');

    // The table: both mappings; the search narrows it.
    await page.goto(`${base}/admin/earning/sku-mapping`);
    expect(plain(await page.locator('main [data-total]').innerText())).toBe('2 mapowania');
    await page.locator('main input[name="q"]').fill('MK9');
    await page.locator('main form[method="GET"] button[type="submit"]').click();
    await page.waitForURL(/q=MK9/);
    expect(await page.locator('main [data-code]').allInnerTexts()).toEqual(['LOD-9']);

    // A list with a bad cell: listed, nothing imported; then a good list.
    const upload = page.locator('main form[action="?/import"]');
    await upload.locator('textarea[name="csv"]').fill('seller_code;gtin;program_sku;category\nKAB-1;;CAB-1;kable\n;12345;CAB-2;kable\n');
    await upload.locator('button[type="submit"]').click();
    await expect.poll(() => page.locator('main [data-import-problems] li').count()).toBe(1);
    expect(await page.locator('main [data-import-problems]').innerText()).toContain('Wiersz 3, gtin: 12345 nie jest numerem GTIN');
    await upload.locator('textarea[name="csv"]').fill('seller_code;gtin;program_sku;category\nKAB-1;;CAB-1;kable\nKAB-2;;CAB-2;kable\n');
    await upload.locator('button[type="submit"]').click();
    await expect.poll(() => page.locator('main [data-import-report]').count()).toBe(1);
    expect(await page.locator('main [data-import-report]').innerText()).toBe('Wierszy: 2; nowe: 2, zmienione: 0, bez zmian: 0.');
    expect((await api('GET', `/api/v1/earning/sku-mappings?programId=${programId}&q=KAB-`)).body.total).toBe(2);
    await context.close();
  }, 120_000);
});
