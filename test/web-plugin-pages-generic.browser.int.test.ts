import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { AppError, definePlugin, Type } from '@laurel/plugin-sdk';
import { recordingTemporalGateway, startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';
import { haveChromium, launchChromium, listen, plain, WEB_DIR, signInOnPage } from './browser.ts';

/**
 * The generic renderer of declarative plugin admin pages, with a small plugin of the test's own: a table read page by
 * page through its cursor and filtered, rows linking to a detail page with money, a status badge, a list and a JSON
 * block, and an action on the detail page (asked first, then done, with its message). A plugin's text that looks like
 * markup stays text.
 */

interface Item {
  id: string;
  name: string;
  status: 'open' | 'archived';
  amount: number;
  currency: string;
  history: { at: string; what: string }[];
  payload: Record<string, unknown>;
}

const items: Item[] = ['a', 'b', 'c'].map((n, i) => ({
  id: `0193e4a0-0000-7000-8000-00000000000${i + 1}`,
  name: i === 2 ? '<b>bold</b> item' : `Item ${n.toUpperCase()}`,
  status: 'open',
  amount: 1234 * (i + 1),
  currency: 'PLN',
  history: [{ at: '2026-11-01T10:00:00.000Z', what: `created ${n}` }],
  payload: { n, nested: { deep: true } },
}));

const strings = {
  nav: 'Demo items',
  title: 'Demo items',
  name: 'Name',
  status: { label: 'Status', open: 'Open', archived: 'Archived' },
  amount: 'Amount',
  empty: 'No items.',
  detail: 'Item {{name}}',
  history: 'History',
  at: 'When',
  what: 'What',
  payload: 'Payload',
  archive: { label: 'Archive', confirm: 'Archive {{name}}?', done: 'Archived {{name}}.' },
};

const demo = definePlugin({
  id: 'ui-demo',
  version: '0.1.0',
  compatibility: '^0.1.0',
  setup(ctx) {
    ctx.locales({ en: strings, pl: strings, ru: strings });
    const ItemSchema = Type.Object({ id: Type.String(), name: Type.String(), status: Type.String(), amount: Type.Integer(), currency: Type.String(), history: Type.Array(Type.Object({ at: Type.String(), what: Type.String() })), payload: Type.Record(Type.String(), Type.Unknown()) });
    ctx.routes((router) => {
      router.get(
        '/items',
        { config: { access: 'system:operate' }, schema: { querystring: Type.Object({ before: Type.Optional(Type.String()), status: Type.Optional(Type.String()) }), response: { 200: Type.Object({ items: Type.Array(ItemSchema), next: Type.Union([Type.String(), Type.Null()]) }) } } },
        async (request) => {
          const all = items.filter((i) => !request.query.status || i.status === request.query.status);
          const from = request.query.before ? all.findIndex((i) => i.id === request.query.before) + 1 : 0;
          const page = all.slice(from, from + 2);
          return { items: page, next: from + 2 < all.length ? page.at(-1)!.id : null };
        },
      );
      router.get('/items/:id', { config: { access: 'system:operate' }, schema: { params: Type.Object({ id: Type.String() }), response: { 200: ItemSchema } } }, async (request) => {
        const item = items.find((i) => i.id === request.params.id);
        if (!item) throw new AppError('NOT_FOUND', 404);
        return item;
      });
      router.post('/items/:id/archive', { config: { access: 'system:operate' }, schema: { params: Type.Object({ id: Type.String() }), response: { 200: ItemSchema } } }, async (request) => {
        const item = items.find((i) => i.id === request.params.id)!;
        item.status = 'archived';
        return item;
      });
    });
    const status = { key: 'status', label: 'status.label', format: 'status', statusLabels: 'status', tones: { open: 'info', archived: 'neutral' } } as const;
    ctx.ui.adminPage({
      id: 'items',
      nav: { label: 'nav', permission: 'system:operate', icon: 'list' },
      title: 'title',
      sections: [
        {
          kind: 'table',
          id: 'items',
          route: '/items',
          paging: { next: 'next', param: 'before' },
          filters: [{ name: 'status', label: 'status.label', input: 'select', options: ['open', 'archived'], optionLabels: 'status' }],
          empty: 'empty',
          columns: [{ key: 'name', label: 'name', link: 'detail' }, status, { key: 'amount', label: 'amount', format: 'money', currencyKey: 'currency', align: 'end' }],
        },
      ],
      detail: {
        route: '/items/:id',
        title: 'detail',
        parts: [
          { kind: 'fields', values: [status, { key: 'amount', label: 'amount', format: 'money', currencyKey: 'currency' }] },
          { kind: 'list', title: 'history', key: 'history', columns: [{ key: 'at', label: 'at', format: 'datetime' }, { key: 'what', label: 'what' }] },
          { kind: 'code', title: 'payload', key: 'payload', language: 'json' },
        ],
        actions: [{ id: 'archive', label: 'archive.label', route: '/items/:id/archive', confirm: 'archive.confirm', success: 'archive.done', when: { key: 'status', in: ['open'] } }],
      },
    });
  },
});

describe.skipIf(!haveChromium && !process.env.CI)('web app: the generic renderer of plugin admin pages', () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';

  beforeAll(async () => {
    expect(existsSync(`${WEB_DIR}/handler.js`), 'web/build is missing: run pnpm build').toBe(true);
    t = await startTestApp({ databaseUrl: await createTestDatabase(), temporal: recordingTemporalGateway(), plugins: [demo], env: { LAUREL_WEB_DIR: WEB_DIR } });
    base = await listen(t);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const signIn = (page: Page, email: string) => signInOnPage(page, base, email);

  it('pages through a table, filters it, opens a record with its parts and runs its action after asking', async () => {
    const admin = await t.signInAs(['admin'], { locale: 'en' });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, admin.email);
    await page.locator('.app-header nav a', { hasText: 'Demo items' }).click();
    await page.waitForURL(/\/admin\/plugins\/ui-demo\/items$/);
    const rows = page.locator('main table tbody tr');
    expect(await rows.count()).toBe(2);
    expect(plain(await rows.nth(0).innerText())).toContain('PLN 12.34');
    expect(await rows.nth(0).innerText()).toContain('Open');

    // The next page, through the cursor: the third item, whose markup-like name stays text.
    await page.locator('main a', { hasText: 'Next page' }).click();
    await page.waitForURL(/items\.before=/);
    expect(await rows.count()).toBe(1);
    expect(await rows.nth(0).innerText()).toContain('<b>bold</b> item');
    expect(await page.locator('main table b').count()).toBe(0);
    expect(await page.locator('main a', { hasText: 'Next page' }).count()).toBe(0);

    // Its detail: money, the status badge, the history list and the payload as JSON; then archive it, asked first.
    await rows.nth(0).locator('a').click();
    await page.waitForURL(/\/admin\/plugins\/ui-demo\/items\/0193e4a0-0000-7000-8000-000000000003$/);
    expect(await page.locator('main h1').innerText()).toBe('Item <b>bold</b> item');
    const detail = plain(await page.locator('main').innerText());
    expect(detail).toContain('PLN 37.02');
    expect(detail).toContain('created c');
    expect(await page.locator('main pre[data-language="json"]').innerText()).toContain('"deep": true');
    await page.locator('main summary', { hasText: 'Archive' }).click();
    expect(await page.locator('main').innerText()).toContain('Archive <b>bold</b> item?');
    await page.locator('main form button[type="submit"]', { hasText: 'Archive' }).click();
    await expect.poll(async () => page.locator('main').innerText(), { timeout: 15_000 }).toContain('Archived <b>bold</b> item.');
    // Archived now: the action no longer applies.
    await expect.poll(() => page.locator('main summary', { hasText: 'Archive' }).count()).toBe(0);

    // The filter: only the archived one.
    await page.goto(`${base}/admin/plugins/ui-demo/items`);
    await page.locator('main select[name="items.status"]').selectOption('archived');
    await page.locator('main form[method="GET"] button[type="submit"]').click();
    await page.waitForURL(/items\.status=archived/);
    expect(await rows.count()).toBe(1);
    expect(await rows.nth(0).innerText()).toContain('Archived');

    // An unknown record or page is the 404 page.
    expect((await page.goto(`${base}/admin/plugins/ui-demo/items/0193e4a0-0000-7000-8000-0000000000ff`))?.status()).toBe(404);
    expect((await page.goto(`${base}/admin/plugins/ui-demo/nothing`))?.status()).toBe(404);
    await context.close();
  });
});
