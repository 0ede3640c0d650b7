import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { ledgerServiceRef } from '@laurel/core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, plain, validNip, WEB_DIR, signInOnPage } from './browser.ts';

/**
 * Disputes in a real browser: a partner user (Polish) disputes a statement line from the points page with a text
 * and a PNG, and follows it; support (English) finds it in the queue, replies and resolves it with an adjustment;
 * the partner reads the reply, the resolution and the new balance. Another company's user gets the not-found page
 * for the dispute's address. Every page is checked for horizontal overflow on a desktop and a 375 px phone.
 * Chromium driven by playwright-core against the real app (`laurel server`'s Fastify app serving web/build).
 */

/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');



/**
 * Evaluated in the page (a string: the test code is typed without the DOM): the document's width against the
 * viewport's, and elements sticking out of the viewport unless a scrolling or clipping box (a wide table's wrapper)
 * holds them.
 */
const OVERFLOW = `(() => {
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) if (getComputedStyle(p).overflowX !== 'visible') return true;
    return false;
  };
  const out = [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().right > window.innerWidth + 1 && !clipped(el))
    .map((el) => el.tagName.toLowerCase() + '.' + [...el.classList].join('.') + ': ' + (el.innerText || '').slice(0, 40));
  return { scroll: document.documentElement.scrollWidth, inner: window.innerWidth, out: out.slice(0, 5) };
})()`;

describe.skipIf(!haveChromium && !process.env.CI)('web app: disputes in the partner portal and the admin panel', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let partner: { id: string; legalName: string };
  let other: { id: string; legalName: string };
  let entryId = 0;

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env: { LAUREL_WEB_DIR: WEB_DIR } });
    base = await listen(t);

    const program = await t.app.inject({
      method: 'POST',
      url: '/api/v1/programs',
      headers: t.adminHeaders,
      payload: { code: 'web-disputes', name: { en: 'Dispute Partners', pl: 'Partnerzy Reklamacji', ru: 'Партнёры с претензиями' }, currency: 'PLN', pointValueMinorPerThousand: 1000 },
    });
    expect(program.statusCode, program.body).toBe(201);
    const programId = program.json().id as string;
    const live = await t.app.inject({ method: 'POST', url: `/api/v1/programs/${programId}/status`, headers: t.adminHeaders, payload: { status: 'live', reason: 'launch' } });
    expect(live.statusCode, live.body).toBe(200);
    const mk = async (legalName: string) => {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/partners',
        headers: t.adminHeaders,
        payload: { programId, legalName, nip: validNip(100_000_000 + Math.floor(Math.random() * 800_000_000)), type: 'wholesaler', region: 'mazowieckie' },
      });
      expect(created.statusCode, created.body).toBe(201);
      return created.json() as { id: string; legalName: string };
    };
    partner = await mk('Reklamacyjna Hurtownia Sp. z o.o.');
    other = await mk('Inna Firma Sp. z o.o.');

    // 120 points for an invoice, through the ledger service: the line the partner will dispute.
    const ledger = t.host.service(ledgerServiceRef);
    const ctx = () => t.host.createContext({ requestId: 'web-disputes', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
    const earned = await ledger.earn(ctx(), { partnerId: partner.id, points: 120, idempotencyKey: 'web-disputes-1', explanation: { invoice: 'FV/2026/77' } });
    entryId = Number(earned.entryId);
    expect(entryId).toBeGreaterThan(0);

    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const signInThroughPage = (page: Page, email: string, landing: RegExp) => signInOnPage(page, base, email, landing);

  /** The page at a desktop width and at a 375 px phone width: nothing wider than the viewport. */
  async function expectNoOverflow(page: Page, what: string): Promise<void> {
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 800 });
      const sizes = (await page.evaluate(OVERFLOW)) as { scroll: number; inner: number; out: string[] };
      expect(sizes.scroll, `${what} overflows at ${width}px`).toBeLessThanOrEqual(sizes.inner);
      expect(sizes.out, `${what}: elements beyond ${width}px`).toEqual([]);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  const available = (page: Page) => page.locator('main [data-account="available"] .balance__value').first().innerText();

  it('lets a partner user dispute a statement line (pl), support reply and resolve it (en), and the partner read the outcome', async () => {
    const text = 'Faktura FV/2026/77 powinna dać 145 punktów, a nie 120.';
    const reply = 'Checked the invoice: you are right, 25 points were missing.';
    const comment = 'The missing 25 points for FV/2026/77.';
    const followUp_text = 'Na fakturze są cztery pozycje promocyjne.';

    // ---- The partner user (Polish): the statement line's "Reklamuj" opens the form with the entry filled in. ----
    const user = await t.signInAs(['partner-user'], { partnerId: partner.id, locale: 'pl' });
    const portal = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
    const page = await portal.newPage();
    await signInThroughPage(page, user.email, /\/portal$/);
    expect(await page.locator('.app-header nav').innerText()).toContain('Reklamacje');
    await page.goto(`${base}/portal/points`);
    expect(await available(page)).toBe('120 punktów');
    await expectNoOverflow(page, 'portal points');
    const action = page.locator('main table tbody tr a', { hasText: 'Reklamuj' }).first();
    expect(await action.getAttribute('aria-label')).toBe(`Reklamuj pozycję nr ${entryId}`);
    await action.click();
    await page.waitForURL(new RegExp(`/portal/disputes\\?entryId=${entryId}$`));
    expect(await page.locator('main h1').innerText()).toBe('Reklamacje');
    const form = page.locator('main form#file-dispute');
    expect(await form.locator('select[name="subject"]').inputValue()).toBe('entry');
    expect(await form.locator('input[name="entryId"]').inputValue()).toBe(String(entryId));
    // The entry number and the reference are each required for one of the subjects: neither is labelled optional.
    const labels = (await form.locator('label.field__label').allInnerTexts()).map((l) => plain(l).trim());
    expect(labels).toEqual(expect.arrayContaining(['Numer pozycji', 'Odniesienie', 'Co jest nie tak?']));
    expect(plain(await form.innerText())).toContain('Wymagany przy pozycji na wyciągu');
    expect(await page.locator('main').innerText()).toContain('Nie ma jeszcze reklamacji');
    await expectNoOverflow(page, 'portal disputes (empty)');

    // Nothing written: the form says what is missing and files nothing.
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => form.locator('[aria-invalid="true"]').count()).toBeGreaterThan(0);
    expect(await form.innerText()).toContain('Wypełnij to pole.');
    expect(page.url()).toContain('/portal/disputes');

    // A text file is refused by type, the text is kept, nothing is filed.
    await form.locator('textarea[name="text"]').fill(text);
    await form.locator('input[type="file"][name="attachment"]').setInputFiles({ name: 'notatka.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => form.locator('[role="alert"]').allInnerTexts()).toContain('Załącz plik PDF, PNG lub JPEG.');
    expect(await form.locator('textarea[name="text"]').inputValue()).toBe(text);

    // The text and a small PNG: filed, then the dispute's own page.
    await form.locator('input[type="file"][name="attachment"]').setInputFiles({ name: 'faktura.png', mimeType: 'image/png', buffer: PNG });
    await form.locator('button[type="submit"]').click();
    await page.waitForURL(/\/portal\/disputes\/[0-9a-f-]{36}\?filed=1$/);
    const disputeUrl = new URL(page.url());
    const disputePath = disputeUrl.pathname;
    const heading = await page.locator('main h1').innerText();
    expect(heading).toMatch(/^Reklamacja nr \d+$/);
    const number = heading.replace(/\D/g, '');
    const main = page.locator('main');
    expect(await main.innerText()).toContain('Reklamacja została złożona. Obsługa odpowie tutaj.');
    const facts = plain(await main.innerText());
    expect(facts).toContain('Otwarta');
    expect(facts).toContain(`Pozycja na wyciągu · Pozycja nr ${entryId}`);
    expect(facts).toContain('Naliczenie punktów, +120 punktów');
    expect(facts).toContain(text);
    const attachment = main.locator('a[download]', { hasText: 'faktura.png' });
    expect(await attachment.count()).toBe(1);
    const attachmentHref = (await attachment.getAttribute('href'))!;
    expect(attachmentHref).toMatch(/^\/api\/v1\/earning\/disputes\/[0-9a-f-]{36}\/attachments\/[0-9a-f-]{36}$/);
    const download = await page.request.get(`${base}${attachmentHref}`);
    expect(download.status()).toBe(200);
    expect(download.headers()['content-type']).toBe('image/png');
    expect(Buffer.from(await download.body()).equals(PNG)).toBe(true);
    await expectNoOverflow(page, 'portal dispute');

    // A follow-up in the thread: sent, now support's turn.
    expect(await main.locator('label[for="dispute-file"]').innerText()).toBe('Plik');
    const followUp = main.locator('form[action="?/message"]');
    await followUp.locator('textarea[name="text"]').fill(followUp_text);
    await followUp.locator('button[type="submit"]').click();
    await expect.poll(() => main.innerText()).toContain('Wiadomość wysłana.');
    expect(plain(await main.locator('.messages').innerText())).toContain(followUp_text);
    expect(await main.innerText()).toContain('Czeka na obsługę');
    expect(await followUp.locator('textarea[name="text"]').inputValue()).toBe('');

    // The list shows it with its status.
    await page.locator('main a', { hasText: 'Wszystkie reklamacje' }).click();
    await page.waitForURL(/\/portal\/disputes$/);
    const row = page.locator('main table tbody tr').filter({ hasText: `Reklamacja nr ${number}` });
    expect(await row.count()).toBe(1);
    expect(plain(await row.innerText())).toContain('Czeka na obsługę');
    expect(plain(await row.innerText())).toContain(`Pozycja nr ${entryId}`);
    await expectNoOverflow(page, 'portal disputes');

    // ---- Another company's user: the dispute's address is the not-found page, none of its content. ----
    const stranger = await t.signInAs(['partner-user'], { partnerId: other.id, locale: 'pl' });
    const otherContext = await browser.newContext({ locale: 'en-US' });
    const otherPage = await otherContext.newPage();
    await signInThroughPage(otherPage, stranger.email, /\/portal$/);
    const response = await otherPage.goto(`${base}${disputePath}`);
    expect(response?.status()).toBe(404);
    expect(await otherPage.locator('main h1').innerText()).toBe('Nie znaleziono strony');
    const strangerText = await otherPage.locator('main').innerText();
    expect(strangerText).not.toContain(text);
    expect(strangerText).not.toContain('faktura.png');
    // Their own list is empty, and the attachment's API address is a 404 for them too.
    await otherPage.goto(`${base}/portal/disputes`);
    expect(await otherPage.locator('main').innerText()).toContain('Nie ma jeszcze reklamacji');
    expect((await otherPage.request.get(`${base}${attachmentHref}`)).status()).toBe(404);
    await otherContext.close();

    // ---- Support (English): the queue, the thread, a reply and the resolution with 25 points. ----
    const support = await t.signInAs(['support'], { locale: 'en' });
    const staff = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
    const adminPage = await staff.newPage();
    await signInThroughPage(adminPage, support.email, /\/admin$/);
    await adminPage.locator('.app-header nav a', { hasText: 'Disputes' }).click();
    await adminPage.waitForURL(/\/admin\/disputes$/);
    expect(await adminPage.locator('main h1').innerText()).toBe('Disputes');
    const queued = adminPage.locator('main table tbody tr').filter({ hasText: `Dispute #${number}` });
    expect(await queued.count()).toBe(1);
    expect(await queued.innerText()).toContain(partner.legalName);
    expect(await queued.innerText()).toContain('Waiting for support');
    // Each program's time to settle a dispute, 5 days unless set.
    const sla = adminPage.locator('main form[action="?/policy"]').filter({ has: adminPage.locator('input[name="programId"]') }).filter({ hasText: 'Dispute Partners' });
    expect(await sla.locator('input[name="slaDays"]').inputValue()).toBe('5');
    await expectNoOverflow(adminPage, 'admin disputes');
    // The status filter finds it among the open ones and not among the resolved.
    await adminPage.locator('main select[name="status"]').selectOption('resolved');
    await adminPage.locator('main form.filters button[type="submit"]').click();
    await adminPage.waitForURL(/status=resolved/);
    expect(await adminPage.locator('main').innerText()).toContain('No disputes match these filters');
    await adminPage.locator('main select[name="status"]').selectOption('waiting-for-support');
    await adminPage.locator('main form.filters button[type="submit"]').click();
    await adminPage.waitForURL(/status=waiting-for-support/);
    await adminPage.locator('main table tbody tr a', { hasText: `Dispute #${number}` }).click();
    await adminPage.waitForURL(/\/admin\/disputes\/[0-9a-f-]{36}$/);
    const adminMain = adminPage.locator('main');
    expect(await adminPage.locator('main h1').innerText()).toBe(`Dispute #${number}`);
    expect(plain(await adminMain.innerText())).toContain(text);
    expect(plain(await adminMain.locator('.messages').innerText())).toContain(followUp_text);
    expect(plain(await adminMain.locator('.messages').innerText())).toContain(user.email);
    expect(await adminPage.locator('main [data-testid="partner-available"]').innerText()).toBe('120');
    expect(await adminMain.locator('a[download]', { hasText: 'faktura.png' }).count()).toBe(1);
    await expectNoOverflow(adminPage, 'admin dispute');

    // The reply: sent, the dispute waits for the partner.
    const replyForm = adminMain.locator('form[action="?/message"]');
    await replyForm.locator('textarea[name="text"]').fill(reply);
    await replyForm.locator('button[type="submit"]').click();
    await expect.poll(() => adminMain.innerText()).toContain('Message sent.');
    await expect.poll(() => adminMain.locator('.messages').innerText()).toContain(reply);
    expect(await adminMain.innerText()).toContain('Waiting for the partner');

    // Resolve with 25 points: posted at once (no approval threshold), the balance is 145.
    const resolveForm = adminMain.locator('form[action="?/resolve"]');
    await resolveForm.locator('input[name="points"]').fill('2,5');
    await resolveForm.locator('textarea[name="comment"]').fill(comment);
    await resolveForm.locator('button[type="submit"]').click();
    await expect.poll(() => resolveForm.innerText()).toContain('Enter a whole number of points other than 0.');
    expect(await adminPage.locator('main [data-testid="partner-available"]').innerText()).toBe('120');
    await resolveForm.locator('input[name="points"]').fill('25');
    await resolveForm.locator('textarea[name="comment"]').fill(comment);
    await resolveForm.locator('button[type="submit"]').click();
    await expect.poll(() => adminMain.innerText()).toContain('The dispute is resolved.');
    const resolution = adminMain.locator('[data-testid="resolution"]');
    expect(plain(await resolution.innerText())).toContain('Resolved with an adjustment of +25 points.');
    expect(await resolution.innerText()).toMatch(/Posted as entry #\d+\./);
    expect(await resolution.innerText()).toContain(`Settled by ${support.email}`);
    expect(await adminPage.locator('main [data-testid="partner-available"]').innerText()).toBe('145');
    expect(await adminMain.locator('form[action="?/resolve"]').count()).toBe(0);
    expect(await adminMain.innerText()).toContain('This dispute is closed and takes no more messages.');
    await expectNoOverflow(adminPage, 'admin dispute (resolved)');
    await staff.close();

    // ---- The partner again: the reply, the resolved status and the new balance. ----
    await page.goto(`${base}${disputePath}`);
    const thread = plain(await main.innerText());
    expect(thread).toContain('Rozpatrzona');
    expect(thread).toContain(reply);
    expect(thread).toContain('Obsługa');
    expect(thread).not.toContain(support.email);
    expect(plain(await main.locator('[data-testid="resolution"]').innerText())).toContain('Rozpatrzona korektą o +25 punktów.');
    expect(thread).toContain(comment);
    expect(thread).toContain('Ta reklamacja jest zamknięta i nie przyjmuje już wiadomości.');
    expect(thread).not.toContain('Reklamacja została złożona.');
    await expectNoOverflow(page, 'portal dispute (resolved)');
    await page.goto(`${base}/portal/disputes`);
    expect(plain(await page.locator('main table tbody tr').filter({ hasText: `Reklamacja nr ${number}` }).innerText())).toContain('Rozpatrzona');
    await page.goto(`${base}/portal/points`);
    expect(await available(page)).toBe('145 punktów');
    const adjustmentLine = page.locator('main section[aria-labelledby="statement-title"] table tbody tr').first();
    expect(plain(await adjustmentLine.innerText())).toContain('+25');
    await expectNoOverflow(page, 'portal points (after the resolution)');
    await portal.close();
  }, 120_000);
});
