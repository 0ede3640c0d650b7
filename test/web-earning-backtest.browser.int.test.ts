import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser } from 'playwright-core';
import { startTestApp, TEST_PASSWORD, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, plain, validNip, WEB_DIR } from './browser.ts';

/**
 * A backtest in a real browser (Russian): the admin chooses a draft and a period, starts the backtest, follows its
 * progress on its page (running in the background) and reads the totals per segment and type; nothing is posted. A
 * draft's page links to a backtest of that draft.
 * Chromium driven by playwright-core against the real app.
 */
describe.skipIf(!haveChromium && !process.env.CI)('web app: backtest of draft rules', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let programId = '';
  let draftId = '';
  const partners: Record<string, string> = {};
  const api = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const res = await t.app.inject({ method, url, headers: t.adminHeaders, ...(payload ? { payload: payload as Record<string, unknown> } : {}) });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json();
  };

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env: { LAUREL_WEB_DIR: WEB_DIR } });
    base = await listen(t);
    programId = (await api('POST', '/api/v1/programs', { code: 'web-backtest', name: { en: 'Backtest', pl: 'Test', ru: 'Расчёт' }, currency: 'PLN', pointValueMinorPerThousand: 10_000, timeZone: 'Europe/Warsaw' })).id;
    await api('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'launch' });
    for (const [name, segment, n] of [['Альфа', 'retail', 1], ['Бета', 'wholesale', 2]] as const) {
      partners[name] = (await api('POST', '/api/v1/partners', { programId, legalName: name, nip: validNip(200_000_000 + n * 1_000_003), type: 'dealer', segments: [segment] })).id;
    }
    const v1 = (await api('POST', '/api/v1/earning/rules', { programId, code: 'base', name: 'Base', validFrom: '2025-01-01T00:00:00Z', eventTypes: ['invoice.issued'], condition: true, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' } })).id;
    await api('POST', `/api/v1/earning/rules/${v1}/activate`, {});
    let n = 0;
    for (const [name, minor, category] of [['Альфа', 10_000, 'cables'], ['Альфа', 20_000, 'tools'], ['Бета', 40_000, 'cables']] as const) {
      n += 1;
      await api('POST', '/api/v1/earning/events', { type: 'invoice.issued', source: 'erp-web', externalId: `bt-${n}`, occurredAt: `2025-05-0${n}T10:00:00Z`, programId, partner: { partnerId: partners[name] }, number: `FV/${n}`, currency: 'PLN', lines: [{ sku: 'S', quantity: 1, netAmount: minor, category }] });
    }
    draftId = (await api('POST', '/api/v1/earning/rules', {
      programId, code: 'base', name: 'Кабели ×3', validFrom: '2025-01-01T00:00:00Z', eventTypes: ['invoice.issued'], condition: true,
      effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending', multipliers: { strategic: [{ categories: ['cables'], multiplier: 3 }] } },
    })).id;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('starts a backtest of a draft, shows its progress and then the totals per segment (ru)', async () => {
    const before = (await api('GET', `/api/v1/ledger/partners/${partners['Бета']}/balances`)) as unknown;
    const admin = await t.signInAs(['admin'], { locale: 'ru' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${base}/sign-in`);
    await page.locator('main input[name="email"]').fill(admin.email);
    await page.locator('main input[name="password"]').fill(TEST_PASSWORD);
    await page.locator('main form button[type="submit"]').click();
    await page.waitForURL(/\/admin$/);
    await page.goto(`${base}/admin/earning/rules?program=${programId}`);
    await page.locator('main nav a', { hasText: 'Ретроспективные расчёты' }).click();
    await page.waitForURL(/\/admin\/earning\/backtests/);
    expect(await page.locator('main h1').innerText()).toBe('Ретроспективные расчёты');

    const form = page.locator('main form[aria-label="Запустить расчёт"]');
    await form.locator('input[name="from"]').fill('2025-05-01');
    await form.locator('input[name="to"]').fill('2025-05-31');
    // No draft chosen: said at the field.
    await form.locator('button[type="submit"]').click();
    await expect.poll(async () => plain(await form.innerText())).toContain('Выберите хотя бы один черновик правила.');
    await form.locator('label', { hasText: 'Кабели ×3 (base v2)' }).click();
    await form.locator('button[type="submit"]').click();
    await page.waitForURL(/\/admin\/earning\/backtests\/[0-9a-f-]{36}$/);
    expect(await page.locator('main [data-backtest-status]').getAttribute('data-backtest-status')).toBe('running');
    expect(plain(await page.locator('main [data-progress]').innerText())).toContain('0 из 3 событий (0%)');

    // The outbox runs it; the page reads its progress again by itself and shows the result.
    await t.outbox.drainUntilIdle();
    await expect.poll(() => page.locator('main [data-backtest-status]').getAttribute('data-backtest-status'), { timeout: 10_000 }).toBe('done');
    expect(plain(await page.locator('main [data-progress]').innerText())).toContain('3 из 3 событий (100%)');
    // live: 100 + 200 + 400 = 700; draft: 300 + 200 + 1200 = 1700; a point is worth 0.10 PLN
    const total = page.locator('main [data-result-total]');
    expect(plain(await total.locator('[data-total="live"]').innerText())).toContain('700');
    expect(plain(await total.locator('[data-total="draft"]').innerText())).toContain('1 700');
    expect(plain(await total.locator('[data-total="difference"]').innerText())).toMatch(/\+1 000[\s\S]*100,00/);
    const segments = page.locator('main [data-result="segments"] table tbody tr');
    expect(plain(await segments.filter({ hasText: 'retail' }).innerText())).toMatch(/300[\s\S]*500[\s\S]*\+200/);
    expect(plain(await segments.filter({ hasText: 'wholesale' }).innerText())).toMatch(/400[\s\S]*1 200[\s\S]*\+800[\s\S]*× 3/);
    expect(plain(await page.locator('main [data-result="types"] table tbody tr').innerText())).toMatch(/Дилер[\s\S]*2 партнёра/);
    expect(await api('GET', `/api/v1/ledger/partners/${partners['Бета']}/balances`)).toEqual(before);

    // The draft's own page leads to a backtest of it, the draft already chosen.
    await page.goto(`${base}/admin/earning/rules/${draftId}`);
    await page.locator('main a[data-backtest-draft]').click();
    await page.waitForURL(/\/admin\/earning\/backtests\?program=/);
    expect(await page.locator(`main input[name="ruleIds"][value="${draftId}"]`).isChecked()).toBe(true);
    expect(await page.locator('main table tbody tr').count()).toBe(1);
    await context.close();
  }, 120_000);

  it('without JavaScript a backtest starts from the form and its page refreshes itself until it is done (ru)', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'ru' });
    const context = await browser.newContext({ locale: 'en-US', javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${base}/sign-in`);
    await page.locator('main input[name="email"]').fill(admin.email);
    await page.locator('main input[name="password"]').fill(TEST_PASSWORD);
    await page.locator('main form button[type="submit"]').click();
    await page.waitForURL(/\/admin$/);
    await page.goto(`${base}/admin/earning/backtests?program=${programId}&rule=${draftId}`);
    const form = page.locator('main form[aria-label="Запустить расчёт"]');
    await form.locator('input[name="from"]').fill('2025-05-02');
    await form.locator('input[name="to"]').fill('2025-05-03');
    await form.locator('button[type="submit"]').click();
    await page.waitForURL(/\/admin\/earning\/backtests\/[0-9a-f-]{36}$/);
    expect(plain(await page.locator('main [data-progress]').innerText())).toContain('0 из 2 событий (0%)');
    await t.outbox.drainUntilIdle();
    await expect.poll(() => page.locator('main [data-backtest-status]').getAttribute('data-backtest-status'), { timeout: 10_000 }).toBe('done');
    // Альфа's tools invoice (200) and Бета's cables (400 → 1,200)
    expect(plain(await page.locator('main [data-result-total] [data-total="draft"]').innerText())).toContain('1 400');
    await context.close();
  }, 120_000);
});
