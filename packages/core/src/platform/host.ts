import semver from 'semver';
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  PARTNER_SCOPE_FILTER,
  PROGRAM_SCOPE_FILTER,
  type ProgramScopeArgs,
  describeActor,
  type Actor,
  type EventListener,
  type EventName,
  type FilterHandler,
  type FilterName,
  type Locale,
  type Logger,
  type PartnerScopeArgs,
  type PluginDefinition,
  type PluginRouter,
  type RequestContext,
  type Role,
  type ServiceRef,
  type WorkflowContribution,
  type AdminPage,
  validateAdminPage,
} from '@laurel/plugin-sdk';
import type { LaurelConfig } from '../config/config.ts';
import { CORE_VERSION } from '../version.ts';
import { uuidv7 } from './ids.ts';
import { OutboxDelivery, OutboxEvent } from './outbox.entity.ts';
import type { Translator } from './i18n.ts';

/** A start-up check that failed; the message is one line naming the offending plugin. */
export class PluginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginError';
  }
}

const ID_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const DEFAULT_MAX_ATTEMPTS = 8;

export interface ResolvedPlugin {
  definition: PluginDefinition;
  /** Core modules are registered through the same API but cannot be disabled. */
  core: boolean;
  options: Record<string, unknown>;
}

export interface PluginResolution {
  /** Enabled plugins, dependencies before dependants. */
  enabled: ResolvedPlugin[];
  /** Installed but disabled by configuration: no routes, listeners or UI; their tables stay. */
  disabled: PluginDefinition[];
  warnings: string[];
}

function formatAjvError(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  const where = e.keyword === 'required' ? `${e.instancePath}/${String(params.missingProperty)}` : e.instancePath || '/';
  return `${where} ${e.message ?? e.keyword}`;
}

/**
 * Check every installed plugin before anything starts: unique ids, compatible versions, dependencies
 * present and enabled, configuration valid against the plugin's schema, no dependency cycles. Throws
 * `PluginError` naming the offending plugin.
 */
export function resolvePlugins(
  coreModules: readonly PluginDefinition[],
  plugins: readonly PluginDefinition[],
  config: Pick<LaurelConfig, 'plugins'>,
  coreVersion: string = CORE_VERSION,
): PluginResolution {
  const warnings: string[] = [];
  const all: { def: PluginDefinition; core: boolean }[] = [
    ...coreModules.map((def) => ({ def, core: true })),
    ...plugins.map((def) => ({ def, core: false })),
  ];
  const byId = new Map<string, { def: PluginDefinition; core: boolean }>();
  for (const entry of all) {
    const { id, version, compatibility } = entry.def;
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw new PluginError(`Plugin "${String(id)}": id must be kebab-case (a-z, 0-9, -)`);
    if (byId.has(id)) throw new PluginError(`Plugin "${id}" is installed twice; plugin ids must be unique`);
    if (!semver.valid(version)) throw new PluginError(`Plugin "${id}": version "${version}" is not a semver version`);
    if (!semver.validRange(compatibility)) throw new PluginError(`Plugin "${id}": compatibility "${compatibility}" is not a semver range`);
    if (!semver.satisfies(coreVersion, compatibility, { includePrerelease: true })) {
      throw new PluginError(`Plugin "${id}" ${version} requires Laurel core ${compatibility}, but this is ${coreVersion}`);
    }
    byId.set(id, entry);
  }
  for (const id of Object.keys(config.plugins)) {
    if (!byId.has(id)) warnings.push(`Configuration names plugin "${id}", which is not installed; ignored`);
  }
  const isEnabled = (id: string): boolean => {
    const entry = byId.get(id)!;
    const enabled = config.plugins[id]?.enabled ?? true;
    if (!enabled && entry.core) throw new PluginError(`Plugin "${id}" is a core module and cannot be disabled`);
    return enabled;
  };
  const enabledIds = all.map((e) => e.def.id).filter(isEnabled);
  const enabledSet = new Set(enabledIds);
  for (const id of enabledIds) {
    for (const dep of byId.get(id)!.def.dependsOn ?? []) {
      if (!byId.has(dep)) throw new PluginError(`Plugin "${id}" depends on "${dep}", which is not installed`);
      if (!enabledSet.has(dep)) throw new PluginError(`Plugin "${id}" depends on "${dep}", which is disabled by configuration`);
    }
  }
  // Topological order (depth-first, stable by registration order) with cycle detection.
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    const s = state.get(id);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(id)), id];
      throw new PluginError(`Plugin "${id}" is part of a dependency cycle: ${cycle.join(' -> ')}`);
    }
    state.set(id, 'visiting');
    for (const dep of byId.get(id)!.def.dependsOn ?? []) visit(dep, [...path, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of enabledIds) visit(id, []);

  const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false });
  addFormats.default(ajv);
  const enabled: ResolvedPlugin[] = order.map((id) => {
    const { def, core } = byId.get(id)!;
    const options = structuredClone(config.plugins[id]?.options ?? {});
    if (def.config) {
      const validate = ajv.compile(def.config);
      if (!validate(options)) {
        const detail = (validate.errors ?? []).map(formatAjvError).join('; ');
        throw new PluginError(`Plugin "${id}": configuration plugins.${id}.options is invalid: ${detail}`);
      }
    } else if (Object.keys(options).length > 0) {
      throw new PluginError(`Plugin "${id}" takes no configuration, but plugins.${id}.options is set`);
    }
    return { definition: def, core, options };
  });
  const disabled = all.filter((e) => !enabledSet.has(e.def.id)).map((e) => e.def);
  return { enabled, disabled, warnings };
}

interface RegisteredListener {
  key: string;
  pluginId: string;
  event: string;
  maxAttempts: number;
  handle: EventListener<EventName>;
}

export interface ContextInit {
  requestId: string;
  locale: Locale;
  actor: Actor;
  em: EntityManager;
  log: Logger;
  ip?: string | null;
}

/** Partner users see their own partner; staff, integrations and the system see all; anyone else nothing. */
const NO_PARTNER = '00000000-0000-0000-0000-000000000000';
export function partnerScopeOf(actor: Actor): PartnerScopeArgs {
  if (actor.kind === 'user') return actor.partnerId ? { partnerId: actor.partnerId } : { all: true };
  if (actor.kind === 'api-key' || actor.kind === 'system') return { all: true };
  return { partnerId: NO_PARTNER };
}

/** Admins limited to some programs see only those; an API key bound to a program sees only it. */
export function programScopeOf(actor: Actor): ProgramScopeArgs {
  if (actor.kind === 'user' && actor.programIds) return { programIds: actor.programIds };
  if (actor.kind === 'api-key' && actor.programId) return { programIds: [actor.programId] };
  return { all: true };
}

/**
 * Holds what enabled plugins registered in `setup`: routes, listeners, filters, services, workflows, locales.
 * Builds request contexts that carry the hooks.
 */
export class PluginHost {
  readonly resolution: PluginResolution;
  readonly routes: { pluginId: string; register: (router: PluginRouter) => void | Promise<void> }[] = [];
  readonly workflowContributions: { pluginId: string; contribution: WorkflowContribution }[] = [];
  readonly localeNamespaces: Record<string, { en: object; pl: object; ru: object }> = {};
  /** Admin pages of the enabled plugins, in setup order (a disabled plugin's setup never runs: it adds none). */
  readonly adminPages: { pluginId: string; page: AdminPage }[] = [];
  private readonly listeners = new Map<string, RegisteredListener[]>();
  private readonly listenersByKey = new Map<string, RegisteredListener>();
  private readonly filters = new Map<string, { pluginId: string; handler: FilterHandler<FilterName> }[]>();
  private readonly services = new Map<string, { pluginId: string; implementation: unknown }>();
  private readonly injections: { pluginId: string; ref: ServiceRef<unknown> }[] = [];
  readonly seeders: { pluginId: string; seed: (ctx: RequestContext) => Promise<void> }[] = [];
  readonly periodicTasks: { pluginId: string; name: string; intervalMs: number; task: (ctx: RequestContext) => Promise<void> }[] = [];
  private readonly grants = new Map<string, { pluginId: string; roles: Set<Role>; apiKeys: boolean }>();
  private readonly readyHooks: (() => Promise<void> | void)[] = [];
  private readonly closeHooks: (() => Promise<void> | void)[] = [];
  private translator: Translator | null = null;

  constructor(resolution: PluginResolution) {
    this.resolution = resolution;
  }

  /** Services the platform itself offers to modules (e.g. the Temporal client). */
  providePlatform<T>(ref: ServiceRef<T>, implementation: T): void {
    this.services.set(ref.id, { pluginId: 'platform', implementation });
  }

  setTranslator(translator: Translator): void {
    this.translator = translator;
  }

  /** Run every enabled plugin's `setup`, dependencies first, then check the service wiring. */
  async setupAll(rootLog: Logger & { child(bindings: object): Logger }): Promise<void> {
    for (const plugin of this.resolution.enabled) {
      const def = plugin.definition;
      const pluginId = def.id;
      const listenerCounts = new Map<string, number>();
      const pages: AdminPage[] = [];
      await def.setup?.({
        id: pluginId,
        config: plugin.options as never,
        log: rootLog.child({ plugin: pluginId }),
        routes: (register) => {
          this.routes.push({ pluginId, register });
        },
        on: (event, listener, options) => {
          const n = (listenerCounts.get(event) ?? 0) + 1;
          listenerCounts.set(event, n);
          const key = `${pluginId}:${options?.name ?? `${event}#${n}`}`;
          if (this.listenersByKey.has(key)) throw new PluginError(`Plugin "${pluginId}" registers listener "${key}" twice`);
          const registered: RegisteredListener = {
            key,
            pluginId,
            event,
            maxAttempts: options?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
            handle: listener as EventListener<EventName>,
          };
          this.listenersByKey.set(key, registered);
          this.listeners.set(event, [...(this.listeners.get(event) ?? []), registered]);
        },
        filter: (name, handler) => {
          this.filters.set(name, [...(this.filters.get(name) ?? []), { pluginId, handler: handler as FilterHandler<FilterName> }]);
        },
        provide: (ref, implementation) => {
          const existing = this.services.get(ref.id);
          if (existing) throw new PluginError(`Plugin "${pluginId}" provides service "${ref.id}", already provided by "${existing.pluginId}"`);
          this.services.set(ref.id, { pluginId, implementation });
        },
        inject: <T>(ref: ServiceRef<T>) => {
          this.injections.push({ pluginId, ref });
          return () => {
            const service = this.services.get(ref.id);
            if (!service) throw new PluginError(`Plugin "${pluginId}" uses service "${ref.id}", which no enabled plugin provides`);
            return service.implementation as T;
          };
        },
        workflows: (contribution) => {
          this.workflowContributions.push({ pluginId, contribution });
        },
        locales: (resources) => {
          this.localeNamespaces[pluginId] = resources;
        },
        ui: {
          adminPage: (page) => {
            if (pages.some((p) => p.id === page.id)) throw new PluginError(`Plugin "${pluginId}" adds admin page "${page.id}" twice`);
            pages.push(structuredClone(page));
          },
        },
        permissions: {
          of: (roles) => this.permissionsOf(roles),
          forApiKeys: () => this.apiKeyPermissions(),
        },
        grant: (permission, roles, options) => {
          const existing = this.grants.get(permission);
          if (existing && existing.pluginId !== pluginId) {
            throw new PluginError(`Plugin "${pluginId}" grants permission "${permission}", which belongs to "${existing.pluginId}"`);
          }
          this.grants.set(permission, {
            pluginId,
            roles: new Set([...(existing?.roles ?? []), ...roles]),
            apiKeys: options?.apiKeys ?? existing?.apiKeys ?? false,
          });
        },
        every: (name, intervalMs, task) => {
          this.periodicTasks.push({ pluginId, name, intervalMs, task });
        },
        seed: (seeder) => {
          this.seeders.push({ pluginId, seed: seeder });
        },
        onReady: (hook) => {
          this.readyHooks.push(hook);
        },
        onClose: (hook) => {
          this.closeHooks.unshift(hook);
        },
      });
      // Checked once the plugin's setup is done, so that its locales may be registered after its pages.
      for (const page of pages) {
        const locales = this.localeNamespaces[pluginId];
        if (!locales) throw new PluginError(`Plugin "${pluginId}" adds admin page "${page.id}" but registers no locales (ctx.locales) for its text`);
        const problems = validateAdminPage(page, locales);
        if (problems.length > 0) throw new PluginError(`Plugin "${pluginId}": admin ${problems.join('; ')}`);
        this.adminPages.push({ pluginId, page });
      }
    }
    for (const { pluginId, ref } of this.injections) {
      const service = this.services.get(ref.id);
      if (!service) throw new PluginError(`Plugin "${pluginId}" uses service "${ref.id}", which no enabled plugin provides`);
      if (service.pluginId !== 'platform' && service.pluginId !== pluginId && !this.dependencyClosure(pluginId).has(service.pluginId)) {
        throw new PluginError(`Plugin "${pluginId}" uses service "${ref.id}" of "${service.pluginId}" without listing it in dependsOn`);
      }
    }
  }

  private dependencyClosure(id: string): Set<string> {
    const byId = new Map(this.resolution.enabled.map((p) => [p.definition.id, p.definition]));
    const seen = new Set<string>();
    const walk = (current: string): void => {
      for (const dep of byId.get(current)?.dependsOn ?? []) {
        if (!seen.has(dep)) {
          seen.add(dep);
          walk(dep);
        }
      }
    };
    walk(id);
    return seen;
  }

  /** Every permission the given roles hold, as granted by the enabled plugins. */
  permissionsOf(roles: readonly Role[]): string[] {
    const out: string[] = [];
    for (const [permission, grant] of this.grants) if (roles.some((r) => grant.roles.has(r))) out.push(permission);
    return out.sort();
  }

  /** Permissions an API key may be scoped to. */
  apiKeyPermissions(): string[] {
    return [...this.grants].filter(([, g]) => g.apiKeys).map(([p]) => p).sort();
  }

  /** Every declared permission with the roles that hold it (for docs and the authorization matrix test). */
  permissionTable(): { permission: string; pluginId: string; roles: Role[]; apiKeys: boolean }[] {
    return [...this.grants].map(([permission, g]) => ({ permission, pluginId: g.pluginId, roles: [...g.roles], apiKeys: g.apiKeys })).sort((a, b) => a.permission.localeCompare(b.permission));
  }

  isPermission(name: string): boolean {
    return this.grants.has(name);
  }

  tryService<T>(ref: ServiceRef<T>): T | null {
    return (this.services.get(ref.id)?.implementation as T | undefined) ?? null;
  }

  service<T>(ref: ServiceRef<T>): T {
    const service = this.services.get(ref.id);
    if (!service) throw new PluginError(`Service "${ref.id}" is not provided by any enabled plugin`);
    return service.implementation as T;
  }

  listener(key: string): RegisteredListener | undefined {
    return this.listenersByKey.get(key);
  }

  listenerKeys(): string[] {
    return [...this.listenersByKey.keys()];
  }

  async runReadyHooks(): Promise<void> {
    for (const hook of this.readyHooks) await hook();
  }

  async runCloseHooks(): Promise<void> {
    for (const hook of this.closeHooks) await hook();
  }

  /** Set the partner and program scope filters of an entity manager for an actor (fail-closed when never set). */
  applyScopes(em: EntityManager, actor: Actor): void {
    em.setFilterParams(PARTNER_SCOPE_FILTER, partnerScopeOf(actor));
    em.setFilterParams(PROGRAM_SCOPE_FILTER, programScopeOf(actor));
  }

  /** Build the context every service method takes first. */
  createContext(init: ContextInit): RequestContext {
    const listeners = this.listeners;
    const filters = this.filters;
    const translator = this.translator;
    const t = translator ? translator.fixed(init.locale) : (key: string) => key;
    this.applyScopes(init.em, init.actor);
    const ctx: RequestContext = {
      requestId: init.requestId,
      locale: init.locale,
      actor: init.actor,
      ip: init.ip ?? null,
      em: init.em,
      log: init.log,
      emit(name, payload) {
        const now = new Date();
        const event = init.em.create(OutboxEvent, {
          id: uuidv7(),
          name,
          payload,
          occurredAt: now,
          requestId: init.requestId,
          actor: describeActor(init.actor),
        });
        init.em.persist(event);
        for (const listener of listeners.get(name) ?? []) {
          init.em.persist(
            init.em.create(OutboxDelivery, {
              id: uuidv7(),
              event,
              listener: listener.key,
              status: 'pending',
              attempts: 0,
              maxAttempts: listener.maxAttempts,
              availableAt: now,
              lastError: null,
              deliveredAt: null,
              createdAt: now,
              updatedAt: now,
            }),
          );
        }
      },
      async applyFilter(name, value) {
        let current: unknown = value;
        for (const { handler } of filters.get(name) ?? []) {
          current = await handler(current as never, ctx);
        }
        return current as typeof value;
      },
      startWorkflow(request) {
        ctx.emit('system.workflow.start-requested', request);
      },
      signalWorkflow(request) {
        ctx.emit('system.workflow.signal-requested', request);
      },
      t(key, params) {
        return (t as (k: string, p: Record<string, unknown>) => string)(key, params ?? {});
      },
    };
    return ctx;
  }
}

