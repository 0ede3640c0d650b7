import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { ledgerServiceRef } from '@laurel/core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, plain, validNip, WEB_DIR, signInOnPage } from './browser.ts';

/**
 * Points in a real browser: staff adjust and reverse a partner's points on the partner's page (Polish), and the
 * partner's user reads the statement in the portal (Russian); points expiring soon, what expires when and a sales
 * rep's own wallet in the portal (Polish, English) and the admin panel (Russian). Chromium driven by playwright-core against the real
 * app (`laurel server`'s Fastify app serving web/build). `pnpm test` builds the web app first.
 */


describe.skipIf(!haveChromium && !process.env.CI)('web app: points (ledger) in the admin panel and the partner portal', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let partner: { id: string; legalName: string };
  const reason = 'Premia za targi branżowe';
  const reversalReason = 'Pomyłka w kwocie premii';

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env: { LAUREL_WEB_DIR: WEB_DIR } });
    base = await listen(t);

    const program = await t.app.inject({
      method: 'POST',
      url: '/api/v1/programs',
      headers: t.adminHeaders,
      payload: { code: 'web-ledger', name: { en: 'Points Partners', pl: 'Partnerzy Punktowi', ru: 'Партнёры с баллами' }, currency: 'PLN', pointValueMinorPerThousand: 1000 },
    });
    expect(program.statusCode, program.body).toBe(201);
    const programId = program.json().id;
    const live = await t.app.inject({ method: 'POST', url: `/api/v1/programs/${programId}/status`, headers: t.adminHeaders, payload: { status: 'live', reason: 'launch' } });
    expect(live.statusCode, live.body).toBe(200);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/partners',
      headers: t.adminHeaders,
      payload: { programId, legalName: 'Punktowa Hurtownia Sp. z o.o.', nip: validNip(100_000_000 + Math.floor(Math.random() * 800_000_000)), type: 'wholesaler', region: 'mazowieckie' },
    });
    expect(created.statusCode, created.body).toBe(201);
    partner = created.json();

    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const signInThroughPage = (page: Page, email: string, landing: RegExp) => signInOnPage(page, base, email, landing);

  const available = (page: Page) => page.locator('main [data-account="available"] .balance__value').first().innerText();

  it('lets staff adjust and reverse points (pl), and the partner user read the statement (ru)', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'pl' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signInThroughPage(page, admin.email, /\/admin$/);

    // The partner's page has a "Punkty" section: no points yet.
    await page.goto(`${base}/admin/partners/${partner.id}`);
    const points = page.locator('main .points > section');
    expect(await points.locator('h2').first().innerText()).toBe('Punkty');
    expect(await available(page)).toBe('0 punktów');
    expect(await points.innerText()).toContain('Ten partner nie ma jeszcze punktów.');

    // An adjustment of 150 points with a reason: the balance is 150 and the line shows the reason.
    const adjust = page.locator('main form[action="?/adjust"]');
    await adjust.locator('input[name="points"]').fill('150');
    await adjust.locator('input[name="reason"]').fill(reason);
    await adjust.locator('button[type="submit"]').click();
    await expect.poll(() => available(page)).toBe('150 punktów');
    expect(await page.locator('main [role="status"], main [role="alert"]').first().innerText()).toContain('Zaksięgowano korektę: +150 punktów.');
    const table = points.locator('table');
    expect(await table.innerText()).toContain('Korekta ręczna');
    expect(await table.innerText()).toContain(reason);

    // Taking away more than there is: the API's localized problem detail is shown, nothing changes.
    await adjust.locator('input[name="points"]').fill('-1000');
    await adjust.locator('input[name="reason"]').fill('Za dużo');
    await adjust.locator('button[type="submit"]').click();
    const problem = adjust.locator('[data-form-message]');
    await problem.waitFor();
    expect((await problem.innerText()).length).toBeGreaterThan(10);
    expect(await available(page)).toBe('150 punktów');

    // Reverse it (a confirm step with a reason): the balance is back to 0 and the reversal line is listed.
    const disclosure = points.locator('details').filter({ hasText: 'Storno nr' }).first();
    await disclosure.locator('summary').click();
    const reverse = disclosure.locator('form[action="?/reverse"]');
    await reverse.locator('input[name="reason"]').fill(reversalReason);
    await reverse.locator('button[type="submit"]').click();
    await expect.poll(() => available(page)).toBe('0 punktów');
    const lines = await table.innerText();
    expect(lines).toContain('Storno operacji nr');
    expect(lines).toContain(reversalReason);
    expect(lines).toContain('Stornowana');
    // Neither the reversal nor the reversed entry can be reversed again.
    expect(await points.locator('details').filter({ hasText: 'Storno nr' }).count()).toBe(0);

    // The full points page lists both lines too.
    await page.goto(`${base}/admin/partners/${partner.id}/points`);
    expect(await page.locator('main h1').innerText()).toBe(`Punkty: ${partner.legalName}`);
    expect(await page.locator('main table tbody tr').count()).toBe(2);
    await context.close();

    // The partner's user (Russian) sees the points in the portal: headings, both lines and the reasons.
    const user = await t.signInAs(['partner-user'], { partnerId: partner.id, locale: 'ru' });
    const portal = await browser.newContext({ locale: 'en-US' });
    const userPage = await portal.newPage();
    await signInThroughPage(userPage, user.email, /\/portal$/);
    expect(await userPage.locator('.app-header nav').innerText()).toContain('Баллы');
    expect(await userPage.locator('main section.points h2').innerText()).toBe('Баллы');
    await userPage.goto(`${base}/portal/points`);
    expect(await userPage.locator('main h1').innerText()).toBe('Баллы');
    const headings = await userPage.locator('main h2').allInnerTexts();
    expect(headings).toEqual(expect.arrayContaining(['Баланс', 'Операции']));
    expect(await available(userPage)).toBe('0 баллов');
    const rows = userPage.locator('main table tbody tr');
    expect(await rows.count()).toBe(2);
    const statement = await userPage.locator('main table').innerText();
    expect(statement).toContain('Сторнирование');
    expect(statement).toContain('Ручная корректировка');
    expect(statement).toContain(reason);
    expect(statement).toContain(reversalReason);
    expect(statement).toMatch(/\+150/);
    expect(statement).toMatch(/-150/);
    // The newest line first: the reversal.
    expect(await rows.first().innerText()).toContain('Сторнирование');
    await portal.close();
  }, 90_000);

  it('sends a large adjustment for approval, which the requester cannot give and a second admin can (en)', async () => {
    const programId = (partner as unknown as { programId: string }).programId;
    const policy = await t.app.inject({ method: 'PUT', url: `/api/v1/ledger/programs/${programId}/policy`, headers: t.adminHeaders, payload: { approvalThreshold: 100 } });
    expect(policy.statusCode, policy.body).toBe(200);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/partners',
      headers: t.adminHeaders,
      payload: { programId, legalName: 'Four Eyes Trading Ltd', nip: validNip(100_000_000 + Math.floor(Math.random() * 800_000_000)), type: 'dealer', region: 'mazowieckie' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const other = created.json() as { id: string; legalName: string };

    // The requester: 500 points are above the threshold, so they wait for approval and nothing is posted.
    const requester = await t.signInAs(['admin'], { locale: 'en' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signInThroughPage(page, requester.email, /\/admin$/);
    expect(await page.locator('.app-header nav').innerText()).toContain('Approvals');
    await page.goto(`${base}/admin/partners/${other.id}/points`);
    expect(await page.locator('main a[download]').getAttribute('href')).toBe(`/api/v1/ledger/partners/${other.id}/statement.csv`);
    const adjust = page.locator('main form[action="?/adjust"]');
    await adjust.locator('input[name="points"]').fill('500');
    await adjust.locator('input[name="reason"]').fill('Trade fair bonus');
    await adjust.locator('button[type="submit"]').click();
    await expect.poll(() => page.locator('main [role="status"], main [role="alert"]').first().innerText()).toContain('Sent for approval: +500 points.');
    expect(await available(page)).toBe('0 points');

    // On the approvals page the requester sees the request, but its Approve button is disabled with the reason.
    await page.goto(`${base}/admin/approvals`);
    const mine = page.locator('main table tbody tr').filter({ hasText: 'Four Eyes Trading Ltd' });
    expect(await mine.innerText()).toContain('Adjustment: +500 points');
    expect(await mine.locator('button', { hasText: 'Approve' }).isDisabled()).toBe(true);
    expect(await mine.innerText()).toContain('You asked for this; another admin has to approve it.');
    await context.close();

    // A second admin approves it: the points are posted.
    const approver = await t.signInAs(['finance'], { locale: 'en' });
    const second = await browser.newContext({ locale: 'en-US' });
    const approverPage = await second.newPage();
    await signInThroughPage(approverPage, approver.email, /\/admin$/);
    await approverPage.goto(`${base}/admin/approvals`);
    const row = approverPage.locator('main table tbody tr').filter({ hasText: 'Four Eyes Trading Ltd' });
    await row.locator('form[action="?/approve"] button[type="submit"]').click();
    await expect.poll(() => approverPage.locator('main [role="status"], main [role="alert"]').first().innerText()).toContain('Approved: transaction no.');
    await approverPage.goto(`${base}/admin/partners/${other.id}/points`);
    expect(await available(approverPage)).toBe('500 points');
    await second.close();
  }, 90_000);

  it('shows the points liability to finance (pl) and lets a partner user filter and download the statement (en)', async () => {
    const program = await t.app.inject({
      method: 'POST',
      url: '/api/v1/programs',
      headers: t.adminHeaders,
      payload: { code: 'web-liability', name: { en: 'Liability Partners', pl: 'Partnerzy Zobowiązań', ru: 'Партнёры обязательств' }, currency: 'PLN', pointValueMinorPerThousand: 1235 },
    });
    expect(program.statusCode, program.body).toBe(201);
    const programId = program.json().id as string;
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/partners',
      headers: t.adminHeaders,
      payload: { programId, legalName: 'Zobowiązania Sp. z o.o.', nip: validNip(100_000_000 + Math.floor(Math.random() * 800_000_000)), type: 'dealer', region: 'mazowieckie' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const owed = created.json() as { id: string };
    const adjust = await t.app.inject({ method: 'POST', url: '/api/v1/ledger/adjustments', headers: t.adminHeaders, payload: { partnerId: owed.id, points: 1000, reason: 'Premia startowa', idempotencyKey: 'web-liability-1' } });
    expect(adjust.statusCode, adjust.body).toBe(201);

    // Finance in Polish: the navigation leads to the liability page; 1 000 points at 12,35 zł per 1 000.
    const finance = await t.signInAs(['finance'], { locale: 'pl' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signInThroughPage(page, finance.email, /\/admin$/);
    await page.locator('.app-header nav a', { hasText: 'Zobowiązanie z tytułu punktów' }).click();
    await page.waitForURL(/\/admin\/liability/);
    await page.goto(`${base}/admin/liability?program=${programId}`);
    expect(await page.locator('main h1').innerText()).toBe('Zobowiązanie z tytułu punktów');
    const total = page.locator('main [data-outstanding] [data-account="total"]');
    expect((await total.innerText()).replace(/\s/g, ' ')).toMatch(/1 000 punktów.*12,35 zł/);
    expect((await page.locator('main [data-basis]').innerText()).replace(/\s/g, ' ')).toContain('1000 punktów = 12,35 zł');
    // At the end of a day long ago nothing was owed.
    await page.locator('main input[name="asOf"]').fill('2020-01-31');
    await page.locator('main form button[type="submit"]').click();
    await page.waitForURL(/asOf=2020-01-31/);
    expect((await total.innerText()).replace(/\s/g, ' ')).toMatch(/0 punktów.*0,00 zł/);
    await context.close();

    // The partner's user: the CSV link carries the filters and downloads the statement.
    const user = await t.signInAs(['partner-user'], { partnerId: owed.id, locale: 'en' });
    const portal = await browser.newContext({ locale: 'en-US' });
    const userPage = await portal.newPage();
    await signInThroughPage(userPage, user.email, /\/portal$/);
    await userPage.goto(`${base}/portal/points`);
    const csvLink = userPage.locator('main a[data-csv]');
    expect(await csvLink.getAttribute('href')).toBe('/api/v1/ledger/me/statement.csv');
    const csv = await userPage.request.get(`${base}/api/v1/ledger/me/statement.csv`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-disposition']).toMatch(/^attachment; filename="statement-/);
    expect((await csv.text()).split('\r\n')[0]).toBe('entry_id,posted_at,kind,account,amount,balance_after,reason,explanation');
    await userPage.locator('main select[name="kind"]').selectOption('earn');
    await userPage.locator('main form[role="search"] button[type="submit"]').click();
    await userPage.waitForURL(/kind=earn/);
    expect(await csvLink.getAttribute('href')).toBe('/api/v1/ledger/me/statement.csv?kind=earn');
    expect(await userPage.locator('main').innerText()).toContain('No transactions match these filters');
    await portal.close();
  }, 90_000);
  it('shows points expiring soon, what expires when and a rep\'s own points in the portal (pl, en) and to staff (ru)', async () => {
    const program = await t.app.inject({
      method: 'POST',
      url: '/api/v1/programs',
      headers: t.adminHeaders,
      payload: {
        code: 'web-expiry',
        name: { en: 'Expiry Partners', pl: 'Partnerzy Wygasający', ru: 'Партнёры со сгоранием' },
        currency: 'PLN',
        pointValueMinorPerThousand: 1000,
        timeZone: 'Europe/Warsaw',
        expiryPolicy: { kind: 'months-after-earning', months: 12 },
        repSplitPolicy: { repPercent: 25 },
      },
    });
    expect(program.statusCode, program.body).toBe(201);
    const programId = program.json().id as string;
    const live = await t.app.inject({ method: 'POST', url: `/api/v1/programs/${programId}/status`, headers: t.adminHeaders, payload: { status: 'live', reason: 'launch' } });
    expect(live.statusCode, live.body).toBe(200);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/partners',
      headers: t.adminHeaders,
      payload: { programId, legalName: 'Wygasająca Hurtownia Sp. z o.o.', nip: validNip(100_000_000 + Math.floor(Math.random() * 800_000_000)), type: 'wholesaler', region: 'mazowieckie' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const expiring = created.json() as { id: string; legalName: string };
    const rep = await t.signInAs(['partner-user'], { partnerId: expiring.id, locale: 'pl' });
    const colleague = await t.signInAs(['partner-user'], { partnerId: expiring.id, locale: 'en' });

    // Through the ledger service: 400 points of an invoice dated 330 days ago, sold by the rep (25% to the rep's own
    // wallet), expiring in about a month; 200 points earned now (a year to go); 50 points of an invoice dated 400
    // days ago, already due, then expired.
    const ledger = t.host.service(ledgerServiceRef);
    const ctx = () => t.host.createContext({ requestId: 'web-expiry', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
    const DAY = 86_400_000;
    const today = Math.floor(Date.now() / DAY) * DAY;
    const oldInvoice = new Date(today - 330 * DAY);
    await ledger.earn(ctx(), { partnerId: expiring.id, points: 400, idempotencyKey: 'web-expiry-old', earnedAt: oldInvoice, repUserId: rep.userId, explanation: { invoice: 'FV/2025/330' } });
    await ledger.earn(ctx(), { partnerId: expiring.id, points: 200, idempotencyKey: 'web-expiry-new', explanation: { invoice: 'FV/2026/1' } });
    await ledger.earn(ctx(), { partnerId: expiring.id, points: 50, idempotencyKey: 'web-expiry-due', earnedAt: new Date(today - 400 * DAY) });
    await ledger.expireLots(ctx());
    expect(await ledger.balances(ctx(), expiring.id)).toMatchObject({ available: 500, expiringSoon: 300, nextExpiry: { points: 300 } });
    const [soonest] = await ledger.lots(ctx(), expiring.id);
    // The last day the points can be used: the day before the expiry instant (local midnight in Warsaw).
    const lastDay = new Date(Math.round(Date.parse(soonest!.expiresAt!) / DAY) * DAY - DAY + DAY / 2);
    const day = (locale: string, date: Date) => new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(date);
    
    // The rep (Polish) in the portal: the home card says what expires soon.
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signInThroughPage(page, rep.email, /\/portal$/);
    expect(plain(await page.locator('main section.points [data-expiring-soon]').innerText())).toBe('300 punktów wygaśnie w ciągu 90 dni.');

    // The points page: expiring soon and the next expiry in the balances card.
    await page.goto(`${base}/portal/points`);
    expect(await available(page)).toBe('500 punktów');
    expect(plain(await page.locator('main [data-expiring-soon]').first().innerText())).toBe('300 punktów wygaśnie w ciągu 90 dni.');
    expect(plain(await page.locator('main [data-next-expiry]').first().innerText())).toBe(`300 punktów wygaśnie ${day('pl-PL', lastDay)}.`);

    // What expires when: the old invoice's points first (earned on the invoice's day, within 90 days), then today's.
    const lots = page.locator('main [data-lots]');
    expect(await lots.locator('h2').innerText()).toBe('Co wygasa i kiedy');
    const lotRows = lots.locator('table tbody tr');
    expect(await lotRows.count()).toBe(2);
    const first = plain(await lotRows.nth(0).innerText());
    expect(first).toContain(day('pl-PL', lastDay));
    expect(first).toContain('300 z 300');
    expect(first).toContain(day('pl-PL', oldInvoice));
    expect(first).toContain('W ciągu 90 dni');
    expect(first).toContain('Naliczenie punktów');
    const second = plain(await lotRows.nth(1).innerText());
    expect(second).toContain('200 z 200');
    expect(second).not.toContain('W ciągu 90 dni');

    // The statement says why: the expiry, the invoice's date and the split with the signed-in rep.
    const statement = plain(await page.locator('main section[aria-labelledby="statement-title"] table').innerText());
    expect(statement).toContain('Wygaśnięcie punktów');
    expect(statement).toMatch(/Wygaśnięcie punktów, których termin ważności minął \(stan na \d{1,2} \S+ \d{4}\)\./);
    expect(statement).toContain(`Naliczone ${day('pl-PL', oldInvoice)}; termin wygaśnięcia liczy się od tego dnia.`);
    expect(statement).toContain('Podział z Tobą: 25% trafiło na Twoje własne punkty za Twoją sprzedaż.');

    // The rep's own points: 100 available, expiring soon too, and the line of their share.
    const own = page.locator('main [data-rep-wallet]');
    expect(await own.locator('h2').innerText()).toBe('Twoje własne punkty');
    expect(await own.locator('[data-account="available"] .balance__value').innerText()).toBe('100 punktów');
    expect(plain(await own.locator('[data-expiring-soon]').innerText())).toBe('100 punktów wygaśnie w ciągu 90 dni.');
    expect(plain(await own.locator('table').innerText())).toContain('Twój udział (25%) w Twojej sprzedaży.');
    await context.close();

    // A colleague (English) sees the company's figures and lots, and no section of their own (their wallet is empty).
    const english = await browser.newContext({ locale: 'en-US' });
    const colleaguePage = await english.newPage();
    await signInThroughPage(colleaguePage, colleague.email, /\/portal$/);
    expect(await colleaguePage.locator('main section.points [data-expiring-soon]').innerText()).toBe('300 points expire within 90 days.');
    await colleaguePage.goto(`${base}/portal/points`);
    expect(await colleaguePage.locator('main [data-next-expiry]').innerText()).toBe(`300 points expire on ${day('en-US', lastDay)}.`);
    expect(await colleaguePage.locator('main [data-lots] h2').innerText()).toBe('What expires when');
    expect(await colleaguePage.locator('main [data-lots] table tbody tr').count()).toBe(2);
    expect(await colleaguePage.locator('main [data-lots] table tbody tr').first().innerText()).toContain('300 of 300');
    expect(await colleaguePage.locator('main [data-rep-wallet]').count()).toBe(0);
    expect(await colleaguePage.locator('main section[aria-labelledby="statement-title"] table').innerText()).toContain('Split with the sales rep who made the sale: 25% went to their own points.');
    await english.close();

    // Staff (Russian): the lots and the people of the partner with their own points.
    const admin = await t.signInAs(['admin'], { locale: 'ru' });
    const staff = await browser.newContext({ locale: 'en-US' });
    const adminPage = await staff.newPage();
    await signInThroughPage(adminPage, admin.email, /\/admin$/);
    await adminPage.goto(`${base}/admin/partners/${expiring.id}/points`);
    expect(plain(await adminPage.locator('main [data-expiring-soon]').innerText())).toBe('300 баллов сгорят в течение 90 дней.');
    expect(plain(await adminPage.locator('main [data-next-expiry]').innerText())).toBe(`${day('ru-RU', lastDay)} сгорят 300 баллов.`);
    expect(await adminPage.locator('main [data-lots] h2').innerText()).toBe('Что и когда сгорит');
    expect(plain(await adminPage.locator('main [data-lots] table tbody tr').first().innerText())).toContain('300 из 300');
    const reps = adminPage.locator('main [data-reps]');
    expect(await reps.locator('h2').innerText()).toBe('Личные баллы торговых представителей');
    const repRow = reps.locator('table tbody tr').filter({ hasText: rep.email });
    expect(await repRow.locator('[data-rep-account="available"]').innerText()).toBe('100');
    expect(await repRow.locator('[data-rep-account="expiringSoon"]').innerText()).toBe('100');
    expect(await reps.locator('table tbody tr').filter({ hasText: colleague.email }).innerText()).toContain('Личных баллов нет');
    // The split names the rep.
    expect(plain(await adminPage.locator('main section[aria-labelledby="statement-title"] table').innerText())).toMatch(
      /Разделено с сотрудником, совершившим продажу \(Test partner-user\): 25 % зачислено на его личные баллы\./,
    );
    await staff.close();
  }, 120_000);
});
