import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { recordingTemporalGateway, startTestApp, type TestApp } from '@laurel/core/testing';
import erpConnectors from '../plugins/erp-connectors/src/index.ts';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, plain, WEB_DIR, signInOnPage } from './browser.ts';

/**
 * The ERP connectors' "CSV sources" and "CSV imports" admin pages (declarative plugin pages) in a real browser, in
 * Polish, with the server's background tasks on: an admin creates a source from the mapping form (a missing column is
 * said at its field), uploads a CSV file with bad rows against it, and — while the scheduled task reads it — opens the
 * import and reads its progress and its validation report naming row and column.
 */

const fixture = (name: string) => readFileSync(new URL(`../plugins/erp-connectors/test/fixtures/csv/${name}`, import.meta.url));

describe.skipIf(!haveChromium && !process.env.CI)('web app: CSV import pages', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let programId = '';

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), temporal: recordingTemporalGateway(), plugins: [erpConnectors], env: { LAUREL_WEB_DIR: WEB_DIR }, startOutbox: true });
    base = await listen(t);
    const post = async (url: string, payload: Record<string, unknown>) => {
      const res = await t.app.inject({ method: 'POST', url, headers: t.adminHeaders, payload });
      expect(res.statusCode, res.body).toBeLessThan(300);
      return res.json() as { id: string };
    };
    programId = (await post('/api/v1/programs', { code: 'web-csv', name: { en: 'CSV Program', pl: 'Program CSV', ru: 'Программа CSV' }, currency: 'PLN', pointValueMinorPerThousand: 1000 })).id;
    await post(`/api/v1/programs/${programId}/status`, { status: 'live', reason: 'launch' });
    await post('/api/v1/partners', { programId, legalName: 'Orange Polska S.A.', nip: '5260250995', type: 'wholesaler' });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const signIn = (page: Page, email: string) => signInOnPage(page, base, email);

  it('lets a Polish admin create a source from the mapping form, upload a file and read its progress and report', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'pl' });
    const context = await browser.newContext({ locale: 'pl-PL', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, admin.email);
    await page.locator('.app-header nav a', { hasText: 'Źródła CSV' }).click();
    await page.waitForURL(/\/admin\/plugins\/erp-connectors\/csv-sources$/);
    expect(await page.locator('main h1').innerText()).toBe('Źródła CSV');
    expect(await page.locator('main').innerText()).toContain('Nie ma jeszcze źródła CSV.');

    // ---- The mapping form: without the net amount column the problem is said at that field.
    const form = page.locator('main form[data-plugin-section="create"]');
    await form.locator('input[name="programId"]').fill(programId);
    await form.locator('input[name="code"]').fill('crm-export');
    await form.locator('input[name="name"]').fill('Eksport z CRM');
    await form.locator('select[name="delimiter"]').selectOption('comma');
    await form.locator('select[name="decimalSeparator"]').selectOption('point');
    await form.locator('select[name="thousandsSeparator"]').selectOption('comma');
    await form.locator('select[name="encoding"]').selectOption('utf-8');
    await form.locator('input[name="dateFormat"]').fill('YYYY-MM-DD');
    for (const [name, header] of Object.entries({ invoiceNumber: 'invoice_no', issueDate: 'issue_date', partnerCode: 'partner_id', nip: 'vat_number', sku: 'sku', quantity: 'qty', currency: 'currency' })) {
      await form.locator(`input[name="${name}"]`).fill(header);
    }
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => form.locator('[role="alert"]').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await form.locator('input[name="netAmount"]').getAttribute('aria-invalid')).toBe('true');
    await form.locator('input[name="netAmount"]').fill('net');
    await form.locator('button[type="submit"]').click();
    await expect.poll(async () => plain(await page.locator('main').innerText()), { timeout: 15_000 }).toContain('Utworzono źródło crm-export.');
    const sourceId = (await t.app.inject({ method: 'GET', url: '/api/v1/erp-connectors/csv/sources', headers: t.adminHeaders })).json().items[0].id as string;

    // ---- Upload a file with bad rows; the background task reads it.
    await page.goto(`${base}/admin/plugins/erp-connectors/csv-imports`);
    expect(await page.locator('main h1').innerText()).toBe('Importy CSV');
    const upload = page.locator('main form[data-plugin-section="upload"]');
    await upload.locator('input[name="sourceId"]').fill(sourceId);
    await upload.locator('select[name="kind"]').selectOption('invoices');
    await upload.locator('input[type="file"]').setInputFiles({ name: 'faktury-bledy-utf8.csv', mimeType: 'text/csv', buffer: fixture('faktury-bledy-utf8.csv') });
    await upload.locator('button[type="submit"]').click();
    const result = page.locator('main [data-plugin-result="upload"]');
    await expect.poll(() => result.count(), { timeout: 15_000 }).toBe(1);
    expect(plain(await result.innerText())).toContain('Plik wczytany: jest czytany w tle.');

    // ---- The import's page: reload until done, then the counters and the report in Polish.
    await page.reload();
    const row = page.locator('main table tbody tr', { hasText: 'faktury-bledy-utf8.csv' });
    expect(await row.count()).toBe(1);
    await row.locator('a').first().click();
    await page.waitForURL(/\/admin\/plugins\/erp-connectors\/csv-imports\/[0-9a-f-]{36}$/);
    await expect.poll(async () => { await page.reload(); return plain(await page.locator('main').innerText()); }, { timeout: 30_000, interval: 500 }).toContain('Gotowe');
    expect(await page.locator('main h1').innerText()).toBe('Import pliku faktury-bledy-utf8.csv');
    const detail = plain(await page.locator('main').innerText());
    expect(detail).toContain('Raport walidacji');
    expect(detail).toContain('Wiersz 5, kolumna net: 12.345 ma więcej miejsc po przecinku, niż ma PLN (2); kwoty nigdy nie są zaokrąglane.');
    expect(detail).toContain('Wiersz 6, kolumna issue_date: 2026-02-30 nie jest datą w formacie YYYY-MM-DD.');
    const imported = (await t.app.inject({ method: 'GET', url: '/api/v1/erp-connectors/csv/imports', headers: t.adminHeaders })).json().items[0];
    expect(imported).toMatchObject({ status: 'done', progress: { rowsRead: 14, rowsRejected: 8, invoicesValid: 3, eventsSent: 3 } });
    await page.screenshot({ path: '/tmp/csv-import-detail.png', fullPage: true });
    await context.close();
  }, 120_000);
});
