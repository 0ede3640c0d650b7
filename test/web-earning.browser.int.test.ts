import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, plain, validNip, WEB_DIR, signInOnPage } from './browser.ts';

/**
 * Earning in a real browser (Polish, and the unmatched queue in Russian): an admin creates an earning rule through the
 * page (a JSON mistake and an unknown operator are named on the condition field, what was typed is kept, a double
 * submit creates one version), puts it in force and simulates an invoice line by line; an event sent through the API
 * appears in the events list and on its own page; an event for an unknown NIP waits in the unmatched queue, is mapped
 * to a partner found through the partner picker, and its points appear on the partner's points page. Chromium driven by
 * playwright-core against the real app (`laurel server`'s Fastify app serving web/build).
 */



describe.skipIf(!haveChromium && !process.env.CI)('web app: earning rules, simulation, events and the unmatched queue', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let programId = '';
  let partner: { id: string; legalName: string; nip: string };

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env: { LAUREL_WEB_DIR: WEB_DIR } });
    base = await listen(t);

    const program = await t.app.inject({
      method: 'POST',
      url: '/api/v1/programs',
      headers: t.adminHeaders,
      payload: { code: 'web-earning', name: { en: 'Earning Partners', pl: 'Partnerzy Naliczeń', ru: 'Партнёры начислений' }, currency: 'PLN', pointValueMinorPerThousand: 1000, timeZone: 'Europe/Warsaw' },
    });
    expect(program.statusCode, program.body).toBe(201);
    programId = program.json().id;
    const live = await t.app.inject({ method: 'POST', url: `/api/v1/programs/${programId}/status`, headers: t.adminHeaders, payload: { status: 'live', reason: 'launch' } });
    expect(live.statusCode, live.body).toBe(200);
    const nip = validNip(100_000_000 + Math.floor(Math.random() * 800_000_000));
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/partners',
      headers: t.adminHeaders,
      payload: { programId, legalName: 'Naliczeniowa Hurtownia Sp. z o.o.', nip, type: 'wholesaler', region: 'mazowieckie' },
    });
    expect(created.statusCode, created.body).toBe(201);
    partner = { ...created.json(), nip };

    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const signInThroughPage = (page: Page, email: string, landing: RegExp) => signInOnPage(page, base, email, landing);

  const invoice = (externalId: string, number: string, who: Record<string, string>, lines: { sku: string; quantity: number; netAmount: number; category?: string }[]) => ({
    type: 'invoice.issued',
    source: 'erp-web',
    externalId,
    occurredAt: new Date().toISOString(),
    programId,
    partner: who,
    number,
    currency: 'PLN',
    lines,
  });

  it('creates a rule through the page, puts it in force and simulates an invoice line by line (pl)', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'pl' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signInThroughPage(page, admin.email, /\/admin$/);

    // The navigation leads to the earning rules: none yet.
    await page.locator('.app-header nav a', { hasText: 'Naliczanie punktów' }).click();
    await page.waitForURL(/\/admin\/earning\/rules/);
    expect(await page.locator('main h1').innerText()).toBe('Zasady naliczania');
    expect(await page.locator('main').innerText()).toContain('Nie ma jeszcze zasad naliczania');
    await page.locator('main a', { hasText: 'Nowa zasada naliczania' }).first().click();
    await page.waitForURL(/\/admin\/earning\/rules\/new/);

    // A condition that is not JSON: named on the field, in Polish; everything typed is kept.
    const form = page.locator('main form[aria-label="Nowa zasada naliczania"]');
    await form.locator('input[name="code"]').fill('kable');
    await form.locator('input[name="name"]').fill('Kable: 1,5 punktu za złoty');
    await form.locator('input[name="validFrom"]').fill('2026-01-01');
    await form.locator('textarea[name="condition"]').fill('{"==": [{"var": "line.category"}, cable]}');
    await form.locator('input[name="effect.pointsPerUnit"]').fill('1,5');
    await form.locator('button[type="submit"]:not([formaction])').click();
    const conditionError = form.locator('.field--invalid').filter({ has: page.locator('textarea[name="condition"]') });
    await expect.poll(() => conditionError.innerText()).toContain('To nie jest poprawny JSON (wiersz 1, kolumna');
    expect(await form.locator('input[name="code"]').inputValue()).toBe('kable');
    expect(await form.locator('input[name="effect.pointsPerUnit"]').inputValue()).toBe('1,5');
    type Focusable = { ownerDocument: { activeElement: unknown } };
    expect(await form.locator('textarea[name="condition"]').evaluate((element) => element === (element as unknown as Focusable).ownerDocument.activeElement)).toBe(true);

    // An operator JsonLogic does not know: the API's problem names /body/condition, shown on the field.
    await form.locator('textarea[name="condition"]').fill('{"zawiera": [{"var": "line.category"}, "cable"]}');
    await form.locator('button[type="submit"]:not([formaction])').click();
    await expect.poll(() => conditionError.innerText()).toContain('zawiera');
    expect(await form.locator('textarea[name="condition"]').inputValue()).toBe('{"zawiera": [{"var": "line.category"}, "cable"]}');
    expect(await form.locator('input[name="name"]').inputValue()).toBe('Kable: 1,5 punktu za złoty');

    // A good condition, submitted twice at once (a double click): one draft, version 1.
    await form.locator('textarea[name="condition"]').fill('{"==": [{"var": "line.category"}, "cable"]}');
    await form.evaluate((element) => {
      const submittable = element as unknown as { requestSubmit(): void };
      submittable.requestSubmit();
      submittable.requestSubmit();
    });
    await page.waitForURL(/\/admin\/earning\/rules\/[0-9a-f-]{36}\?created/);
    const rules = await t.app.inject({ method: 'GET', url: `/api/v1/earning/rules?programId=${programId}&code=kable`, headers: t.adminHeaders });
    expect(rules.json().items).toHaveLength(1);
    expect(plain(await page.locator('main [role="status"], main [role="alert"]').first().innerText())).toContain('Szkic zapisany jako wersja 1.');
    expect(await page.locator('main h1').innerText()).toBe('Kable: 1,5 punktu za złoty');
    expect(await page.locator('main [data-rule-status]').innerText()).toContain('Szkic');
    expect(plain(await page.locator('main dl').first().innerText())).toContain('1,5 punktu za każdy PLN wartości netto, do puli: Oczekujące, zaokrąglane w dół');

    // Put it in force (a confirm step).
    await page.locator('main summary', { hasText: 'Wprowadź w życie' }).click();
    await page.locator('main form[action="?/activate"] button[type="submit"]').click();
    await expect.poll(() => page.locator('main [data-rule-status]').innerText()).toContain('Aktywna');
    expect(await page.locator('main').innerText()).toContain('Zasada naliczania obowiązuje.');
    expect(await page.locator('main summary', { hasText: 'Wycofaj' }).count()).toBe(1);

    // Simulate an invoice: the cable line earns floor(1 000,50 × 1,5) = 1 500 points, the other line nothing and says why.
    const simulate = page.locator('main form[action="?/simulate"]');
    await simulate.locator('input[name="partner"]').fill(partner.nip);
    await simulate.locator('input[name="lines.0.sku"]').fill('KAB-1');
    await simulate.locator('input[name="lines.0.quantity"]').fill('2');
    await simulate.locator('input[name="lines.0.netAmount"]').fill('1 000,50');
    await simulate.locator('input[name="lines.0.category"]').fill('cable');
    await simulate.locator('input[name="lines.1.sku"]').fill('NAR-2');
    await simulate.locator('input[name="lines.1.netAmount"]').fill('200');
    await simulate.locator('input[name="lines.1.category"]').fill('tools');
    await simulate.locator('button[type="submit"]', { hasText: 'Symuluj' }).click();
    const result = page.locator('main [data-simulation]');
    await result.waitFor();
    expect(plain(await result.locator('[data-total="points"]').innerText())).toContain('1 500 punktów');
    expect(plain(await result.locator('[data-total="pending"]').innerText())).toContain('1 500 punktów');
    expect(await result.innerText()).toContain(`Partner handlowy: ${partner.legalName}`);
    const rows = result.locator('table tbody tr');
    expect(await rows.count()).toBe(2);
    const first = plain(await rows.nth(0).innerText());
    expect(first).toContain('1 500 punktów');
    expect(first).toContain('kable v1');
    expect(first).toContain('floor(1000.50 PLN × 1.5) = 1500');
    const second = plain(await rows.nth(1).innerText());
    expect(second).toContain('0 punktów');
    expect(second).toContain('jej warunek nie jest spełniony dla tej pozycji');
    // What was typed stays for the next run.
    expect(await simulate.locator('input[name="lines.0.netAmount"]').inputValue()).toBe('1 000,50');

    // A line amount with too many decimal places is named on its field.
    await simulate.locator('input[name="lines.1.netAmount"]').fill('2,005');
    await simulate.locator('button[type="submit"]', { hasText: 'Symuluj' }).click();
    const amountError = simulate.locator('.field--invalid').filter({ has: page.locator('input[name="lines.1.netAmount"]') });
    await expect.poll(() => amountError.innerText()).toContain('Podaj kwotę w walucie');
    await context.close();
  }, 120_000);

  it('lists an event sent through the API and shows its payload and result (pl)', async () => {
    const sent = await t.app.inject({
      method: 'POST',
      url: '/api/v1/earning/events',
      headers: t.adminHeaders,
      payload: invoice('web-ev-1', 'FV/2026/101', { nip: partner.nip }, [{ sku: 'KAB-9', quantity: 1, netAmount: 10_000, category: 'cable' }]),
    });
    expect(sent.statusCode, sent.body).toBe(201);
    expect(sent.json().points).toBe(150);

    const admin = await t.signInAs(['admin'], { locale: 'pl' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signInThroughPage(page, admin.email, /\/admin$/);
    await page.goto(`${base}/admin/earning/events`);
    expect(await page.locator('main h1').innerText()).toBe('Zdarzenia');
    const row = page.locator('main table tbody tr').filter({ hasText: 'FV/2026/101' });
    expect(plain(await row.innerText())).toMatch(/Przetworzone[\s\S]*150 punktów/);
    expect(await row.innerText()).toContain(partner.legalName);

    // Filters the API does not apply: partner (by NIP with separators) and type.
    await page.locator('main input[name="partner"]').fill(`${partner.nip.slice(0, 3)}-${partner.nip.slice(3, 6)}`);
    await page.locator('main select[name="type"]').selectOption('invoice.paid');
    await page.locator('main form[role="search"] button[type="submit"]').click();
    await page.waitForURL(/type=invoice\.paid/);
    expect(await page.locator('main').innerText()).toContain('Żadne zdarzenie nie pasuje do filtrów');
    await page.locator('main select[name="type"]').selectOption('invoice.issued');
    await page.locator('main form[role="search"] button[type="submit"]').click();
    await page.waitForURL(/type=invoice\.issued/);
    expect(await page.locator('main table tbody tr').filter({ hasText: 'FV/2026/101' }).count()).toBe(1);

    // The event's page: status, raw payload, the ledger entry with a link to the partner's points.
    await page.locator('main table tbody tr').filter({ hasText: 'FV/2026/101' }).locator('a', { hasText: 'Wystawienie faktury' }).click();
    await page.waitForURL(/\/admin\/earning\/events\/[0-9a-f-]{36}$/);
    expect(await page.locator('main [data-event-status]').innerText()).toContain('Przetworzone');
    expect(JSON.parse(await page.locator('main [data-payload]').innerText())).toMatchObject({ number: 'FV/2026/101', partner: { nip: partner.nip } });
    expect(plain(await page.locator('main [data-event-points]').innerText())).toContain('150 punktów');
    const entry = page.locator('main [data-entries] a').first();
    expect(await entry.innerText()).toMatch(/^Operacja nr \d+$/);
    expect(await entry.getAttribute('href')).toBe(`/admin/partners/${partner.id}/points`);
    await context.close();
  }, 90_000);

  it('resolves an unmatched event to a partner found through the picker, and its points appear (ru)', async () => {
    const unknownNip = validNip(900_000_000 + Math.floor(Math.random() * 90_000_000));
    const sent = await t.app.inject({
      method: 'POST',
      url: '/api/v1/earning/events',
      headers: t.adminHeaders,
      payload: invoice('web-ev-2', 'FV/2026/202', { nip: unknownNip }, [{ sku: 'KAB-7', quantity: 4, netAmount: 20_000, category: 'cable' }]),
    });
    expect(sent.statusCode, sent.body).toBe(202);

    const admin = await t.signInAs(['admin'], { locale: 'ru' });

    // Without JavaScript the picker's Search reloads the page with the partners found.
    const noScript = await browser.newContext({ locale: 'en-US', javaScriptEnabled: false });
    const plainPage = await noScript.newPage();
    await signInThroughPage(plainPage, admin.email, /\/admin$/);
    await plainPage.goto(`${base}/admin/earning/unmatched`);
    const plainRow = plainPage.locator('main table tbody tr').filter({ hasText: 'FV/2026/202' });
    await plainRow.locator('summary', { hasText: 'Сопоставить с партнёром' }).click();
    await plainRow.locator('input[name="q"]').fill('Naliczeniowa');
    await plainRow.locator('button', { hasText: 'Найти' }).click();
    await plainPage.waitForURL(/q=Naliczeniowa/);
    const found = plainPage.locator('main table tbody tr').filter({ hasText: 'FV/2026/202' }).locator('[data-partner-picker]');
    expect(await found.innerText()).toContain(partner.legalName);
    expect(await found.locator('input[name="partnerId"]').getAttribute('value')).toBe(partner.id);
    await noScript.close();

    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signInThroughPage(page, admin.email, /\/admin$/);
    await page.goto(`${base}/admin/earning/unmatched`);
    expect(await page.locator('main h1').innerText()).toBe('События без партнёра');
    expect(await page.locator('main').innerText()).toContain('1 событие ожидает партнёра.');
    const row = page.locator('main table tbody tr').filter({ hasText: 'FV/2026/202' });
    expect(await row.innerText()).toContain(`ИНН / NIP: ${unknownNip}`);

    // Map without choosing a partner: the picker says what is missing.
    await row.locator('summary', { hasText: 'Сопоставить с партнёром' }).click();
    const map = row.locator('form[action="?/map"]');
    expect(await map.locator('input[name="q"]').inputValue()).toBe(unknownNip);
    await map.locator('button[type="submit"]', { hasText: 'Сопоставить и начислить баллы' }).click();
    await expect.poll(() => map.innerText()).toContain('Выберите партнёра, к которому относится событие.');

    // Search by name: the partner is found (and chosen, being the only one); map it.
    await map.locator('input[name="q"]').fill('Naliczeniowa');
    const option = map.locator('input[name="partnerId"]');
    await expect.poll(() => option.count()).toBe(1);
    expect(await map.locator('[data-partner-picker]').innerText()).toContain(partner.legalName);
    expect(await option.isChecked()).toBe(true);
    await map.locator('button[type="submit"]', { hasText: 'Сопоставить и начислить баллы' }).click();
    await expect.poll(async () => plain(await page.locator('main [role="status"], main [role="alert"]').first().innerText())).toContain(
      'Событие сопоставлено с партнёром; начислено: 300 баллов.',
    );
    expect(await page.locator('main').innerText()).toContain('Событий без партнёра нет');

    // The points are on the partner's page: 150 from the earlier event and 300 from this one, pending until paid.
    await page.locator('main a', { hasText: 'Баллы партнёра' }).click();
    await page.waitForURL(new RegExp(`/admin/partners/${partner.id}/points$`));
    expect(plain(await page.locator('main [data-account="pending"] .balance__value').first().innerText())).toBe('450 баллов');

    // The event's page tells who mapped it.
    await page.goto(`${base}/admin/earning/events?status=processed`);
    await page.locator('main table tbody tr').filter({ hasText: 'FV/2026/202' }).locator('a').first().click();
    await page.waitForURL(/\/admin\/earning\/events\/[0-9a-f-]{36}$/);
    expect(await page.locator('main [data-resolution="map"]').innerText()).toContain(`Сопоставлено с партнёром: ${admin.email}`);
    await context.close();
  }, 90_000);
});
