import { describe, expect, it } from 'vitest';
import { routeParams, validateAdminPage, type AdminPage } from './ui.ts';

const strings = {
  ui: { nav: 'Kudos', title: 'Kudos', number: 'Number', status: { active: 'Active', revoked: 'Revoked' }, revoke: 'Revoke', sure: 'Sure?', detail: 'Kudos {{id}}', send: 'Send', sent: 'Sent', message: 'Message' },
};
const locales = { en: strings, pl: strings, ru: strings };

function page(overrides: Partial<AdminPage> = {}): AdminPage {
  return {
    id: 'kudos',
    nav: { label: 'ui.nav', permission: 'kudos:read' as never, icon: 'users' },
    title: 'ui.title',
    sections: [
      {
        kind: 'table',
        id: 'list',
        route: '/kudos',
        columns: [
          { key: 'number', label: 'ui.number', link: 'detail' },
          { key: 'status', label: 'ui.number', format: 'status', statusLabels: 'ui.status', tones: { active: 'success', revoked: 'neutral' } },
        ],
        actions: [{ id: 'revoke', label: 'ui.revoke', route: '/kudos/:id/revoke', confirm: 'ui.sure' }],
      },
      { kind: 'form', id: 'send', route: '/kudos', submit: 'ui.send', success: 'ui.sent', fields: [{ name: 'message', label: 'ui.message', input: 'textarea' }] },
    ],
    detail: { route: '/kudos/:id', title: 'ui.detail', parts: [{ kind: 'fields', values: [{ key: 'number', label: 'ui.number' }] }] },
    ...overrides,
  };
}

describe('admin page validation', () => {
  it('accepts a well-formed page whose keys exist in every locale', () => {
    expect(validateAdminPage(page(), locales)).toEqual([]);
  });

  it('refuses routes that leave the plugin: absolute URLs, .., query strings, other prefixes', () => {
    for (const route of ['https://evil.example/x', '/../earning/events', '/kudos?x=1', 'kudos', '//evil.example', '/kudos/./x', '']) {
      const problems = validateAdminPage(page({ sections: [{ kind: 'table', id: 'list', route, columns: [{ key: 'number', label: 'ui.number' }] }] }));
      expect(problems.join('\n'), route).toMatch(/sections\[0\]\.route must be a route of the plugin/);
    }
  });

  it('asks a list route for no path parameters and a detail route for exactly one', () => {
    const problems = validateAdminPage(page({ sections: [{ kind: 'table', id: 'list', route: '/kudos/:id', columns: [{ key: 'number', label: 'ui.number' }] }], detail: { route: '/kudos', title: 'ui.detail', parts: [{ kind: 'fields', values: [{ key: 'number', label: 'ui.number' }] }] } }));
    expect(problems).toContain('page "kudos": sections[0].route (/kudos/:id) may not have path parameters');
    expect(problems).toContain('page "kudos": detail.route (/kudos) must have exactly one path parameter');
  });

  it('requires a nav permission, a kebab-case id and known kinds, formats and icons', () => {
    const bad = { ...page(), id: 'Kudos Page', nav: { label: 'ui.nav', icon: 'rocket' }, sections: [{ kind: 'html', id: 'x' }] } as unknown as AdminPage;
    const problems = validateAdminPage(bad).join('\n');
    expect(problems).toMatch(/id must be kebab-case/);
    expect(problems).toMatch(/nav\.permission is required/);
    expect(problems).toMatch(/nav\.icon must be one of/);
    expect(problems).toMatch(/sections\[0\]\.kind must be table, form or upload, got "html"/);
  });

  it('names i18n keys missing from a locale', () => {
    const ru = { ui: { ...strings.ui, revoke: undefined } };
    expect(validateAdminPage(page(), { en: strings, pl: strings, ru })).toEqual(['page "kudos": the ru strings lack ui.revoke']);
  });

  it('asks money for its currency field, a status for its labels, and a detail page for a detail link', () => {
    const problems = validateAdminPage(
      page({
        detail: undefined,
        sections: [{ kind: 'table', id: 'list', route: '/kudos', columns: [{ key: 'amount', label: 'ui.number', format: 'money', link: 'detail' }, { key: 'status', label: 'ui.number', format: 'status' }] }],
      }),
    ).join('\n');
    expect(problems).toMatch(/columns\[0\]\.currencyKey/);
    expect(problems).toMatch(/columns\[0\] links to the detail page, but the page has no detail/);
    expect(problems).toMatch(/columns\[1\]\.statusLabels/);
  });

  it('requires a confirmation for every action and unique section ids', () => {
    const problems = validateAdminPage(
      page({
        sections: [
          { kind: 'table', id: 'list', route: '/kudos', columns: [{ key: 'number', label: 'ui.number' }], actions: [{ id: 'revoke', label: 'ui.revoke', route: '/kudos/:id/revoke' } as never] },
          { kind: 'form', id: 'list', route: '/kudos', submit: 'ui.send', success: 'ui.sent' },
        ],
      }),
    ).join('\n');
    expect(problems).toMatch(/actions\[0\]\.confirm must be an i18n key/);
    expect(problems).toMatch(/sections\[1\]\.id must be kebab-case and unique/);
  });

  it('takes a fixed action body of plain values only', () => {
    const withBody = (body: unknown) =>
      validateAdminPage(page({ sections: [{ kind: 'table', id: 'list', route: '/kudos', columns: [{ key: 'number', label: 'ui.number' }], actions: [{ id: 'revoke', label: 'ui.revoke', route: '/kudos/:id/revoke', confirm: 'ui.sure', body: body as never }] }] }), locales);
    expect(withBody({ decision: 'approve', notify: true, reason: null })).toEqual([]);
    expect(withBody({ nested: { no: 1 } })).toEqual(['page "kudos": sections[0].actions[0].body must be an object of plain values']);
  });

  it('reads path parameters of a route', () => {
    expect(routeParams('/documents/:id/raw')).toEqual(['id']);
    expect(routeParams('/documents')).toEqual([]);
  });
});
