import type { Permission } from './context.ts';

/**
 * Declarative admin pages. The web app is built ahead of time, so a plugin cannot ship Svelte components; instead it
 * describes a page as data — a nav entry and sections (a table, a form, an upload; a detail view for one record) bound
 * to its own routes under `/api/v1/<plugin id>` — and the admin panel renders it generically. Text is always an i18n
 * key of the plugin's namespace (`ctx.locales`), rendered as text: a plugin never sends HTML.
 *
 * ```ts
 * ctx.ui.adminPage({
 *   id: 'documents',
 *   nav: { label: 'ui.nav', icon: 'file', permission: 'erp:read' },
 *   title: 'ui.title',
 *   sections: [{ kind: 'table', route: '/documents', columns: [{ key: 'number', label: 'ui.number', link: 'detail' }] }],
 *   detail: { route: '/documents/:id', title: 'ui.detailTitle', sections: [{ kind: 'fields', fields: [...] }] },
 * });
 * ```
 */

/** Icons the admin panel has for nav entries and buttons. */
export const ADMIN_ICONS = ['file', 'upload', 'download', 'list', 'database', 'workflow', 'shield', 'users', 'user', 'key', 'mail', 'send', 'clock', 'history', 'building', 'globe', 'pulse', 'search', 'plus', 'lock'] as const;
export type AdminIcon = (typeof ADMIN_ICONS)[number];

/**
 * How a value is shown:
 * - `text` (default), `number`, `points` (an integer, grouped), `percent` (0–100);
 * - `date`, `datetime` (ISO 8601 strings, shown in the person's time zone and language);
 * - `money`: integer minor units, with the currency taken from `currencyKey` (e.g. `currency`);
 * - `status`: a badge; its text is the key `<statusLabels>.<value>` of the plugin's namespace, its tone from `tones`;
 * - `code`: monospace (identifiers); `json`: the value as indented JSON in a code block; `count`: an array's length.
 */
export type AdminValueFormat = 'text' | 'number' | 'points' | 'percent' | 'date' | 'datetime' | 'money' | 'status' | 'code' | 'json' | 'count';
export type AdminTone = 'success' | 'danger' | 'warning' | 'info' | 'neutral';

/** One value of a record: where it is (`key`, a dotted path such as `rejection.reason`) and how it is shown. */
export interface AdminValue {
  /** Dotted path into the record (`number`, `rejection.line`, `reading.currency`). */
  key: string;
  /** i18n key of the label, in the plugin's namespace. */
  label: string;
  format?: AdminValueFormat;
  /** For `money`: the dotted path of the ISO 4217 currency code next to the amount. */
  currencyKey?: string;
  /** For `status`: the i18n key prefix of the value's labels (`ui.status` → `ui.status.posted`). */
  statusLabels?: string;
  /** For `status`: the tone per value (others are neutral). */
  tones?: Record<string, AdminTone>;
}

export interface AdminColumn extends AdminValue {
  /** `detail`: the cell links to the record's detail page (the page's `detail`, by the row's `detailKey`). */
  link?: 'detail';
  align?: 'start' | 'end';
}

/** A button on each row (or on a detail page): a POST/PUT/DELETE to a route of the plugin, after a confirmation. */
export interface AdminAction {
  /** Unique within the page (`revoke`). */
  id: string;
  /** i18n key of the button's text. */
  label: string;
  /** The plugin's route, Fastify syntax, relative to `/api/v1/<plugin id>`: `/kudos/:id/revoke`. Path parameters come from the record's fields of the same name. */
  route: string;
  method?: 'POST' | 'PUT' | 'DELETE';
  /** The JSON body sent (fixed values, e.g. `{ decision: 'approve' }`); `{}` when left out. */
  body?: Record<string, string | number | boolean | null>;
  /** i18n key of the question asked before (required: actions change things). */
  confirm: string;
  /** i18n key of the message shown after it succeeded. */
  success?: string;
  /** Shown only to those who hold it (the route checks it again). */
  permission?: Permission;
  tone?: 'default' | 'danger';
  /** Shown only for records whose field `key` has one of these values (e.g. status active). */
  when?: { key: string; in: (string | number | boolean | null)[] };
}

/** A field of a form or of an upload. */
export interface AdminFormField {
  /** The body property (top level): `message`, `points`. */
  name: string;
  /** i18n key of the label. */
  label: string;
  /** i18n key of a hint under the control. */
  hint?: string;
  input?: 'text' | 'textarea' | 'integer' | 'number' | 'date' | 'select' | 'checkbox' | 'uuid';
  required?: boolean;
  /** For `select`: the values, and the i18n key prefix of their labels (`<optionLabels>.<value>`). */
  options?: string[];
  optionLabels?: string;
  /** Filled in at first (as text). */
  defaultValue?: string;
  maxLength?: number;
}

/** A list bound to a GET route that answers `{ items: [...], <next cursor> }` (or an array). */
export interface AdminTableSection {
  kind: 'table';
  /** Unique within the page. */
  id: string;
  title?: string;
  /** GET route of the plugin, e.g. `/documents`. */
  route: string;
  /** Dotted path of the rows in the answer (default `items`; `''` when the answer is an array). */
  items?: string;
  columns: AdminColumn[];
  /** The row field identifying it, for links and actions (default `id`). */
  rowKey?: string;
  /** Cursor paging: the answer's field with the next cursor and the query parameter that takes it. */
  paging?: { next: string; param: string };
  /** Filters shown above the table, passed as query parameters (select or text fields). */
  filters?: AdminFormField[];
  /** i18n key shown when there are no rows. */
  empty?: string;
  actions?: AdminAction[];
  permission?: Permission;
}

/** A form bound to a POST/PUT route with a JSON body. `fields` may be left out: they are derived from the route's body schema (labels `<labelPrefix>.<name>`). */
export interface AdminFormSection {
  kind: 'form';
  id: string;
  title?: string;
  description?: string;
  route: string;
  method?: 'POST' | 'PUT';
  fields?: AdminFormField[];
  /** For derived fields: the i18n key prefix of their labels (default `fields`). */
  labelPrefix?: string;
  submit: string;
  /** i18n key of the message after success; the answer's `{{field}}`s may be used. */
  success: string;
  permission?: Permission;
}

/** A file sent as multipart/form-data (with extra text fields) to a POST route; the answer is shown with `result`. */
export interface AdminUploadSection {
  kind: 'upload';
  id: string;
  title?: string;
  description?: string;
  route: string;
  /** The multipart field of the file (default `file`). */
  fileField?: string;
  /** `accept` of the file input, e.g. `.xml,application/xml`. */
  accept?: string;
  fields?: AdminFormField[];
  submit: string;
  /** How the answer is shown: a message, values, and a link to the record's detail page (by the answer's `detailKey`). */
  result: { message: string; values?: AdminValue[]; detailKey?: string };
  permission?: Permission;
}

export type AdminSection = AdminTableSection | AdminFormSection | AdminUploadSection;

/** A part of a detail page. */
export type AdminDetailPart =
  | { kind: 'fields'; title?: string; values: AdminValue[] }
  /** An array of the record shown as a table (`key`: its dotted path), e.g. the lines read from a document. */
  | { kind: 'list'; title?: string; key: string; columns: AdminValue[]; empty?: string }
  /** Text in a code block: a value of the record (`key`, JSON unless a string) or the text a GET route answers (`route`, e.g. the raw XML). */
  | { kind: 'code'; title?: string; key?: string; route?: string; language?: 'xml' | 'json' | 'text' };

/** One record, from a GET route with one path parameter (`/documents/:id`) filled from the list row's `rowKey`. */
export interface AdminDetail {
  route: string;
  /** i18n key of the heading; the record's fields may be used (`{{number}}`). */
  title: string;
  parts: AdminDetailPart[];
  actions?: AdminAction[];
}

export interface AdminPage {
  /** kebab-case, unique within the plugin: the page is at `/admin/plugins/<plugin id>/<page id>`. */
  id: string;
  nav: {
    /** i18n key of the nav entry. */
    label: string;
    icon?: AdminIcon;
    /** Only those who hold it see the entry and may open the page. */
    permission: Permission;
    /** Order among plugin entries (lower first; default 100). */
    order?: number;
  };
  /** i18n keys of the heading and the text under it. */
  title: string;
  description?: string;
  sections: AdminSection[];
  detail?: AdminDetail;
}

/** The UI contributions of a plugin, reached as `ctx.ui` in `setup`. */
export interface PluginUi {
  /** Add a page to the admin panel. It is checked at start-up (bad ids, routes outside the plugin, missing i18n keys stop it). */
  adminPage(page: AdminPage): void;
}

const ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const ROUTE = /^(\/([A-Za-z0-9._~-]+|:[A-Za-z_][A-Za-z0-9_]*))+$/;
const PATH = /^[A-Za-z_$][A-Za-z0-9_$-]*(\.[A-Za-z0-9_$-]+)*$/;
const FORMATS: readonly AdminValueFormat[] = ['text', 'number', 'points', 'percent', 'date', 'datetime', 'money', 'status', 'code', 'json', 'count'];
const INPUTS = ['text', 'textarea', 'integer', 'number', 'date', 'select', 'checkbox', 'uuid'];

/** The path parameters of a route in Fastify syntax (`/kudos/:id/revoke` → `['id']`). */
export function routeParams(route: string): string[] {
  return route.split('/').filter((s) => s.startsWith(':')).map((s) => s.slice(1));
}

/** Does the dotted key exist in a (nested) strings object? */
function hasKey(strings: object, key: string): boolean {
  let at: unknown = strings;
  for (const part of key.split('.')) {
    if (at === null || typeof at !== 'object' || !(part in at)) return false;
    at = (at as Record<string, unknown>)[part];
  }
  return typeof at === 'string';
}

/**
 * Check an admin page: ids, routes (relative to the plugin, no `..`, no query), dotted paths, formats, and — when the
 * plugin's strings are given — that every i18n key exists in every locale. Returns the problems, one line each
 * (empty when the page is fine). The platform runs it at start-up; a plugin's own tests may too.
 */
export function validateAdminPage(page: AdminPage, locales?: { en: object; pl: object; ru: object } | null): string[] {
  const problems: string[] = [];
  const p = page as Partial<AdminPage> & Record<string, unknown>;
  const where = `page "${String(p.id)}"`;
  const keys: string[] = [];
  const key = (value: unknown, at: string, optional = false): void => {
    if (value === undefined && optional) return;
    if (typeof value !== 'string' || !PATH.test(value)) problems.push(`${where}: ${at} must be an i18n key (dotted), got ${JSON.stringify(value)}`);
    else keys.push(value);
  };
  const route = (value: unknown, at: string, params?: 'none' | 'one'): void => {
    if (typeof value !== 'string' || !ROUTE.test(value) || value.split('/').some((s) => s === '..' || s === '.')) {
      problems.push(`${where}: ${at} must be a route of the plugin relative to /api/v1/<plugin id>, like /documents or /documents/:id, got ${JSON.stringify(value)}`);
      return;
    }
    const n = routeParams(value).length;
    if (params === 'none' && n > 0) problems.push(`${where}: ${at} (${value}) may not have path parameters`);
    if (params === 'one' && n !== 1) problems.push(`${where}: ${at} (${value}) must have exactly one path parameter`);
  };
  const path = (value: unknown, at: string, optional = false): void => {
    if (value === undefined && optional) return;
    if (typeof value !== 'string' || !PATH.test(value)) problems.push(`${where}: ${at} must be a dotted field path, got ${JSON.stringify(value)}`);
  };
  const values = (list: unknown, at: string): void => {
    if (!Array.isArray(list) || list.length === 0) {
      problems.push(`${where}: ${at} must list at least one value`);
      return;
    }
    list.forEach((v: Partial<AdminColumn>, i) => {
      const here = `${at}[${i}]`;
      path(v.key, `${here}.key`);
      key(v.label, `${here}.label`);
      if (v.format !== undefined && !FORMATS.includes(v.format)) problems.push(`${where}: ${here}.format must be one of ${FORMATS.join(', ')}`);
      if (v.format === 'money') path(v.currencyKey, `${here}.currencyKey (money needs the currency's field)`);
      if (v.format === 'status') path(v.statusLabels, `${here}.statusLabels (a status needs its labels' key prefix)`);
      if (v.link !== undefined && v.link !== 'detail') problems.push(`${where}: ${here}.link may only be "detail"`);
      if (v.link === 'detail' && !p.detail) problems.push(`${where}: ${here} links to the detail page, but the page has no detail`);
    });
  };
  const fields = (list: unknown, at: string, optional: boolean): void => {
    if (list === undefined && optional) return;
    if (!Array.isArray(list)) {
      problems.push(`${where}: ${at} must be a list of fields`);
      return;
    }
    const names = new Set<string>();
    list.forEach((f: Partial<AdminFormField>, i) => {
      const here = `${at}[${i}]`;
      if (typeof f.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name)) problems.push(`${where}: ${here}.name must be a property name`);
      else if (names.has(f.name)) problems.push(`${where}: ${here}.name "${f.name}" is used twice`);
      else names.add(f.name);
      key(f.label, `${here}.label`);
      key(f.hint, `${here}.hint`, true);
      if (f.input !== undefined && !INPUTS.includes(f.input)) problems.push(`${where}: ${here}.input must be one of ${INPUTS.join(', ')}`);
      if (f.input === 'select') {
        if (!Array.isArray(f.options) || f.options.length === 0) problems.push(`${where}: ${here} is a select without options`);
        path(f.optionLabels, `${here}.optionLabels (the key prefix of the options' labels)`);
        for (const o of f.options ?? []) if (f.optionLabels) keys.push(`${f.optionLabels}.${o}`);
      }
    });
  };
  const actions = (list: unknown, at: string): void => {
    if (list === undefined) return;
    if (!Array.isArray(list)) {
      problems.push(`${where}: ${at} must be a list`);
      return;
    }
    const ids = new Set<string>();
    list.forEach((a: Partial<AdminAction>, i) => {
      const here = `${at}[${i}]`;
      if (typeof a.id !== 'string' || !ID.test(a.id) || ids.has(a.id)) problems.push(`${where}: ${here}.id must be kebab-case and unique`);
      else ids.add(a.id);
      key(a.label, `${here}.label`);
      key(a.confirm, `${here}.confirm`);
      key(a.success, `${here}.success`, true);
      route(a.route, `${here}.route`);
      if (a.method !== undefined && !['POST', 'PUT', 'DELETE'].includes(a.method)) problems.push(`${where}: ${here}.method must be POST, PUT or DELETE`);
      if (a.when !== undefined) path(a.when.key, `${here}.when.key`);
      if (a.body !== undefined && (a.body === null || typeof a.body !== 'object' || Array.isArray(a.body) || Object.values(a.body).some((v) => v !== null && typeof v === 'object'))) {
        problems.push(`${where}: ${here}.body must be an object of plain values`);
      }
    });
  };
  const statusKeys = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const v of list as AdminValue[]) if (v.format === 'status' && v.statusLabels && v.tones) for (const value of Object.keys(v.tones)) keys.push(`${v.statusLabels}.${value}`);
  };

  if (typeof p.id !== 'string' || !ID.test(p.id)) problems.push(`${where}: id must be kebab-case`);
  if (!p.nav || typeof p.nav !== 'object') problems.push(`${where}: nav is required (label, permission)`);
  else {
    key(p.nav.label, 'nav.label');
    if (p.nav.icon !== undefined && !(ADMIN_ICONS as readonly string[]).includes(p.nav.icon)) problems.push(`${where}: nav.icon must be one of ${ADMIN_ICONS.join(', ')}`);
    if (typeof p.nav.permission !== 'string' || p.nav.permission.length === 0) problems.push(`${where}: nav.permission is required: only those who hold it see the page`);
  }
  key(p.title, 'title');
  key(p.description, 'description', true);
  if (!Array.isArray(p.sections) || p.sections.length === 0) problems.push(`${where}: sections must list at least one section`);
  const sectionIds = new Set<string>();
  for (const [i, s] of (Array.isArray(p.sections) ? p.sections : []).entries()) {
    const here = `sections[${i}]`;
    const sec = s as Partial<Omit<AdminTableSection, 'kind'> & Omit<AdminFormSection, 'kind'> & Omit<AdminUploadSection, 'kind'>> & { kind?: string };
    if (typeof sec.id !== 'string' || !ID.test(sec.id) || sectionIds.has(sec.id)) problems.push(`${where}: ${here}.id must be kebab-case and unique within the page`);
    else sectionIds.add(sec.id);
    key(sec.title, `${here}.title`, true);
    switch (sec.kind) {
      case 'table':
        route(sec.route, `${here}.route`, 'none');
        if (sec.items !== undefined && sec.items !== '') path(sec.items, `${here}.items`);
        values(sec.columns, `${here}.columns`);
        statusKeys(sec.columns);
        path(sec.rowKey, `${here}.rowKey`, true);
        if (sec.paging !== undefined) {
          path(sec.paging.next, `${here}.paging.next`);
          path(sec.paging.param, `${here}.paging.param`);
        }
        fields(sec.filters, `${here}.filters`, true);
        key(sec.empty, `${here}.empty`, true);
        actions(sec.actions, `${here}.actions`);
        break;
      case 'form':
        route(sec.route, `${here}.route`, 'none');
        key(sec.description, `${here}.description`, true);
        if (sec.method !== undefined && sec.method !== 'POST' && sec.method !== 'PUT') problems.push(`${where}: ${here}.method must be POST or PUT`);
        fields(sec.fields, `${here}.fields`, true);
        path(sec.labelPrefix, `${here}.labelPrefix`, true);
        key(sec.submit, `${here}.submit`);
        key(sec.success, `${here}.success`);
        break;
      case 'upload':
        route(sec.route, `${here}.route`, 'none');
        key(sec.description, `${here}.description`, true);
        if (sec.fileField !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(sec.fileField)) problems.push(`${where}: ${here}.fileField must be a field name`);
        fields(sec.fields, `${here}.fields`, true);
        key(sec.submit, `${here}.submit`);
        if (!sec.result || typeof sec.result !== 'object') problems.push(`${where}: ${here}.result is required`);
        else {
          key(sec.result.message, `${here}.result.message`);
          if (sec.result.values !== undefined) values(sec.result.values, `${here}.result.values`);
          statusKeys(sec.result.values);
          path(sec.result.detailKey, `${here}.result.detailKey`, true);
          if (sec.result.detailKey && !p.detail) problems.push(`${where}: ${here}.result.detailKey links to the detail page, but the page has no detail`);
        }
        break;
      default:
        problems.push(`${where}: ${here}.kind must be table, form or upload, got ${JSON.stringify(sec.kind)}`);
    }
  }
  if (p.detail !== undefined) {
    const d = p.detail;
    route(d.route, 'detail.route', 'one');
    key(d.title, 'detail.title');
    if (!Array.isArray(d.parts) || d.parts.length === 0) problems.push(`${where}: detail.parts must list at least one part`);
    for (const [i, part] of (Array.isArray(d.parts) ? d.parts : []).entries()) {
      const here = `detail.parts[${i}]`;
      key(part.title, `${here}.title`, true);
      if (part.kind === 'fields') {
        values(part.values, `${here}.values`);
        statusKeys(part.values);
      } else if (part.kind === 'list') {
        path(part.key, `${here}.key`);
        values(part.columns, `${here}.columns`);
        key(part.empty, `${here}.empty`, true);
      } else if (part.kind === 'code') {
        if ((part.key === undefined) === (part.route === undefined)) problems.push(`${where}: ${here} needs either key or route`);
        path(part.key, `${here}.key`, true);
        if (part.route !== undefined) route(part.route, `${here}.route`);
      } else problems.push(`${where}: ${here}.kind must be fields, list or code`);
    }
    actions(d.actions, 'detail.actions');
  }
  if (locales && problems.length === 0) {
    for (const locale of ['en', 'pl', 'ru'] as const) {
      const missing = [...new Set(keys)].filter((k) => !hasKey(locales[locale], k));
      if (missing.length > 0) problems.push(`${where}: the ${locale} strings lack ${missing.join(', ')}`);
    }
  }
  return problems;
}
