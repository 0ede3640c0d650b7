import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { startTestApp, TEST_PASSWORD, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, validNip, WEB_DIR } from './browser.ts';
import { startTestSmtp, type TestSmtp } from './smtp.ts';

/**
 * Signing in, the admin panel and the partner portal in a real browser: Chromium driven by playwright-core against
 * the real app (`laurel server`'s Fastify app serving web/build) with mail caught by a real SMTP server.
 * `pnpm test` builds the web app first.
 */

type Locale = 'en' | 'pl' | 'ru';

/** What each language calls the areas and states these tests look for. */
const TEXT = {
  en: { admin: 'Admin panel', portal: 'Partner portal', signIn: 'Sign in', forbidden: 'You do not have access to this page' },
  pl: { admin: 'Panel administracyjny', portal: 'Portal partnera', signIn: 'Logowanie', forbidden: 'Nie masz dostępu do tej strony' },
  ru: { admin: 'Панель администратора', portal: 'Портал партнёра', signIn: 'Вход', forbidden: 'У вас нет доступа к этой странице' },
} as const satisfies Record<Locale, Record<string, string>>;


describe.skipIf(!haveChromium && !process.env.CI)('web app: access, admin panel and partner portal in Chromium', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let browser: Browser;
  let base = '';
  let programId = '';
  let partner: { id: string; legalName: string; nip: string };
  const nipBase = 100_000_000 + Math.floor(Math.random() * 800_000_000);

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    smtp = await startTestSmtp();
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env: { LAUREL_WEB_DIR: WEB_DIR, SMTP_URL: smtp.url } });
    base = await listen(t);

    const program = await t.app.inject({
      method: 'POST',
      url: '/api/v1/programs',
      headers: t.adminHeaders,
      payload: { code: 'web-access', name: { en: 'Web Partners', pl: 'Partnerzy Web', ru: 'Веб-партнёры' }, currency: 'PLN', pointValueMinorPerThousand: 1000 },
    });
    expect(program.statusCode, program.body).toBe(201);
    programId = program.json().id;
    const live = await t.app.inject({ method: 'POST', url: `/api/v1/programs/${programId}/status`, headers: t.adminHeaders, payload: { status: 'live', reason: 'launch' } });
    expect(live.statusCode, live.body).toBe(200);

    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/partners',
      headers: t.adminHeaders,
      payload: { programId, legalName: 'Hurtownia Przeglądarkowa Sp. z o.o.', nip: validNip(nipBase), type: 'wholesaler', region: 'mazowieckie' },
    });
    expect(created.statusCode, created.body).toBe(201);
    partner = created.json();

    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await smtp?.stop();
  });

  /** Signs in through the sign-in page (the browser's own language is English) and waits for the landing page. */
  async function signInThroughPage(page: Page, email: string, password: string, landing: RegExp): Promise<void> {
    await page.goto(`${base}/sign-in`);
    await page.locator('main input[name="email"]').fill(email);
    await page.locator('main input[name="password"]').fill(password);
    await page.locator('main form button[type="submit"]').click();
    await page.waitForURL(landing);
  }

  const h1 = (page: Page) => page.locator('main h1').first().innerText();

  async function signOut(page: Page): Promise<void> {
    await page.locator('.app-header form[action="/sign-out"] button').click();
    await page.waitForURL(/\/sign-in/);
  }

  for (const locale of ['en', 'pl', 'ru'] as const) {
    it(`signs staff and partner users in through the sign-in page, in their own language (${locale})`, async () => {
      const admin = await t.signInAs(['admin'], { locale });
      const partnerUser = await t.signInAs(['partner-admin'], { partnerId: partner.id, locale });
      const context = await browser.newContext({ locale: 'en-US' });
      const page = await context.newPage();

      await page.goto(`${base}/sign-in`);
      expect(await h1(page)).toBe('Sign in');

      // Staff land in the admin panel, in the language stored on their profile.
      await signInThroughPage(page, admin.email, TEST_PASSWORD, /\/admin$/);
      expect(await page.getAttribute('html', 'lang')).toBe(locale);
      expect(await h1(page)).toBe(TEXT[locale].admin);
      const nav = await page.locator('.app-header nav').innerText();
      expect(nav).toContain(TEXT[locale].admin);
      expect(nav).not.toContain(TEXT[locale].portal);
      expect(await page.locator('.app-header').innerText()).toContain(`Test admin`);
      await signOut(page);
      expect(await h1(page)).toBe(TEXT[locale].signIn);

      // Partner users land in the portal; the header offers the portal, not the admin panel.
      await signInThroughPage(page, partnerUser.email, TEST_PASSWORD, /\/portal$/);
      expect(await page.getAttribute('html', 'lang')).toBe(locale);
      expect(await h1(page)).toBe(TEXT[locale].portal);
      const partnerNav = await page.locator('.app-header nav').innerText();
      expect(partnerNav).toContain(TEXT[locale].portal);
      expect(partnerNav).not.toContain(TEXT[locale].admin);
      await expect.poll(() => page.locator('main').innerText()).toContain(partner.legalName);
      await signOut(page);
      await context.close();
    }, 60_000);
  }

  it('signs in without JavaScript too (the form posts to the server, which sets the session cookie)', async () => {
    const admin = await t.signInAs(['program-manager'], { locale: 'pl' });
    const context = await browser.newContext({ locale: 'en-US', javaScriptEnabled: false });
    const page = await context.newPage();
    await signInThroughPage(page, admin.email, TEST_PASSWORD, /\/admin$/);
    expect(await h1(page)).toBe(TEXT.pl.admin);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'laurel_session')?.httpOnly).toBe(true);

    // A wrong password shows the API's localized message, and the e-mail stays filled in.
    const other = await browser.newContext({ locale: 'pl-PL', javaScriptEnabled: false });
    const anonymous = await other.newPage();
    await anonymous.goto(`${base}/sign-in`);
    await anonymous.locator('main input[name="email"]').fill(admin.email);
    await anonymous.locator('main input[name="password"]').fill('not the password');
    await anonymous.locator('main form button[type="submit"]').click();
    await anonymous.locator('main [role="alert"]').waitFor();
    expect(await anonymous.locator('main [role="alert"]').innerText()).toMatch(/hasło|e-mail/i);
    expect(await anonymous.locator('main input[name="email"]').inputValue()).toBe(admin.email);
    await other.close();
    await context.close();
  }, 60_000);

  it('lets an admin search the partners list, open a partner, and see field errors from the API', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'en' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signInThroughPage(page, admin.email, TEST_PASSWORD, /\/admin$/);

    await page.goto(`${base}/admin/partners`);
    expect(await h1(page)).toBe('Partners');
    await page.locator('main input[name="q"]').fill('Przeglądarkowa');
    await page.locator('main form[role="search"] button[type="submit"]').click();
    await page.waitForURL(/q=Przegl/);
    const link = page.locator(`main a[href="/admin/partners/${partner.id}"]`);
    await expect.poll(() => link.count()).toBe(1);
    // Searching by NIP finds it too.
    await page.goto(`${base}/admin/partners?q=${partner.nip}`);
    await expect.poll(() => link.count()).toBe(1);

    await link.click();
    await page.waitForURL(`${base}/admin/partners/${partner.id}`);
    expect(await h1(page)).toBe(partner.legalName);
    const nip = partner.nip;
    const main = await page.locator('main').innerText();
    expect(main).toContain(`${nip.slice(0, 3)}-${nip.slice(3, 6)}-${nip.slice(6, 8)}-${nip.slice(8)}`);
    expect(main).toContain('Wholesaler');
    expect(main).toContain('Masovian');

    // Adding a partner with a NIP whose check digit is wrong: the API's message lands on the NIP field, which gets focus.
    await page.goto(`${base}/admin/partners/new`);
    await page.locator('main input[name="legalName"]').fill('Zła Suma Kontrolna S.A.');
    const bad = `${validNip(nipBase + 5000).slice(0, 9)}${(Number(validNip(nipBase + 5000)[9]) + 1) % 10}`;
    await page.locator('main input[name="nip"]').fill(bad);
    await page.locator('main select[name="type"]').selectOption('dealer');
    await page.locator('main form button[type="submit"]').click();
    const nipField = page.locator('main input[name="nip"]');
    await expect.poll(() => nipField.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await nipField.getAttribute('aria-describedby')) ?? '';
    const errorText = await page.locator(`[id="${describedBy.split(' ').pop()}"]`).innerText();
    expect(errorText).toMatch(/check digit/i);
    expect(await page.evaluate('document.activeElement && document.activeElement.getAttribute("name")')).toBe('nip');
    await context.close();
  }, 60_000);

  it('approves an application in the UI; the invitation link from the mail sets a password and opens the portal', async () => {
    const email = `anna.${Date.now()}@hurtownia.test`;
    const applied = await t.app.inject({
      method: 'POST',
      url: '/api/v1/partners/applications',
      payload: { programCode: 'web-access', legalName: 'Nowa Hurtownia Sp. z o.o.', nip: validNip(nipBase + 10_000), type: 'wholesaler', applicant: { name: 'Anna Nowak', email, locale: 'pl' } },
    });
    expect(applied.statusCode, applied.body).toBe(201);
    const applicationId = applied.json().id as string;

    const manager = await t.signInAs(['program-manager'], { locale: 'en' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signInThroughPage(page, manager.email, TEST_PASSWORD, /\/admin$/);
    // The overview lists the application waiting for a decision.
    await expect.poll(() => page.locator('main').innerText()).toContain('Nowa Hurtownia Sp. z o.o.');

    await page.goto(`${base}/admin/partners/${applicationId}`);
    expect(await page.locator('main').innerText()).toContain('Anna Nowak');
    await page.locator('main summary', { hasText: 'Approve' }).click();
    await page.locator('main form[action="?/approve"] button[type="submit"]').click();
    await expect.poll(() => page.locator('main').innerText()).toContain(`We sent an invitation to ${email}`);
    expect(await page.locator('main').innerText()).toContain('Active');

    await t.outbox.drainUntilIdle();
    const mail = await smtp.waitFor((m) => m.to.includes(email));
    const link = /https?:\/\/\S+\/invitation\/[A-Za-z0-9_-]+/.exec(mail.text)?.[0];
    expect(link, mail.text).toBeTruthy();
    await context.close();

    // The applicant opens the link in their own browser, chooses a password and is signed in, in Polish.
    const applicant = await browser.newContext({ locale: 'en-US' });
    const invited = await applicant.newPage();
    await invited.goto(link!.replace(/^https?:\/\/[^/]+/, base));
    await invited.locator('main input[name="password"]').fill('a long enough password');
    await invited.locator('main input[name="confirm"]').fill('a long enough password');
    await invited.locator('main form button[type="submit"]').click();
    await invited.waitForURL(/\/portal$/);
    expect(await h1(invited)).toBe(TEXT.pl.portal);
    await expect.poll(() => invited.locator('main').innerText()).toContain('Nowa Hurtownia Sp. z o.o.');
    await applicant.close();
  }, 60_000);

  it('shows a partner user who opens an admin URL the localized "no access" page, not the data', async () => {
    const partnerUser = await t.signInAs(['partner-admin'], { partnerId: partner.id, locale: 'ru' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signInThroughPage(page, partnerUser.email, TEST_PASSWORD, /\/portal$/);

    const response = await page.goto(`${base}/admin/partners`);
    expect(response?.status()).toBe(403);
    expect(await h1(page)).toBe(TEXT.ru.forbidden);
    const text = await page.locator('main').innerText();
    expect(text).toContain('портале партнёра');
    expect(text).not.toContain(partner.nip);

    // Going back there from the portal gets the same answer.
    await page.goto(`${base}/portal`);
    await page.locator('.app-header a[href="/portal"]').waitFor();
    await page.evaluate('window.history.back()');
    await page.waitForURL(/\/admin\/partners$/);
    await expect.poll(() => h1(page)).toBe(TEXT.ru.forbidden);

    // An anonymous visitor is sent to sign in instead, and comes back after signing in.
    const anonymous = await browser.newContext({ locale: 'pl-PL' });
    const visitor = await anonymous.newPage();
    await visitor.goto(`${base}/admin/audit`);
    await visitor.waitForURL(/\/sign-in\?next=%2Fadmin%2Faudit/);
    expect(await h1(visitor)).toBe(TEXT.pl.signIn);
    await anonymous.close();
    await context.close();
  }, 60_000);
});
