import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventName, EventPayload, FilterName, FilterValue } from './hooks.ts';

export const LOCALES = ['en', 'pl', 'ru'] as const;
export type Locale = (typeof LOCALES)[number];

/** Who is acting. Later modules (access) add user and API-key actors. */
export type Actor =
  | { kind: 'anonymous' }
  | { kind: 'system'; name: string }
  | { kind: 'admin-token' }
  | { kind: 'user'; userId: string; partnerId?: string; roles: string[] }
  | { kind: 'api-key'; keyId: string; scopes: string[] };

export interface Logger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
}

export interface StartWorkflowRequest {
  /** Workflow type name as exported by a workflows module. */
  workflowType: string;
  /** Business-derived id: one workflow per id, so a double click starts nothing twice. */
  workflowId: string;
  args: unknown[];
  /** Defaults to the configured task queue. */
  taskQueue?: string;
}

export interface SignalWorkflowRequest {
  workflowId: string;
  signal: string;
  args: unknown[];
}

/**
 * What every service method receives first (`async method(ctx, input)`): the actor, the locale, the
 * request's own forked entity manager, and the hooks. HTTP handlers, Temporal activities and the CLI
 * all build one of these and call the same services.
 */
export interface RequestContext {
  readonly requestId: string;
  readonly locale: Locale;
  readonly actor: Actor;
  /** A fork of the entity manager owned by this request or job, never the global one. */
  readonly em: EntityManager;
  readonly log: Logger;
  /**
   * Queue a domain event in the transactional outbox. It is written with the next flush of `em`
   * (so inside `em.transactional` it commits or rolls back with the business change) and delivered
   * to listeners after commit, at least once.
   */
  emit<N extends EventName>(name: N, payload: EventPayload<N>): void;
  /** Run the filters registered for `name` in plugin order; each may change the value or veto by throwing. */
  applyFilter<N extends FilterName>(name: N, value: FilterValue<N>): Promise<FilterValue<N>>;
  /** Ask for a Temporal workflow start through the outbox: kept and retried while Temporal is unreachable. */
  startWorkflow(request: StartWorkflowRequest): void;
  /** Send a signal to a running workflow through the outbox. */
  signalWorkflow(request: SignalWorkflowRequest): void;
  /** Translate a key in this context's locale. */
  t(key: string, params?: Record<string, unknown>): string;
}
