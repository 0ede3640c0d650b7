import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventName, EventPayload, FilterName, FilterValue } from './hooks.ts';

export const LOCALES = ['en', 'pl', 'ru'] as const;
export type Locale = (typeof LOCALES)[number];

export const ADMIN_ROLES = ['admin', 'program-manager', 'finance', 'marketing', 'support'] as const;
export const PARTNER_ROLES = ['partner-admin', 'partner-user'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];
export type PartnerRole = (typeof PARTNER_ROLES)[number];
export type Role = AdminRole | PartnerRole;

/**
 * Permissions are declared by the modules that check them (augment `LaurelPermissions`), granted to roles
 * with `ctx.grant`, and named on routes (`config: { access: 'partners:read' }`).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LaurelPermissions {}
export type Permission = keyof LaurelPermissions & string;

/** Who is acting. Permissions are resolved once, when the request is authenticated. */
export type Actor =
  | { kind: 'anonymous' }
  | { kind: 'system'; name: string }
  | {
      kind: 'user';
      userId: string;
      email: string;
      /** Set for partner users: the only partner whose data they can reach. */
      partnerId: string | null;
      roles: Role[];
      /** Programs an admin is limited to; null means every program. */
      programIds: string[] | null;
      permissions: string[];
      sessionId: string;
    }
  | { kind: 'api-key'; keyId: string; name: string; permissions: string[]; programId: string | null };

/** A compact, serializable description of an actor for audit records and events (no permission lists). */
export function describeActor(actor: Actor): Record<string, unknown> {
  switch (actor.kind) {
    case 'user':
      return { kind: 'user', userId: actor.userId, email: actor.email, partnerId: actor.partnerId };
    case 'api-key':
      return { kind: 'api-key', keyId: actor.keyId, name: actor.name };
    case 'system':
      return { kind: 'system', name: actor.name };
    case 'anonymous':
      return { kind: 'anonymous' };
  }
}

export function hasPermission(actor: Actor, permission: Permission | string): boolean {
  return (actor.kind === 'user' || actor.kind === 'api-key') && actor.permissions.includes(permission);
}

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
  /** The client's IP address, when the context serves a request. */
  readonly ip: string | null;
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
