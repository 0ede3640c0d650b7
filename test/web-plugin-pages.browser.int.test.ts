import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { recordingTemporalGateway, startTestApp, type TestApp } from '@laurel/core/testing';
import erpConnectors from '../plugins/erp-connectors/src/index.ts';
import template from '../plugins/template/src/index.ts';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, plain, WEB_DIR, signInOnPage } from './browser.ts';

/**
 * A plugin's declarative admin page in a real browser: the ERP connectors plugin's "ERP documents" page (declared with
 * ctx.ui.adminPage, rendered by the admin panel from data). An admin (en) finds it in the nav, uploads a real KSeF FA(3)
 * invoice from the plugin's fixtures and reads the parse result (format, number, seller and buyer, lines, net total,
 * status), finds it in the list, opens it and reads the lines, the events sent and the raw XML; a document that is not
 * well-formed is refused with the reason and the line, and nothing is listed for it as posted. A Polish admin reads the
 * page in Polish; someone without erp:read has no nav entry and gets a 404. Checked at 375 px too. The template
 * plugin's Kudos page: a form whose fields come from the route's body schema (an empty message is refused next to its
 * field), the kudos listed, and an approval asked for with a confirmation.
 */

const FIXTURES = new URL('../plugins/erp-connectors/test/fixtures/', import.meta.url);
const fixture = (path: string) => readFileSync(new URL(path, FIXTURES));

describe.skipIf(!haveChromium && !process.env.CI)('web app: a plugin admin page (ERP documents)', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let partnerId = '';
  const temporal = recordingTemporalGateway();

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), temporal, plugins: [erpConnectors, template], env: { LAUREL_WEB_DIR: WEB_DIR } });
    base = await listen(t);
    const program = await t.app.inject({
      method: 'POST',
      url: '/api/v1/programs',
      headers: t.adminHeaders,
      payload: { code: 'web-erp', name: { en: 'ERP Program', pl: 'Program ERP', ru: 'Программа ERP' }, currency: 'PLN', pointValueMinorPerThousand: 1000 },
    });
    expect(program.statusCode, program.body).toBe(201);
    const programId = program.json().id as string;
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/programs/${programId}/status`, headers: t.adminHeaders, payload: { status: 'live', reason: 'launch' } })).statusCode).toBe(200);
    // The buyer of FA_3_Przyklad_1 (NIP 1111111111) is a partner of the program.
    const partner = await t.app.inject({ method: 'POST', url: '/api/v1/partners', headers: t.adminHeaders, payload: { programId, legalName: 'F.H.U. Jan Kowalski', nip: '1111111111', type: 'wholesaler', region: 'mazowieckie' } });
    expect(partner.statusCode, partner.body).toBe(201);
    partnerId = partner.json().id as string;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const signIn = (page: Page, email: string) => signInOnPage(page, base, email);

  it('lets an admin upload a real KSeF invoice, read what was read from it, open it with its raw XML, and see a broken one refused with its line', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'en' });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, admin.email);
    await page.locator('.app-header nav a', { hasText: 'ERP documents' }).click();
    await page.waitForURL(/\/admin\/plugins\/erp-connectors\/documents$/);
    expect(await page.locator('main h1').innerText()).toBe('ERP documents');
    expect(await page.locator('main').innerText()).toContain('No documents received yet.');

    // ---- Upload the real document: the parse result is shown.
    const upload = page.locator('main form[data-plugin-section="upload"]');
    await upload.locator('input[type="file"]').setInputFiles({ name: 'FA_3_Przyklad_1.xml', mimeType: 'application/xml', buffer: fixture('ksef/FA_3_Przyklad_1.xml') });
    await upload.locator('input[name="source"]').fill('erp-acme');
    await upload.locator('button[type="submit"]').click();
    const result = page.locator('main [data-plugin-result="upload"]');
    await expect.poll(() => result.count(), { timeout: 15_000 }).toBe(1);
    const shown = plain(await result.innerText());
    expect(shown).toContain('Document FV2026/02/150 was read.');
    expect(shown).toContain('KSeF FA(3)');
    expect(shown).toContain('Invoice');
    expect(shown).toContain('F.H.U. Jan Kowalski');
    expect(shown).toMatch(/Posted|Refused by the inbox/);
    expect(shown).toMatch(/PLN/);

    // ---- The list shows it; its detail has the lines, the events sent and the raw XML.
    await page.reload();
    const row = page.locator('main table tbody tr', { hasText: 'FV2026/02/150' });
    expect(await row.count()).toBe(1);
    expect(await row.innerText()).toContain('erp-acme');
    await row.locator('a').first().click();
    await page.waitForURL(/\/admin\/plugins\/erp-connectors\/documents\/[0-9a-f-]{36}$/);
    expect(await page.locator('main h1').innerText()).toBe('Document FV2026/02/150');
    const detail = plain(await page.locator('main').innerText());
    expect(detail).toContain('Lines read');
    expect(detail).toContain('Events sent for earning');
    expect(detail).toContain('invoice.issued');
    const raw = await page.locator('main pre[data-language="xml"]').innerText();
    expect(raw).toContain('<P_2>FV2026/02/150</P_2>');
    // Text, never markup: the XML's elements are not in the page's DOM.
    expect(await page.locator('main pre[data-language="xml"] *').count()).toBe(0);

    // ---- A document that is not well-formed: the reason and the line, nothing posted.
    await page.goto(`${base}/admin/plugins/erp-connectors/documents`);
    const broken = Buffer.from(fixture('ubl/peppol-bis3__examples_base-example.xml').toString('utf8').replace('</cbc:ID>', '</cbc:Id>'));
    await upload.locator('input[type="file"]').setInputFiles({ name: 'broken.xml', mimeType: 'application/xml', buffer: broken });
    await upload.locator('input[name="source"]').fill('erp-acme');
    await upload.locator('button[type="submit"]').click();
    const alert = upload.locator('[role="alert"]');
    await expect.poll(() => alert.count(), { timeout: 15_000 }).toBeGreaterThan(0);
    const refusal = plain(await alert.first().innerText());
    expect(refusal).toContain('is not well-formed XML');
    expect(refusal).toMatch(/\(line \d+\)/);
    // …and next to the file it is about.
    expect(await upload.locator('input[type="file"]').getAttribute('aria-invalid')).toBe('true');
    expect(plain(await upload.locator('.file .error').innerText())).toMatch(/line \d+/);
    expect(await page.locator('main [data-plugin-result="upload"]').count()).toBe(0);
    await page.reload();
    const rejected = page.locator('main table tbody tr', { hasText: 'broken.xml' });
    expect(await rejected.innerText()).toContain('Rejected');

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
    await page.locator('.app-header nav a', { hasText: 'Dokumenty ERP' }).click();
    await page.waitForURL(/\/admin\/plugins\/erp-connectors\/documents$/);
    expect(await page.locator('main').innerText()).toContain('Prześlij dokument');
    expect(await page.locator('main').innerText()).toContain('Otrzymane dokumenty');
    await context.close();

    const marketing = await t.signInAs(['marketing'], { locale: 'en' });
    const other = await browser.newContext({ locale: 'en-US' });
    const page2 = await other.newPage();
    await signIn(page2, marketing.email);
    expect(await page2.locator('.app-header nav a', { hasText: 'ERP documents' }).count()).toBe(0);
    const response = await page2.goto(`${base}/admin/plugins/erp-connectors/documents`);
    expect(response?.status()).toBe(404);
    await other.close();
  });

  it('gives kudos through a form derived from the route, shows a refused field next to it, lists them and asks for the approval', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'en' });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, admin.email);
    await page.locator('.app-header nav a', { hasText: 'Kudos' }).click();
    await page.waitForURL(/\/admin\/plugins\/template\/kudos$/);
    expect(await page.locator('main').innerText()).toContain('No kudos given yet.');
    const give = page.locator('main form[data-plugin-section="give"]');
    // The fields come from POST /kudos's body: partnerId, message (a textarea: up to 500 characters), level (a select).
    expect(await give.locator('label').allInnerTexts()).toEqual(expect.arrayContaining([expect.stringContaining('Partner id'), expect.stringContaining('Message'), expect.stringContaining('Level')]));
    expect(await give.locator('select[name="level"] option').allInnerTexts()).toEqual(expect.arrayContaining(['Thanks', 'Great work', 'Outstanding']));

    // No message: the empty field is not sent, and the API names it.
    await give.locator('input[name="partnerId"]').fill(partnerId);
    await give.locator('select[name="level"]').selectOption('outstanding');
    await give.locator('button[type="submit"]').click();
    const fieldError = give.locator('textarea[name="message"][aria-invalid="true"]');
    await expect.poll(() => fieldError.count(), { timeout: 15_000 }).toBe(1);
    expect(await give.locator('.field--invalid').innerText()).toMatch(/message/i);
    expect(await give.locator('input[name="partnerId"]').inputValue()).toBe(partnerId);

    await give.locator('textarea[name="message"]').fill('Best quarter ever');
    await give.locator('button[type="submit"]').click();
    await expect.poll(async () => page.locator('main').innerText(), { timeout: 15_000 }).toContain(`Kudos given to partner ${partnerId}.`);
    const row = page.locator('main table tbody tr', { hasText: 'Best quarter ever' });
    await expect.poll(() => row.count()).toBe(1);
    expect(plain(await row.innerText())).toContain('Awaiting approval');
    expect(plain(await row.innerText())).toContain('Outstanding');

    // Approve: asked first, then sent; the workflow gets the decision.
    await row.locator('summary', { hasText: 'Approve' }).click();
    expect(await row.innerText()).toContain('Approve these kudos?');
    await row.locator('form button[type="submit"]', { hasText: 'Approve' }).click();
    await expect.poll(async () => page.locator('main').innerText(), { timeout: 15_000 }).toContain('Kudos approved.');
    await t.outbox.drainUntilIdle();
    expect(temporal.signals.map((s) => s.args)).toContainEqual([{ decision: 'approve', reason: null }]);
    await context.close();
  });
});
