import {
  createServiceRef,
  hasPermission,
  type Actor,
  type AdminFormField,
  type AdminPage,
  type AdminSection,
  type Locale,
  validateAdminPage,
} from '@laurel/plugin-sdk';
import type { PluginHost } from './host.ts';
import { PluginError } from './host.ts';

/** A plugin route as Fastify registered it: `GET /api/v1/erp-connectors/documents/:id`, with its body schema. */
export type RouteTable = Map<string, { body?: unknown }>;

/** An admin page as the web app receives it: only the sections the person may use, form fields filled in. */
export interface AdminPageManifest extends AdminPage {
  pluginId: string;
}

export interface AdminUiManifest {
  pages: AdminPageManifest[];
  /** Each page's plugin's strings in the asked locale (its whole i18n namespace). */
  strings: Record<string, object>;
}

export interface AdminUi {
  /** The admin pages `actor` may open, with their plugins' strings in `locale`. */
  manifest(actor: Actor, locale: Locale): AdminUiManifest;
}

/** Provided by the platform; the `system` module serves it at GET /api/v1/system/admin-pages. */
export const adminUiRef = createServiceRef<AdminUi>('platform.admin-ui');

const routeKey = (method: string, pluginId: string, route: string): string => `${method} /api/v1/${pluginId}${route}`;

/** Every route an admin page names must be one of its plugin's own routes, with the right method: checked at start-up. */
export function checkAdminPageRoutes(host: PluginHost, routes: RouteTable): void {
  for (const { pluginId, page } of host.adminPages) {
    const permissions = [page.nav.permission, ...page.sections.flatMap((s) => [s.permission, ...(s.kind === 'table' ? (s.actions ?? []).map((a) => a.permission) : [])]), ...(page.detail?.actions ?? []).map((a) => a.permission)];
    for (const permission of permissions) {
      if (permission !== undefined && !host.isPermission(permission)) throw new PluginError(`Plugin "${pluginId}": admin page "${page.id}" requires permission "${permission}", which no enabled plugin declares and grants`);
    }
    const need: [string, string, string][] = [];
    for (const s of page.sections) {
      if (s.kind === 'table') {
        need.push(['GET', s.route, `section ${s.id}`]);
        for (const a of s.actions ?? []) need.push([a.method ?? 'POST', a.route, `action ${a.id}`]);
      } else need.push([s.kind === 'form' ? (s.method ?? 'POST') : 'POST', s.route, `section ${s.id}`]);
    }
    if (page.detail) {
      need.push(['GET', page.detail.route, 'detail']);
      for (const part of page.detail.parts) if (part.kind === 'code' && part.route) need.push(['GET', part.route, 'detail code']);
      for (const a of page.detail.actions ?? []) need.push([a.method ?? 'POST', a.route, `action ${a.id}`]);
    }
    for (const [method, route, what] of need) {
      if (!routes.has(routeKey(method, pluginId, route))) {
        throw new PluginError(`Plugin "${pluginId}": admin page "${page.id}" ${what} names ${method} ${route}, which is not a route of the plugin`);
      }
    }
    // Form fields derived from a route's body need their labels (and option labels) in every language too.
    if (page.sections.some((s) => s.kind === 'form' && !s.fields)) {
      const derived: AdminPage = {
        ...page,
        sections: page.sections.map((s) => (s.kind === 'form' && !s.fields ? { ...s, fields: fieldsFromSchema(routes.get(routeKey(s.method ?? 'POST', pluginId, s.route))?.body, s.labelPrefix ?? 'fields') } : s)),
      };
      const problems = validateAdminPage(derived, host.localeNamespaces[pluginId]);
      if (problems.length > 0) throw new PluginError(`Plugin "${pluginId}": admin ${problems.join('; ')} (form fields derived from the route's body)`);
    }
  }
}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  maxLength?: number;
  default?: unknown;
}

/** Form fields from a route's TypeBox body schema: strings, numbers, booleans, literal unions; labels `<prefix>.<name>`. */
export function fieldsFromSchema(schema: unknown, labelPrefix: string): AdminFormField[] {
  const s = schema as JsonSchema | undefined;
  if (!s?.properties) return [];
  const required = new Set(s.required ?? []);
  const fields: AdminFormField[] = [];
  for (const [name, property] of Object.entries(s.properties)) {
    const variants = (property.anyOf ?? [property]).filter((v) => v.type !== 'null');
    const literals = variants.every((v) => v.const !== undefined) ? variants.map((v) => String(v.const)) : property.enum?.map(String);
    const type = Array.isArray(variants[0]?.type) ? variants[0]!.type[0] : variants[0]?.type;
    const field: AdminFormField = { name, label: `${labelPrefix}.${name}`, required: required.has(name) };
    if (literals && literals.length > 0) Object.assign(field, { input: 'select', options: literals, optionLabels: `${labelPrefix}.${name}Options` });
    else if (type === 'integer') field.input = 'integer';
    else if (type === 'number') field.input = 'number';
    else if (type === 'boolean') field.input = 'checkbox';
    else if (type === 'string') {
      field.input = variants[0]?.format === 'uuid' ? 'uuid' : variants[0]?.format === 'date' ? 'date' : (variants[0]?.maxLength ?? 1000) > 200 ? 'textarea' : 'text';
      if (variants[0]?.maxLength) field.maxLength = variants[0].maxLength;
    } else continue;
    if (property.default !== undefined) field.defaultValue = String(property.default);
    fields.push(field);
  }
  return fields;
}

export function createAdminUi(host: PluginHost, routes: RouteTable): AdminUi {
  return {
    manifest(actor, locale) {
      const may = (permission: string | undefined) => permission === undefined || hasPermission(actor, permission);
      const pages: AdminPageManifest[] = [];
      for (const { pluginId, page } of host.adminPages) {
        if (!may(page.nav.permission)) continue;
        const sections = page.sections.filter((s) => may(s.permission)).map((s): AdminSection => {
          if (s.kind === 'table') return { ...s, actions: (s.actions ?? []).filter((a) => may(a.permission)) };
          if (s.kind === 'form' && !s.fields) return { ...s, fields: fieldsFromSchema(routes.get(routeKey(s.method ?? 'POST', pluginId, s.route))?.body, s.labelPrefix ?? 'fields') };
          return s;
        });
        const detail = page.detail ? { ...page.detail, actions: (page.detail.actions ?? []).filter((a) => may(a.permission)) } : undefined;
        pages.push({ pluginId, ...page, sections, ...(detail ? { detail } : {}) });
      }
      pages.sort((a, b) => (a.nav.order ?? 100) - (b.nav.order ?? 100));
      const strings: Record<string, object> = {};
      for (const { pluginId } of pages) strings[pluginId] ??= host.localeNamespaces[pluginId]?.[locale] ?? {};
      return { pages, strings };
    },
  };
}
