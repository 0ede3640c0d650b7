import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, validNip, WEB_DIR, signInOnPage } from './browser.ts';

/**
 * The admin tools in a real browser: importing partners from a CSV file (check, report of bad rows, import of the
 * good ones, progress) and the caught-mail page, against the real app (`laurel server`'s Fastify app serving
 * web/build). The test app runs no outbox poller, so the test drains the outbox itself while the page polls.
 * `pnpm test` builds the web app first.
 */


describe.skipIf(!haveChromium && !process.env.CI)('web app: partner import and caught mail in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let programId = '';

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env: { LAUREL_WEB_DIR: WEB_DIR } });
    base = await listen(t);

    const program = await t.app.inject({
      method: 'POST',
      url: '/api/v1/programs',
      headers: t.adminHeaders,
      payload: { code: 'web-import', name: { en: 'Import Partners', pl: 'Partnerzy z importu', ru: 'Партнёры из импорта' }, currency: 'PLN', pointValueMinorPerThousand: 1000 },
    });
    expect(program.statusCode, program.body).toBe(201);
    programId = program.json().id;
    const live = await t.app.inject({ method: 'POST', url: `/api/v1/programs/${programId}/status`, headers: t.adminHeaders, payload: { status: 'live', reason: 'launch' } });
    expect(live.statusCode, live.body).toBe(200);

    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Signs in through the sign-in page and waits for the admin panel. */
  const signInThroughPage = (page: Page, email: string) => signInOnPage(page, base, email);

  const h1 = (page: Page) => page.locator('main h1').first().innerText();
  const stat = (page: Page, name: string) => page.locator(`main [data-stat="${name}"]`).innerText();

  async function chooseCsv(page: Page, name: string, csv: string): Promise<void> {
    await page.locator('main select[name="programId"]').selectOption(programId);
    await page.locator('main input[type="file"][name="file"]').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
    await page.locator('main form[action="?/check"] button[type="submit"]').click();
  }

  it('imports the good rows of a CSV file, reports the bad one in Polish, and shows the progress until done', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'pl' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signInThroughPage(page, admin.email);

    // The partners list links to the import.
    await page.goto(`${base}/admin/partners`);
    await page.locator('main a[href="/admin/partners/import"]').first().click();
    await page.waitForURL(`${base}/admin/partners/import`);
    expect(await h1(page)).toBe('Import partnerów handlowych z CSV');
    const format = await page.locator('main aside').innerText();
    expect(format).toContain('accountManagerEmail');
    expect(format).toMatch(/średnik/);
    expect(await page.locator('main aside a[href$="/samples/partners-import.csv"]').count()).toBe(1);
    expect(await page.locator('main input[type="file"]').getAttribute('accept')).toBe('.csv,text/csv');

    // Line 3 (the header is line 1) has a NIP with a wrong check digit.
    const csv = [
      'legalName,type,nip,region',
      'Hurtownia Importowa Sp. z o.o.,wholesaler,5260250995,mazowieckie',
      'Zła Cyfra Kontrolna S.A.,dealer,5260250996,',
      'Dystrybutor z Pliku S.A.,distributor,5250007738,małopolskie',
    ].join('\n');
    await chooseCsv(page, 'partnerzy.csv', csv);
    await page.locator('#result-title').waitFor();
    expect(await stat(page, 'total')).toBe('3');
    expect(await stat(page, 'valid')).toBe('2');
    expect(await stat(page, 'alreadyPresent')).toBe('0');
    expect(await stat(page, 'bad')).toBe('1');
    const rows = page.locator('main .result table tbody tr');
    expect(await rows.count()).toBe(1);
    const cells = await rows.first().locator('th, td').allInnerTexts();
    expect(cells[0]).toMatch(/\b3$/);
    expect(cells[1]).toBe('nip');
    expect(cells[2]).toContain('5260250996');
    expect(cells[2]).toMatch(/cyfr\S* kontroln/);
    expect(await page.locator('main .result').innerText()).toContain('Niektóre wiersze mają błędy');

    // Import the two good rows; the import runs in the background and the page follows it.
    const start = page.locator('main form[action="?/start"] button[type="submit"]');
    expect(await start.innerText()).toBe('Importuj 2 poprawne wiersze');
    await start.click();
    await page.waitForURL(/\/admin\/partners\/import\/[0-9a-f-]{36}$/);
    expect(await h1(page)).toBe('Import partnerów handlowych');
    expect(await page.locator('main').innerText()).toContain('Partnerzy z importu');
    await expect
      .poll(
        async () => {
          await t.outbox.drainUntilIdle();
          return page.locator('main').innerText();
        },
        { timeout: 20_000, interval: 250 },
      )
      .toContain('Import zakończony');
    expect(await stat(page, 'created')).toBe('2');
    expect(await stat(page, 'skipped')).toBe('0');
    expect(await stat(page, 'notImported')).toBe('1');
    const progress = page.locator('main progress');
    expect(await progress.getAttribute('value')).toBe('2');
    expect(await progress.getAttribute('max')).toBe('2');
    expect(await page.locator('#import-progress-text').innerText()).toMatch(/Przetworzono 2 z 2 wierszy/);
    // The bad row is listed as not imported.
    expect(await page.locator('main .problems').innerText()).toContain('5260250996');

    // The partners list shows both.
    await page.goto(`${base}/admin/partners?programId=${programId}`);
    const list = await page.locator('main').innerText();
    expect(list).toContain('Hurtownia Importowa Sp. z o.o.');
    expect(list).toContain('Dystrybutor z Pliku S.A.');
    expect(list).not.toContain('Zła Cyfra Kontrolna');
    await context.close();
  }, 90_000);

  it('works without JavaScript: check, import, and a Refresh link on the progress page', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'en' });
    const context = await browser.newContext({ locale: 'en-US', javaScriptEnabled: false });
    const page = await context.newPage();
    await signInThroughPage(page, admin.email);
    await page.goto(`${base}/admin/partners/import`);

    // No file: the field says so and takes the focus.
    await page.locator('main form[action="?/check"] button[type="submit"]').click();
    await page.waitForURL(/\/admin\/partners\/import/);
    const file = page.locator('main input[type="file"]');
    expect(await file.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('main form[action="?/check"]').innerText()).toContain('Choose a CSV file.');
    expect(await page.evaluate('document.activeElement && document.activeElement.getAttribute("name")')).toBe('file');

    // A semicolon-separated file whose first row is already in the program (from the test above).
    const fresh = validNip(600_000_000 + Math.floor(Math.random() * 300_000_000));
    await chooseCsv(page, 'partners.csv', `\uFEFFlegalName;type;nip\nHurtownia Importowa Sp. z o.o.;wholesaler;5260250995\nBez Skryptów Sp. z o.o.;integrator;${fresh}\n`);
    await page.locator('#result-title').waitFor();
    expect(await stat(page, 'total')).toBe('2');
    expect(await stat(page, 'valid')).toBe('1');
    expect(await stat(page, 'alreadyPresent')).toBe('1');
    const start = page.locator('main form[action="?/start"] button[type="submit"]');
    expect(await start.innerText()).toBe('Import');
    await start.click();
    await page.waitForURL(/\/admin\/partners\/import\/[0-9a-f-]{36}$/);

    // Nothing has run yet (the test drives the outbox): the page offers a Refresh link instead of polling.
    expect(await page.locator('main').innerText()).toContain('Running');
    const refresh = page.locator('main a', { hasText: 'Refresh' });
    expect(await refresh.getAttribute('href')).toBe(new URL(page.url()).pathname);
    await t.outbox.drainUntilIdle();
    await refresh.click();
    await page.locator('main', { hasText: 'Import finished' }).waitFor();
    expect(await stat(page, 'created')).toBe('1');
    expect(await page.locator('#import-progress-text').innerText()).toBe('1 of 1 row processed (100%)');
    await context.close();
  }, 60_000);

  it('shows the "no access" page to staff who may not change partners, and no import button', async () => {
    const finance = await t.signInAs(['finance'], { locale: 'ru' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signInThroughPage(page, finance.email);
    await page.goto(`${base}/admin/partners`);
    expect(await page.locator('main a[href="/admin/partners/import"]').count()).toBe(0);
    const response = await page.goto(`${base}/admin/partners/import`);
    expect(response?.status()).toBe(403);
    expect(await h1(page)).toBe('У вас нет доступа к этой странице');
    await context.close();
  }, 60_000);

  it('explains that an installation without a mail catcher has no caught mail, and offers no link to it', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'pl' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signInThroughPage(page, admin.email);
    expect(await page.locator('.app-header nav').innerText()).not.toContain('Przechwycona poczta');
    expect(await page.locator('.app-header nav a[href="/admin/mail"]').count()).toBe(0);

    const response = await page.goto(`${base}/admin/mail`);
    expect(response?.status()).toBe(200);
    expect(await h1(page)).toBe('Przechwycona poczta');
    const text = await page.locator('main').innerText();
    expect(text).toContain('Ta instalacja nie przechwytuje poczty');
    expect(text).toContain('laurel dev');
    expect(text).toContain('SMTP_URL');
    await context.close();
  }, 60_000);
});
