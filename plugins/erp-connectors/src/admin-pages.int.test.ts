import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, Type } from '@laurel/plugin-sdk';
import { startLaurel, type LaurelTestApp } from '@laurel/testing';
import erpConnectors from './index.ts';

/*
 * The plugin's admin page as the admin panel receives it (GET /api/v1/system/admin-pages): listed with its strings in
 * the asked language when the plugin is enabled, trimmed to what the person may do, absent for those without the
 * permission, and gone — page, nav entry and routes — when the plugin is disabled. A page naming a route its plugin
 * does not have stops start-up.
 */

interface Manifest {
  pages: { pluginId: string; id: string; nav: { label: string; permission: string }; sections: { id: string; kind: string }[]; detail?: { route: string } }[];
  strings: Record<string, { ui?: { documents?: { nav?: string } } }>;
}

describe('ERP documents admin page, plugin enabled', () => {
  let t: LaurelTestApp;
  beforeAll(async () => {
    t = await startLaurel({ plugins: [erpConnectors] });
  }, 180_000);
  afterAll(async () => t?.close());

  it('is listed for an admin with its nav entry, sections, detail and strings, in the asked language', async () => {
    const en = await t.get<Manifest>('/api/v1/system/admin-pages', { query: { locale: 'en' } });
    expect(en.status).toBe(200);
    const page = en.body.pages.find((p) => p.pluginId === 'erp-connectors' && p.id === 'documents');
    expect(page?.nav).toMatchObject({ label: 'ui.documents.nav', permission: 'erp:read' });
    expect(page?.sections.map((s) => `${s.kind}:${s.id}`)).toEqual(['upload:upload', 'table:documents']);
    expect(page?.detail?.route).toBe('/documents/:id');
    expect(en.body.strings['erp-connectors']?.ui?.documents?.nav).toBe('ERP documents');
    const pl = await t.get<Manifest>('/api/v1/system/admin-pages', { query: { locale: 'pl' } });
    expect(pl.body.strings['erp-connectors']?.ui?.documents?.nav).toBe('Dokumenty ERP');
    const ru = await t.get<Manifest>('/api/v1/system/admin-pages', { query: { locale: 'ru' } });
    expect(ru.body.strings['erp-connectors']?.ui?.documents?.nav).toBe('Документы ERP');
  });

  it('shows support (erp:read, not erp:write) the list without the upload, and nothing to those without erp:read', async () => {
    const support = await t.signInAs(['support']);
    const forSupport = await t.get<Manifest>('/api/v1/system/admin-pages', { as: support });
    expect(forSupport.body.pages.find((p) => p.pluginId === 'erp-connectors')?.sections.map((s) => s.id)).toEqual(['documents']);
    const marketing = await t.signInAs(['marketing']);
    const forMarketing = await t.get<Manifest>('/api/v1/system/admin-pages', { as: marketing });
    expect(forMarketing.body.pages.filter((p) => p.pluginId === 'erp-connectors')).toEqual([]);
    expect(forMarketing.body.strings['erp-connectors']).toBeUndefined();
    const program = await t.createProgram();
    const partner = await t.createPartner(program.id, { nip: '1111111111' });
    const partnerUser = await t.signInAsPartner(partner.id);
    expect((await t.get<Manifest>('/api/v1/system/admin-pages', { as: partnerUser })).body.pages).toEqual([]);
    expect((await t.get('/api/v1/system/admin-pages', { as: 'anonymous' })).status).toBe(401);
  });
});

describe('ERP documents admin page, plugin disabled', () => {
  let t: LaurelTestApp;
  beforeAll(async () => {
    t = await startLaurel({ plugins: [erpConnectors], pluginConfig: { 'erp-connectors': { enabled: false } } });
  }, 180_000);
  afterAll(async () => t?.close());

  it('exposes no page, no strings and no routes', async () => {
    const manifest = await t.get<Manifest>('/api/v1/system/admin-pages');
    expect(manifest.status).toBe(200);
    expect(manifest.body.pages.filter((p) => p.pluginId === 'erp-connectors')).toEqual([]);
    expect(manifest.body.strings['erp-connectors']).toBeUndefined();
    expect((await t.get('/api/v1/erp-connectors/documents')).status).toBe(404);
  });
});

describe('an admin page naming a route of no plugin', () => {
  it('stops start-up, naming the plugin, the page and the route', async () => {
    const strings = { nav: 'Broken', title: 'Broken', when: 'When' };
    const broken = definePlugin({
      id: 'broken-ui',
      version: '0.1.0',
      compatibility: '^0.1.0',
      setup(ctx) {
        ctx.locales({ en: strings, pl: strings, ru: strings });
        ctx.routes((router) => {
          router.get('/things', { config: { access: 'signed-in' }, schema: { response: { 200: Type.Object({ items: Type.Array(Type.Object({ when: Type.String() })) }) } } }, async () => ({ items: [] }));
        });
        ctx.ui.adminPage({
          id: 'things',
          nav: { label: 'nav', permission: 'system:operate' },
          title: 'title',
          sections: [{ kind: 'table', id: 'things', route: '/earning-events', columns: [{ key: 'when', label: 'when' }] }],
        });
      },
    });
    await expect(startLaurel({ plugins: [broken] })).rejects.toThrow('Plugin "broken-ui": admin page "things" section things names GET /earning-events, which is not a route of the plugin');
  }, 180_000);

  it('stops start-up when a form derived from a route lacks the labels of its fields', async () => {
    const strings = { nav: 'Notes', title: 'Notes', submit: 'Send', done: 'Sent', fields: { text: 'Text' } };
    const missing = definePlugin({
      id: 'derived-ui',
      version: '0.1.0',
      compatibility: '^0.1.0',
      setup(ctx) {
        ctx.locales({ en: strings, pl: strings, ru: strings });
        ctx.routes((router) => {
          router.post('/notes', { config: { access: 'system:operate' }, schema: { body: Type.Object({ text: Type.String({ maxLength: 100 }), kind: Type.Union([Type.Literal('a'), Type.Literal('b')]) }) } }, async () => ({}));
        });
        ctx.ui.adminPage({ id: 'notes', nav: { label: 'nav', permission: 'system:operate' }, title: 'title', sections: [{ kind: 'form', id: 'note', route: '/notes', submit: 'submit', success: 'done' }] });
      },
    });
    await expect(startLaurel({ plugins: [missing] })).rejects.toThrow('Plugin "derived-ui": admin page "notes": the en strings lack fields.kind, fields.kindOptions.a, fields.kindOptions.b');
  }, 180_000);
});
