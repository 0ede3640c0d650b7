import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, plain, validNip, WEB_DIR, signInOnPage } from './browser.ts';

/**
 * The earning guardrails in a real browser: an admin (pl) sets the volume guardrail through the settings page (a factor
 * the API refuses is named on its field, in Polish), an invoice sent by a system (API key) far above the partner's
 * history is held, shown in the review queue with its reason in words, approved with a double submit (posted once)
 * and its points are pending on the partner's points page; an admin (ru) imports the NBP table A fixture through the
 * exchange rates page (a file the API cannot read is named on the field) and sees the rates listed. Chromium driven by
 * playwright-core against the real app (`laurel server`'s Fastify app serving web/build).
 */
const NBP_JSON = fileURLToPath(new URL('../packages/core/src/modules/earning/fixtures/nbp_tableA_170-A-NBP-2022_2022-09-02.json', import.meta.url));



describe.skipIf(!haveChromium && !process.env.CI)('web app: guardrail settings, the review queue and exchange rates', () => {
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
      payload: { code: 'web-review', name: { en: 'Review Partners', pl: 'Partnerzy Weryfikacji', ru: 'Партнёры проверки' }, currency: 'PLN', pointValueMinorPerThousand: 1000, timeZone: 'Europe/Warsaw' },
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
      payload: { programId, legalName: 'Weryfikowana Hurtownia Sp. z o.o.', nip, type: 'wholesaler', region: 'mazowieckie' },
    });
    expect(created.statusCode, created.body).toBe(201);
    partner = { ...created.json(), nip };

    // One point per PLN of net value, to pending.
    const rule = await t.app.inject({
      method: 'POST',
      url: '/api/v1/earning/rules',
      headers: t.adminHeaders,
      payload: { programId, code: 'base', name: 'Base', validFrom: '2024-01-01T00:00:00Z', eventTypes: ['invoice.issued'], condition: true, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending', rounding: 'floor' } },
    });
    expect(rule.statusCode, rule.body).toBe(201);
    const active = await t.app.inject({ method: 'POST', url: `/api/v1/earning/rules/${rule.json().id}/activate`, headers: t.adminHeaders, payload: {} });
    expect(active.statusCode, active.body).toBe(200);

    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const signInThroughPage = (page: Page, email: string, landing: RegExp) => signInOnPage(page, base, email, landing);

  const invoice = (externalId: string, number: string, netAmount: number) => ({
    type: 'invoice.issued',
    source: 'erp-review',
    externalId,
    occurredAt: new Date().toISOString(),
    programId,
    partner: { nip: partner.nip },
    number,
    currency: 'PLN',
    lines: [{ sku: 'KAB-1', quantity: 1, netAmount }],
  });

  it('sets the volume guardrail, holds an invoice far above the history and approves it once (pl)', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'pl' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signInThroughPage(page, admin.email, /\/admin$/);

    // The earning section's tabs lead to the guardrails: the volume check is off.
    await page.goto(`${base}/admin/earning/rules`);
    await page.locator('main nav a', { hasText: 'Zabezpieczenia' }).click();
    await page.waitForURL(/\/admin\/earning\/settings/);
    expect(await page.locator('main h1').innerText()).toBe('Zabezpieczenia');
    expect(await page.locator('main [data-volume-state]').innerText()).toContain('Wyłączona');

    // A factor of 0,5 is refused by the API: its problem is shown on the field, in Polish; what was typed stays.
    const form = page.locator('main form[action="?/save"]');
    await form.locator('input[name="volumeFactor"]').fill('0,5');
    await form.locator('input[name="volumeMinInvoices"]').fill('1');
    await form.locator('button[type="submit"]').click();
    const factorError = form.locator('.field--invalid').filter({ has: page.locator('input[name="volumeFactor"]') });
    await expect.poll(() => factorError.count()).toBe(1);
    expect((await factorError.innerText()).length).toBeGreaterThan('Mnożnik wartości'.length);
    expect(await form.locator('input[name="volumeFactor"]').inputValue()).toBe('0,5');
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/earning/settings/${programId}`, headers: t.adminHeaders })).json().volumeFactor).toBeNull();

    // Three times the average, from one invoice of history.
    await form.locator('input[name="volumeFactor"]').fill('3');
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => page.locator('main').innerText()).toContain('Ustawienia zabezpieczeń zapisane.');
    expect(plain(await page.locator('main [data-volume-state]').innerText())).toContain('Włączona: faktura powyżej 3 × średniej partnera trafia do weryfikacji, gdy partner ma 1 fakturę w 12 miesiącach.');
    const settings = await t.app.inject({ method: 'GET', url: `/api/v1/earning/settings/${programId}`, headers: t.adminHeaders });
    expect(settings.json()).toMatchObject({ volumeFactor: 3, volumeMinInvoices: 1 });

    // A system sends an ordinary invoice (100 PLN), then one a hundred times bigger: held for review.
    const key = await t.apiKeyHeaders(['events:write']);
    const first = await t.app.inject({ method: 'POST', url: '/api/v1/earning/events', headers: key, payload: invoice('rv-1', 'FV/2026/501', 10_000) });
    expect(first.statusCode, first.body).toBe(201);
    const big = await t.app.inject({ method: 'POST', url: '/api/v1/earning/events', headers: key, payload: invoice('rv-2', 'FV/2026/502', 1_000_000) });
    expect(big.statusCode, big.body).toBe(202);
    expect(big.json().status).toBe('review');

    // The review queue: the reason in words, the partner, the amount and what approval posts.
    await page.locator('main nav a', { hasText: 'Kolejka weryfikacji' }).click();
    await page.waitForURL(/\/admin\/earning\/reviews/);
    expect(await page.locator('main h1').innerText()).toBe('Kolejka weryfikacji');
    expect(await page.locator('main').innerText()).toContain('1 zdarzenie czeka na decyzję.');
    const row = page.locator('main table tbody tr').filter({ hasText: 'FV/2026/502' });
    const rowText = plain(await row.innerText());
    expect(rowText).toContain(partner.legalName);
    expect(plain(await row.locator('[data-reason="volume"]').innerText())).toBe(
      'Wartość netto 10 000,00 zł przekracza 3 × średnią fakturę partnera handlowego, 100,00 zł (1 faktura w poprzednich 12 miesiącach).',
    );
    expect(plain(await row.locator('[data-posts]').innerText())).toBe('10 000 punktów');

    // Approve, submitted twice at once: posted once.
    await row.locator('summary', { hasText: 'Akceptuj' }).click();
    const approve = row.locator('form[action="?/approve"]');
    expect(plain(await approve.innerText())).toContain('Zostanie zaksięgowane dokładnie to, co widać (10 000 punktów), jeden raz.');
    await approve.evaluate((element) => {
      const submittable = element as unknown as { requestSubmit(): void };
      submittable.requestSubmit();
      submittable.requestSubmit();
    });
    await expect.poll(async () => plain(await page.locator('main').innerText()), { timeout: 10_000 }).toContain('Zdarzenie zaakceptowane; zaksięgowano: 10 000 punktów.');
    await expect.poll(() => page.locator('main').innerText()).toContain('Nie ma nic do weryfikacji');
    const reviews = await t.app.inject({ method: 'GET', url: `/api/v1/earning/reviews?programId=${programId}&status=approved`, headers: t.adminHeaders });
    expect(reviews.json().items).toHaveLength(1);

    // The decided review reads who approved it.
    await page.locator('main nav a', { hasText: 'Zaakceptowane' }).click();
    await page.waitForURL(/status=approved/);
    expect(await page.locator('main [data-decision="approved"]').innerText()).toContain(admin.email);

    // The points are pending on the partner's page: 100 + 10 000, once.
    await page.goto(`${base}/admin/partners/${partner.id}/points`);
    expect(plain(await page.locator('main [data-account="pending"] .balance__value').first().innerText())).toBe('10 100 punktów');
    await context.close();
  }, 120_000);

  it('imports the NBP table A through the exchange rates page and lists the rates (ru)', async () => {
    const table = JSON.parse(readFileSync(NBP_JSON, 'utf8')) as { rates: { code: string; mid: number }[] }[];
    const count = table[0]!.rates.length;
    const admin = await t.signInAs(['admin'], { locale: 'ru' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signInThroughPage(page, admin.email, /\/admin$/);

    await page.goto(`${base}/admin/earning/rules`);
    await page.locator('main nav a', { hasText: 'Курсы валют' }).click();
    await page.waitForURL(/\/admin\/earning\/fx-rates/);
    expect(await page.locator('main h1').innerText()).toBe('Курсы валют');
    expect(await page.locator('main').innerText()).toContain('Курсов валют пока нет');

    // Pasted content the API cannot read: its problem is shown on the field, in Russian.
    const form = page.locator('main form[action="?/import"]');
    await form.locator('textarea[name="content"]').fill('[{"table": "A"}]');
    await form.locator('button[type="submit"]').click();
    const contentError = form.locator('.field--invalid').filter({ has: page.locator('textarea[name="content"]') });
    await expect.poll(() => contentError.count()).toBe(1);
    expect(await contentError.innerText()).toMatch(/[а-яё]/i);

    // Content that is no rates file at all: the format cannot be told.
    await form.locator('textarea[name="content"]').fill('USD;4,7276');
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => form.innerText()).toContain('Формат не удаётся определить по содержимому: выберите его.');

    // The NBP file uploaded: imported, and listed.
    await form.locator('textarea[name="content"]').fill('');
    await form.locator('input[name="file"]').setInputFiles(NBP_JSON);
    await form.locator('button[type="submit"]').click();
    const done = page.locator('main [data-fx-import] [role="status"]');
    await expect.poll(async () => plain(await done.innerText().catch(() => ''))).toMatch(new RegExp(`Импортирован[оа]? ${count} курс[аов]* в PLN\\.`));
    expect(plain(await done.innerText())).toContain('Источник: NBP 170/A/NBP/2022');
    await page.reload();
    const rows = page.locator('main table tbody tr');
    await expect.poll(() => rows.count()).toBe(count);
    const usd = rows.filter({ has: page.locator('[data-currency="USD"]') });
    expect(plain(await usd.locator('[data-rate]').innerText())).toBe('1 USD = 4,7276 PLN');
    expect(plain(await usd.innerText())).toContain('NBP 170/A/NBP/2022');
    expect(plain(await usd.innerText())).toContain('2022');

    // The list narrows to one currency.
    await page.locator('main input[name="currency"]').fill('EUR');
    await page.locator('main form[method="GET"] button[type="submit"], main form.filters button[type="submit"]').first().click();
    await page.waitForURL(/currency=EUR/);
    await expect.poll(() => rows.count()).toBe(1);
    await context.close();
  }, 120_000);
});
