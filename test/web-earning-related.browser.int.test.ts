import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser } from 'playwright-core';
import { startTestApp, TEST_PASSWORD, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, plain, WEB_DIR } from './browser.ts';

/**
 * Related companies in a real browser (Polish): from the partner's page an admin opens its related companies, a NIP
 * with a wrong check digit is named on its field with what was typed kept, a good one is added; an invoice the partner
 * issues to that company waits in the review queue, which says why in words; removing the company is audited.
 */
describe.skipIf(!haveChromium && !process.env.CI)('web app: related companies and their guardrail', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let programId = '';
  let partnerId = '';

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env: { LAUREL_WEB_DIR: WEB_DIR } });
    base = await listen(t);
    const inject = (url: string, payload: object) => t.app.inject({ method: 'POST', url, headers: t.adminHeaders, payload });
    programId = (await inject('/api/v1/programs', { code: 'web-related', name: { en: 'R', pl: 'Powiązane', ru: 'R' }, currency: 'PLN', pointValueMinorPerThousand: 1000 })).json().id;
    await inject(`/api/v1/programs/${programId}/status`, { status: 'live', reason: 'launch' });
    partnerId = (await inject('/api/v1/partners', { programId, legalName: 'Orange Polska S.A.', nip: '5260250995', type: 'dealer', country: 'PL' })).json().id;
    const rule = await inject('/api/v1/earning/rules', { programId, code: 'base', name: 'Base', validFrom: '2024-01-01T00:00:00Z', eventTypes: ['invoice.issued'], condition: true, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' } });
    await inject(`/api/v1/earning/rules/${rule.json().id}/activate`, {});
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('declares a related company, and an invoice to it waits for review saying why', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'pl' });
    const page = await (await browser.newContext({ locale: 'pl-PL' })).newPage();
    await page.goto(`${base}/sign-in`);
    await page.locator('main input[name="email"]').fill(admin.email);
    await page.locator('main input[name="password"]').fill(TEST_PASSWORD);
    await page.locator('main form button[type="submit"]').click();
    await page.waitForURL(/\/admin$/);
    await page.goto(`${base}/admin/partners/${partnerId}`);
    await page.locator('main a', { hasText: 'Firmy powiązane' }).click();
    await page.waitForURL(/\/admin\/earning\/related-companies\//);
    expect(await page.locator('main h1').innerText()).toBe('Firmy powiązane');
    expect(await page.locator('[data-related-declared]').innerText()).toContain('Nie zadeklarowano firm powiązanych.');

    const form = page.locator('main form[aria-label="Dodaj firmę powiązaną"]');
    await form.locator('input[name="identifier"]').fill('692-000-00-14');
    await form.locator('input[name="name"]').fill('KGHM Polska Miedź S.A.');
    await form.locator('button[type="submit"]').click();
    const identifierError = form.locator('.field--invalid').filter({ has: page.locator('input[name="identifier"]') });
    await expect.poll(() => identifierError.innerText()).toContain('nie jest prawidłowym numerem nip');
    expect(await form.locator('input[name="name"]').inputValue()).toBe('KGHM Polska Miedź S.A.');
    await form.locator('input[name="identifier"]').fill('692-000-00-13');
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => page.locator('[data-related-company="6920000013"]').count()).toBe(1);
    expect(plain(await page.locator('[data-related-company="6920000013"]').innerText())).toContain('KGHM Polska Miedź S.A.');

    const key = await t.apiKeyHeaders(['events:write']);
    const sent = await t.app.inject({
      method: 'POST',
      url: '/api/v1/earning/events',
      headers: key,
      payload: { type: 'invoice.issued', source: 'erp', externalId: 'REL-1', occurredAt: new Date().toISOString(), programId, partner: { nip: '5260250995' }, number: 'FV/REL/1', currency: 'PLN', buyer: { nip: '6920000013', name: 'KGHM' }, lines: [{ sku: 'A', quantity: 1, netAmount: 50_000 }] },
    });
    expect(sent.json()).toMatchObject({ status: 'review' });
    await page.goto(`${base}/admin/earning/reviews`);
    expect(plain(await page.locator('main [data-reason="related-company"]').innerText())).toBe(
      'Sprzedaż do firmy powiązanej: nabywca KGHM (nip 6920000013) to KGHM Polska Miedź S.A., zadeklarowana jako powiązana z partnerem.',
    );

    await page.goto(`${base}/admin/earning/related-companies/${partnerId}`);
    await page.locator('[data-related-company="6920000013"] button', { hasText: 'Usuń' }).click();
    await expect.poll(() => page.locator('[data-related-company]').count()).toBe(0);
    const audit = await t.app.inject({ method: 'GET', url: '/api/v1/audit/records?action=earning.related-company.', headers: t.adminHeaders });
    expect(audit.json().items.map((r: { action: string }) => r.action).sort()).toEqual(['earning.related-company.added', 'earning.related-company.removed']);
  });
});
