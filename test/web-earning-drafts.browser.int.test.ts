import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, plain, validNip, WEB_DIR, signInOnPage } from './browser.ts';

/**
 * Draft rules in a real browser (Polish): the rule editor simulates the rule as it is typed against an event picked
 * from the program's recent events — live with JavaScript, with the button without it — showing the points line by
 * line and the version it replaces, and nothing is posted. Chromium driven by playwright-core against the real app.
 */
describe.skipIf(!haveChromium && !process.env.CI)('web app: live simulation of a draft rule', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let programId = '';
  let baseRuleId = '';
  let partnerId = '';
  const nip = validNip(100_000_000 + Math.floor(Math.random() * 800_000_000));
  const api = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const res = await t.app.inject({ method, url, headers: t.adminHeaders, ...(payload ? { payload: payload as Record<string, unknown> } : {}) });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json();
  };

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env: { LAUREL_WEB_DIR: WEB_DIR } });
    base = await listen(t);
    programId = (await api('POST', '/api/v1/programs', { code: 'web-drafts', name: { en: 'Drafts', pl: 'Szkice', ru: 'Черновики' }, currency: 'PLN', pointValueMinorPerThousand: 1000, timeZone: 'Europe/Warsaw' })).id;
    await api('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'launch' });
    partnerId = (await api('POST', '/api/v1/partners', { programId, legalName: 'Szkicowa Hurtownia Sp. z o.o.', nip, type: 'wholesaler' })).id;
    baseRuleId = (await api('POST', '/api/v1/earning/rules', { programId, code: 'podstawa', name: 'Podstawa', validFrom: '2025-01-01T00:00:00Z', eventTypes: ['invoice.issued'], condition: true, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' } })).id;
    await api('POST', `/api/v1/earning/rules/${baseRuleId}/activate`, {});
    const sent = await api('POST', '/api/v1/earning/events', {
      type: 'invoice.issued', source: 'erp-web', externalId: 'draft-sample-1', occurredAt: '2026-03-02T10:00:00Z', programId, partner: { nip }, number: 'FV/2026/03/7', currency: 'PLN',
      lines: [{ sku: 'KAB-1', quantity: 1, netAmount: 12_345, category: 'cable' }, { sku: 'NAR-1', quantity: 1, netAmount: 10_000, category: 'tools' }],
    });
    expect(sent.points).toBe(223);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const signIn = (page: Page, email: string) => signInOnPage(page, base, email);
  const balance = async () => (await api('GET', `/api/v1/ledger/partners/${partnerId}/balances`)) as { pending: number; available: number };

  it('simulates the new version as it is typed against a recent event, live, posting nothing (pl)', async () => {
    const before = await balance();
    const admin = await t.signInAs(['admin'], { locale: 'pl' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signIn(page, admin.email);
    await page.goto(`${base}/admin/earning/rules/new?from=${baseRuleId}`);
    const form = page.locator('main form[aria-label="Nowa zasada naliczania"]');
    const panel = form.locator('[data-draft-simulation]');
    expect(await panel.locator('legend').innerText()).toBe('Symulacja tej zasady na żywo');

    // The new version: 2 points per złoty on cables only. Picking the recent invoice runs the simulation at once.
    await form.locator('textarea[name="condition"]').fill('{"==": [{"var": "line.category"}, "cable"]}');
    await form.locator('input[name="effect.pointsPerUnit"]').fill('2');
    await panel.locator('select[name="sample"]').selectOption({ label: `FV/2026/03/7 · ${nip} · 2026-03-02` });
    const result = panel.locator('[data-draft-result]');
    await expect.poll(() => result.count(), { timeout: 10_000 }).toBe(1);
    // floor(123.45 × 2) = 246 on the cable line; the tools line: the condition does not hold, v1 is replaced.
    await expect.poll(async () => plain(await result.locator('[data-total="points"]').innerText())).toContain('246 punktów');
    expect(plain(await result.innerText())).toContain('W mocy: aktywne zasady oraz podstawa v2; zastąpione: podstawa v1.');
    const rows = result.locator('table tbody tr');
    expect(plain(await rows.nth(0).innerText())).toContain('floor(123.45 PLN × 2) = 246');
    expect(plain(await rows.nth(1).innerText())).toContain('jej warunek nie jest spełniony dla tej pozycji');

    // Typing another rate runs it again, still without saving anything.
    await form.locator('input[name="effect.pointsPerUnit"]').fill('3');
    await expect.poll(async () => plain(await result.locator('[data-total="points"]').innerText()), { timeout: 10_000 }).toContain('370 punktów');
    // A condition JsonLogic does not know: the simulation says why it cannot run.
    await form.locator('textarea[name="condition"]').fill('{"zawiera": [1, 2]}');
    await expect.poll(async () => plain(await panel.innerText()), { timeout: 10_000 }).toContain('zawiera');

    const rules = await api('GET', `/api/v1/earning/rules?programId=${programId}&code=podstawa`);
    expect(rules.items).toHaveLength(1);
    expect(await balance()).toEqual(before);
    await context.close();
  }, 120_000);

  it('without JavaScript the button simulates a typed event (pl)', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'pl' });
    const context = await browser.newContext({ locale: 'en-US', javaScriptEnabled: false });
    const page = await context.newPage();
    await signIn(page, admin.email);
    await page.goto(`${base}/admin/earning/rules/new?program=${programId}`);
    const form = page.locator('main form[aria-label="Nowa zasada naliczania"]');
    await form.locator('input[name="code"]').fill('bonus');
    await form.locator('input[name="name"]').fill('Bonus');
    await form.locator('input[name="validFrom"]').fill('2026-01-01');
    await form.locator('input[name="effect.pointsPerUnit"]').fill('0,5');
    await form.locator('textarea[name="condition"]').fill('true');
    const event = { programId, partner: { nip }, occurredAt: '2026-03-05T10:00:00Z', number: 'FV/X/1', currency: 'PLN', lines: [{ sku: 'A', quantity: 1, netAmount: 10_000 }] };
    await form.locator('textarea[name="sampleJson"]').fill(JSON.stringify(event));
    await form.locator('button[data-simulate-draft]').click();
    await page.waitForLoadState('load');
    const result = page.locator('main [data-draft-result]');
    // base v1: 100; bonus v1 (new): floor(100 × 0.5) = 50
    expect(plain(await result.locator('[data-total="points"]').innerText())).toContain('150 punktów');
    expect(plain(await result.innerText())).toContain('zastąpione: nic');
    expect(await page.locator('main input[name="code"]').inputValue()).toBe('bonus');
    await context.close();
  }, 120_000);
});
