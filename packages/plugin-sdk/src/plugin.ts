import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Static, TSchema } from 'typebox';
import type { EntitySchema } from '@mikro-orm/core';
import type { DeliveredEvent, EventName, FilterName, FilterValue, ListenerOptions } from './hooks.ts';
import type { Logger, Permission, RequestContext, Role } from './context.ts';
import type { PluginUi } from './ui.ts';

/** The Fastify instance a plugin's routes are registered on: encapsulated, typed with TypeBox. */
export type PluginRouter = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What a migration may do: run SQL inside the migration's transaction. */
export interface MigrationDb {
  execute(sql: string, params?: unknown[]): Promise<unknown[]>;
}

export interface Migration {
  /** Unique within the plugin and sortable: `0001_create_outbox`. */
  name: string;
  /** Plain SQL (may hold several statements) or a function using the migration's connection. */
  up: string | ((db: MigrationDb) => Promise<void>);
}

/** A typed reference to a service a plugin provides and others consume (Backstage's service refs). */
export interface ServiceRef<T> {
  readonly id: string;
  /** Phantom field that carries the service type; never set. */
  readonly __type?: T;
}

export function createServiceRef<T>(id: string): ServiceRef<T> {
  return { id };
}

export type EventListener<N extends EventName> = (event: DeliveredEvent<N>, ctx: RequestContext) => Promise<void> | void;
export type FilterHandler<N extends FilterName> = (value: FilterValue<N>, ctx: RequestContext) => Promise<FilterValue<N>> | FilterValue<N>;

/** Workflows and activities a plugin contributes to `laurel worker`. */
export interface WorkflowContribution {
  /** Absolute path of a module exporting workflow functions (deterministic; imports only `@temporalio/workflow` and types). */
  workflowsPath: string;
  /** Activity factory: called once per worker with the services the activities need. */
  createActivities?: (deps: ActivityDeps) => Record<string, (...args: never[]) => Promise<unknown>>;
}

export interface ActivityDeps {
  /** Build a request context for a system actor (fresh entity manager fork) to call services with. */
  systemContext(name: string): RequestContext;
  inject<T>(ref: ServiceRef<T>): T;
}

export interface PluginSetupContext<TConfig> {
  readonly id: string;
  /** This plugin's own configuration namespace, validated against its schema, with defaults applied. */
  readonly config: TConfig;
  readonly log: Logger;
  /** Mount routes, encapsulated, under `/api/v1/<plugin id>`. */
  routes(register: (router: PluginRouter) => void | Promise<void>): void;
  /** Listen to a domain event, delivered after commit from the outbox (at least once: be idempotent). */
  on<N extends EventName>(event: N, listener: EventListener<N>, options?: ListenerOptions): void;
  /** Add a filter: runs inside the caller's transaction and may change the value or veto by throwing. */
  filter<N extends FilterName>(name: N, handler: FilterHandler<N>): void;
  /** Offer a service to other plugins. */
  provide<T>(ref: ServiceRef<T>, implementation: T): void;
  /** Use another plugin's service; the provider must be listed in `dependsOn`. Resolved lazily. */
  inject<T>(ref: ServiceRef<T>): () => T;
  /** Contribute Temporal workflows and activities to the worker. */
  workflows(contribution: WorkflowContribution): void;
  /** i18n resources of this plugin's namespace (en, pl and ru are all required). */
  locales(resources: { en: object; pl: object; ru: object }): void;
  /** UI contributions: declarative admin pages bound to this plugin's routes (see `AdminPage`). */
  readonly ui: PluginUi;
  /** The permission registry as granted by every enabled plugin (complete once start-up is done). */
  readonly permissions: { of(roles: readonly Role[]): string[]; forApiKeys(): string[] };
  /** Grant a permission (declared in `LaurelPermissions`) to roles; API keys may then be scoped to it. */
  grant(permission: Permission, roles: readonly Role[], options?: { apiKeys?: boolean }): void;
  /**
   * Background work: run `task` every `intervalMs` on each server replica, with a system context, from start-up
   * to shutdown (tasks that must not run twice at once take an advisory lock themselves).
   */
  every(name: string, intervalMs: number, task: (ctx: RequestContext) => Promise<void>): void;
  /** Idempotent demo data for `laurel dev` / `laurel seed`, run in dependency order after migrations. */
  seed(seeder: (ctx: RequestContext) => Promise<void>): void;
  onReady(hook: () => Promise<void> | void): void;
  onClose(hook: () => Promise<void> | void): void;
}

export interface PluginDefinition<TConfigSchema extends TSchema = TSchema> {
  /** kebab-case, unique; also the URL prefix `/api/v1/<id>` and the config namespace. */
  id: string;
  /** The plugin's own semver version. */
  version: string;
  /** Semver range of Laurel core versions this plugin works with, e.g. `^0.1.0`. */
  compatibility: string;
  /** Ids of plugins that must be present and set up first (their migrations run first too). */
  dependsOn?: string[];
  /** TypeBox schema of the plugin's configuration namespace. */
  config?: TConfigSchema;
  /** MikroORM entity schemas (`defineEntity`). */
  entities?: EntitySchema[];
  /** Migrations owned by this plugin, applied in order by `laurel migrate`. */
  migrations?: Migration[];
  /** Register routes, listeners, filters, services, workflows, seeders. */
  setup?: (ctx: PluginSetupContext<Static<TConfigSchema>>) => void | Promise<void>;
}

/** Declare a plugin. A plain manifest: no classes, no statics, options by factory. */
export function definePlugin<TConfigSchema extends TSchema = TSchema>(
  definition: PluginDefinition<TConfigSchema>,
): PluginDefinition<TConfigSchema> {
  return Object.freeze({ ...definition });
}
