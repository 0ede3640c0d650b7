import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser } from 'playwright-core';
import { Type, definePlugin, earningRuleExtensionsRef } from '@laurel/plugin-sdk';
import { startTestApp, TEST_PASSWORD, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, plain, WEB_DIR } from './browser.ts';

/**
 * A plugin's effect type in the rule editor (Polish): offered beside points per currency unit with its label, its
 * params typed as JSON — params its schema refuses are named on the params field, what was typed is kept — and a rule
 * using it and the plugin's condition operator is saved, then earns what the plugin computes with its explanation.
 */
const seats = definePlugin({
  id: 'seats',
  version: '1.0.0',
  compatibility: '^0.1.0',
  dependsOn: ['earning'],
  setup(ctx) {
    const rules = ctx.inject(earningRuleExtensionsRef)();
    rules.registerOperator({ name: 'seats.sku_prefix', args: Type.Tuple([Type.String(), Type.String({ minLength: 1 })]), apply: (sku, prefix) => (sku as string).startsWith(prefix as string) });
    rules.registerEffect({
      id: 'seats.per-seat',
      label: { en: 'Points per seat', pl: 'Punkty za stanowisko', ru: 'Баллы за место' },
      params: Type.Object({ pointsPerSeat: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
      compute: ({ line, params }) => ({ points: line.quantity * params.pointsPerSeat, explanation: `${line.quantity} × ${params.pointsPerSeat} = ${line.quantity * params.pointsPerSeat}` }),
    });
  },
});

describe.skipIf(!haveChromium && !process.env.CI)('web app: a plugin effect type in the rule editor', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  let programId = '';

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), plugins: [seats], env: { LAUREL_WEB_DIR: WEB_DIR } });
    base = await listen(t);
    const program = await t.app.inject({ method: 'POST', url: '/api/v1/programs', headers: t.adminHeaders, payload: { code: 'web-seats', name: { en: 'Seats', pl: 'Stanowiska', ru: 'Места' }, currency: 'PLN', pointValueMinorPerThousand: 1000 } });
    expect(program.statusCode, program.body).toBe(201);
    programId = program.json().id;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('offers the effect with its label, names bad params on their field and saves a rule the plugin computes', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'pl' });
    const page = await (await browser.newContext({ locale: 'pl-PL' })).newPage();
    await page.goto(`${base}/sign-in`);
    await page.locator('main input[name="email"]').fill(admin.email);
    await page.locator('main input[name="password"]').fill(TEST_PASSWORD);
    await page.locator('main form button[type="submit"]').click();
    await page.waitForURL(/\/admin$/);
    await page.goto(`${base}/admin/earning/rules/new?program=${programId}`);

    const form = page.locator('main form[aria-label="Nowa zasada naliczania"]');
    const effectType = form.locator('select[name="effect.type"]');
    expect(await effectType.locator('option').allInnerTexts()).toEqual(['Punkty za jednostkę waluty (wbudowany)', 'Punkty za stanowisko (seats.per-seat)']);
    expect(await form.locator('textarea[name="effect.params"]').count()).toBe(0);
    await form.locator('input[name="code"]').fill('szkolenia');
    await form.locator('input[name="name"]').fill('Szkolenia: 40 za stanowisko');
    await form.locator('input[name="validFrom"]').fill('2025-01-01');
    await form.locator('textarea[name="condition"]').fill('{"seats.sku_prefix": [{"var": "line.sku"}, "TR-"]}');
    await effectType.selectOption('seats.per-seat');
    // The params field replaces points per currency unit once the plugin's effect is chosen.
    await expect.poll(() => form.locator('input[name="effect.pointsPerUnit"]').count()).toBe(0);
    await form.locator('textarea[name="effect.params"]').fill('{"pointsPerSeat": 2.5}');
    await form.locator('button[type="submit"]:not([formaction])').click();
    const paramsError = form.locator('.field--invalid').filter({ has: page.locator('textarea[name="effect.params"]') });
    await expect.poll(() => paramsError.innerText()).toContain('Parametry efektu seats.per-seat są nieprawidłowe');
    expect(await form.locator('textarea[name="effect.params"]').inputValue()).toBe('{"pointsPerSeat": 2.5}');
    expect(await effectType.inputValue()).toBe('seats.per-seat');

    await form.locator('textarea[name="effect.params"]').fill('{"pointsPerSeat": 40}');
    await form.locator('button[type="submit"]:not([formaction])').click();
    await page.waitForURL(/\/admin\/earning\/rules\/[0-9a-f-]{36}\?created/);
    expect(plain(await page.locator('main dl').first().innerText())).toContain('seats.per-seat');
    const id = page.url().match(/rules\/([0-9a-f-]{36})/)![1]!;
    const rule = await t.app.inject({ method: 'GET', url: `/api/v1/earning/rules/${id}`, headers: t.adminHeaders });
    expect(rule.json()).toMatchObject({ code: 'szkolenia', condition: { 'seats.sku_prefix': [{ var: 'line.sku' }, 'TR-'] }, effect: { type: 'seats.per-seat', params: { pointsPerSeat: 40 }, target: 'pending' } });

    expect((await t.app.inject({ method: 'POST', url: `/api/v1/earning/rules/${id}/activate`, headers: t.adminHeaders, payload: {} })).statusCode).toBe(200);
    const simulated = await t.app.inject({
      method: 'POST',
      url: '/api/v1/earning/simulate',
      headers: t.adminHeaders,
      payload: { type: 'invoice.issued', source: 'erp', externalId: 'W-1', occurredAt: '2025-05-05T10:00:00Z', programId, partner: { nip: '5260250995' }, number: 'FV/W/1', currency: 'PLN', lines: [{ sku: 'TR-EXCEL', quantity: 3, netAmount: 90000 }, { sku: 'HW-1', quantity: 2, netAmount: 1000 }] },
    });
    expect(simulated.statusCode, simulated.body).toBe(200);
    expect(simulated.json()).toMatchObject({ points: 120, lines: [{ fired: [{ effect: 'seats.per-seat', computation: '3 × 40 = 120' }] }, { fired: [] }] });
  });
});
