import { AppError, createServiceRef, type DeliveredEvent, type EventName, type InferEntity, type RequestContext } from '@laurel/plugin-sdk';
import { uuidv7 } from '../../platform/ids.ts';
import { retryDelayMs } from '../../platform/outbox.ts';
import type { AccessService } from '../access/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { MailService } from '../mail/index.ts';
import { WebhookSubscription, type DeliveryStatus, type DisabledReason } from './webhooks.entity.ts';
import { createSecretBox, type SecretBox } from './webhooks.crypto.ts';
import { generateSecret, SECRET_PREFIX, signatureHeader } from '../../platform/standard-webhooks.ts';
import { postWebhook, urlProblem, type PostResult } from './webhooks.target.ts';

type SubscriptionRow = InferEntity<typeof WebhookSubscription>;

declare module '@laurel/plugin-sdk' {
  interface LaurelEvents {
    /** A webhook subscription was turned off after persistent failure (monitoring may subscribe to this). */
    'webhooks.subscription.disabled': { subscriptionId: string; url: string; reason: 'failing'; consecutiveFailures: number; failingSince: string };
  }
}

/**
 * The event types a subscription may name: domain events of `LaurelEvents` meant for the outside world (the
 * `satisfies` keeps each one a real event name). Internal plumbing is left out on purpose: `mail.message.requested`
 * carries addresses and template parameters, `system.workflow.*` and `partners.import.requested` are job triggers.
 */
export const WEBHOOK_EVENT_TYPES = ['earning.event.processed', 'webhooks.subscription.disabled'] as const satisfies readonly EventName[];
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** The type of the test message an admin sends to check a receiver (not a domain event). */
export const TEST_EVENT_TYPE = 'webhooks.test';

/** Options under `plugins.webhooks.options` (see the module's config schema for the defaults). */
export interface WebhookOptions {
  allowHttp: boolean;
  allowPrivateTargets: boolean;
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  disableAfterFailures: number;
  disableAfterHours: number;
  pollIntervalMs: number;
  batchSize: number;
  /** 64 hex characters: seal signing secrets at rest (AES-256-GCM); null stores them as they are. */
  secretKey: string | null;
  /** Delivered and failed deliveries older than this many days are removed with their attempts. */
  retentionDays: number;
}

export interface SubscriptionView {
  id: string;
  url: string;
  description: string;
  eventTypes: string[];
  enabled: boolean;
  disabledReason: DisabledReason | null;
  disabledAt: string | null;
  /** The first characters of the current secret, to tell secrets apart (never the secret). */
  secretHint: string;
  secretRotatedAt: string | null;
  /** While set and in the future, the previous secret signs too. */
  previousSecretExpiresAt: string | null;
  consecutiveFailures: number;
  failingSince: string | null;
  lastSuccessAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryView {
  id: string;
  subscriptionId: string;
  url: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  replays: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface AttemptView {
  number: number;
  trigger: 'automatic' | 'replay';
  startedAt: string;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  ok: boolean;
}

export interface SubscriptionInput {
  url: string;
  eventTypes: string[];
  description?: string;
  enabled?: boolean;
}

export type SubscriptionPatch = Partial<SubscriptionInput>;

export interface DeliveryQuery {
  subscriptionId?: string;
  status?: DeliveryStatus;
  eventType?: string;
  limit: number;
  before?: string;
}

export interface DeliverResult {
  delivered: number;
  retried: number;
  failed: number;
  disabled: number;
}

const MAX_OVERLAP_HOURS = 168;
const HOUR_MS = 3_600_000;

function bad(code: string, field: string, params: Record<string, unknown> = {}): AppError {
  return new AppError(code, 400, { params, fields: [{ field, messageKey: `errors.${code}`, params }] });
}

const iso = (d: Date | string | null | undefined): string | null => (d == null ? null : new Date(d).toISOString());

function subscriptionView(s: SubscriptionRow, box: SecretBox): SubscriptionView {
  let secretHint = '…';
  try {
    secretHint = `${box.open(s.id, s.secret).slice(0, SECRET_PREFIX.length + 4)}…`;
  } catch {
    // Sealed under a key that is not configured: the list still shows the subscription.
  }
  return {
    id: s.id,
    url: s.url,
    description: s.description,
    eventTypes: [...s.eventTypes],
    enabled: s.enabled,
    disabledReason: s.disabledReason ?? null,
    disabledAt: iso(s.disabledAt),
    secretHint,
    secretRotatedAt: iso(s.secretRotatedAt),
    previousSecretExpiresAt: s.previousSecretExpiresAt && s.previousSecretExpiresAt > new Date() ? s.previousSecretExpiresAt.toISOString() : null,
    consecutiveFailures: s.consecutiveFailures,
    failingSince: iso(s.failingSince),
    lastSuccessAt: iso(s.lastSuccessAt),
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

interface DeliveryRow {
  id: string;
  subscription_id: string;
  url: string;
  event_id: string;
  event_type: string;
  body?: string;
  status: DeliveryStatus;
  attempts: number;
  replays: number;
  next_attempt_at: Date | string;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

function deliveryView(d: DeliveryRow): DeliveryView {
  return {
    id: d.id,
    subscriptionId: d.subscription_id,
    url: d.url,
    eventId: d.event_id,
    eventType: d.event_type,
    status: d.status,
    attempts: d.attempts,
    replays: d.replays,
    nextAttemptAt: d.status === 'pending' ? iso(d.next_attempt_at) : null,
    lastStatusCode: d.last_status_code,
    lastError: d.last_error,
    deliveredAt: iso(d.delivered_at),
    createdAt: iso(d.created_at)!,
    updatedAt: iso(d.updated_at)!,
  };
}

const DELIVERY_COLUMNS = `d.id, d.subscription_id, s.url, d.event_id, d.event_type, d.status, d.attempts, d.replays, d.next_attempt_at,
  d.last_status_code, d.last_error, d.delivered_at, d.created_at, d.updated_at`;

export interface WebhookDeps {
  audit: () => AuditService;
  mail: () => MailService;
  access: () => AccessService;
  /** Whether these roles hold `webhooks:manage` (who is told of an automatic disabling). */
  canManage: (roles: readonly string[]) => boolean;
  options: WebhookOptions;
}

/** Run `work` in one transaction on the context's entity manager, so raw statements, audit records and events commit together. */
async function inTransaction<T>(ctx: RequestContext, work: () => Promise<T>): Promise<T> {
  if (ctx.em.isInTransaction()) return work();
  await ctx.em.begin();
  try {
    const result = await work();
    await ctx.em.commit();
    return result;
  } catch (error) {
    await ctx.em.rollback();
    ctx.em.clear();
    throw error;
  }
}

/**
 * Outbound webhooks. A listener per event type (`fanOut`) turns each outbox event into one delivery row per enabled
 * subscription naming its type (idempotent on event id + subscription); the background worker (`deliverDue`) claims
 * due deliveries with `FOR UPDATE SKIP LOCKED`, POSTs them signed, logs every attempt and schedules retries.
 */
export function createWebhookService(deps: WebhookDeps) {
  const { options } = deps;
  const box = createSecretBox(options.secretKey);
  const view = (s: SubscriptionRow) => subscriptionView(s, box);

  function checkUrl(url: string): string {
    const problem = urlProblem(url, options);
    if (problem) throw bad(problem, '/body/url', { url });
    return new URL(url).href;
  }

  function checkEventTypes(types: string[]): string[] {
    types.forEach((type, i) => {
      if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(type)) throw bad('WEBHOOKS_EVENT_TYPE_UNKNOWN', `/body/eventTypes/${i}`, { type, known: WEBHOOK_EVENT_TYPES.join(', ') });
    });
    return [...new Set(types)];
  }

  /**
   * Webhooks carry every program's events, and the log shows their bodies: an admin limited to some programs would see
   * the others' through them, so only people (and keys) who see every program manage webhooks.
   */
  function requireAllPrograms(ctx: RequestContext): void {
    const actor = ctx.actor;
    if ((actor.kind === 'user' && actor.programIds !== null) || (actor.kind === 'api-key' && actor.programId !== null)) {
      throw new AppError('WEBHOOKS_ALL_PROGRAMS_ONLY', 403);
    }
  }

  async function load(ctx: RequestContext, id: string): Promise<SubscriptionRow> {
    const row = await ctx.em.findOne(WebhookSubscription, { id }, { refresh: true });
    if (!row) throw new AppError('WEBHOOKS_SUBSCRIPTION_NOT_FOUND', 404, { params: { id } });
    return row;
  }

  async function deliveryRow(ctx: RequestContext, id: string): Promise<DeliveryRow> {
    const [row] = await ctx.em.execute<DeliveryRow[]>(`select ${DELIVERY_COLUMNS}, d.body from webhook_delivery d join webhook_subscription s on s.id = d.subscription_id where d.id = ?`, [id]);
    if (!row) throw new AppError('WEBHOOKS_DELIVERY_NOT_FOUND', 404, { params: { id } });
    return row;
  }

  /** Tell every active admin who manages webhooks, in their language; the audit record says it too. */
  async function announceDisabled(ctx: RequestContext, s: { id: string; url: string; description: string; consecutive_failures: number; failing_since: Date | string }): Promise<void> {
    const failingSince = new Date(s.failing_since);
    deps.audit().record(ctx, {
      action: 'webhooks.subscription.auto-disabled',
      subjectType: 'webhook-subscription',
      subjectId: s.id,
      data: { url: s.url, consecutiveFailures: s.consecutive_failures, failingSince: failingSince.toISOString(), rule: { failures: options.disableAfterFailures, hours: options.disableAfterHours } },
    });
    ctx.emit('webhooks.subscription.disabled', { subscriptionId: s.id, url: s.url, reason: 'failing', consecutiveFailures: s.consecutive_failures, failingSince: failingSince.toISOString() });
    const admins = (await deps.access().listUsers(ctx, { kind: 'admin' })).filter((u) => u.status === 'active' && deps.canManage(u.roles));
    for (const admin of admins) {
      deps.mail().send(ctx, {
        to: admin.email,
        locale: admin.locale,
        template: 'webhooks:subscriptionDisabled',
        params: { url: s.url, description: s.description || '—', failures: s.consecutive_failures, since: failingSince },
      });
    }
  }

  interface Claimed {
    id: string;
    subscription_id: string;
    body: string;
    attempts: number;
    replays: number;
  }

  /** Record one attempt's outcome: the log row, the delivery's state, the subscription's failure streak. */
  async function record(ctx: RequestContext, claimed: Claimed, startedAt: Date, result: PostResult, totals: DeliverResult): Promise<void> {
    const ok = result.error === null && result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const trigger = claimed.replays > 0 ? 'replay' : 'automatic';
    if (ok) {
      // The common case in one statement (one round trip, atomic): the subscription row is written (and locked) only
      // when its failure streak ends, or to refresh last_success_at at most every few seconds.
      await ctx.em.execute(
        `with attempt as (
           insert into webhook_attempt (id, delivery_id, number, trigger, started_at, duration_ms, status_code, error, response_body, ok)
           select ?, ?, coalesce(max(number), 0) + 1, ?, ?, ?, ?, null, ?, true from webhook_attempt where delivery_id = ?
         ), delivery as (
           update webhook_delivery set status = 'delivered', delivered_at = now(), last_status_code = ?, last_error = null, updated_at = now() where id = ?
         )
         update webhook_subscription set consecutive_failures = 0, failing_since = null, last_success_at = now(), updated_at = now()
          where id = ? and (consecutive_failures > 0 or last_success_at is null or last_success_at < now() - interval '5 seconds')`,
        [uuidv7(), claimed.id, trigger, startedAt, result.durationMs, result.statusCode, result.responseBody, claimed.id, result.statusCode, claimed.id, claimed.subscription_id],
      );
      totals.delivered += 1;
      return;
    }
    await inTransaction(ctx, async () => {
      await ctx.em.execute(
        `insert into webhook_attempt (id, delivery_id, number, trigger, started_at, duration_ms, status_code, error, response_body, ok)
         select ?, ?, coalesce(max(number), 0) + 1, ?, ?, ?, ?, ?, ?, ? from webhook_attempt where delivery_id = ?`,
        [uuidv7(), claimed.id, trigger, startedAt, result.durationMs, result.statusCode, result.error, result.responseBody, false, claimed.id],
      );
      const [sub] = await ctx.em.execute<{ id: string; url: string; description: string; enabled: boolean; consecutive_failures: number; failing_since: Date | string | null }[]>(
        `select id, url, description, enabled, consecutive_failures, failing_since from webhook_subscription where id = ? for update`,
        [claimed.subscription_id],
      );
      const lastError = result.error ?? `HTTP ${result.statusCode}`;
      if (claimed.attempts >= options.maxAttempts) {
        await ctx.em.execute(`update webhook_delivery set status = 'failed', last_status_code = ?, last_error = ?, updated_at = now() where id = ?`, [result.statusCode, lastError, claimed.id]);
        totals.failed += 1;
      } else {
        const delay = retryDelayMs(claimed.attempts, options);
        await ctx.em.execute(
          `update webhook_delivery set last_status_code = ?, last_error = ?, next_attempt_at = now() + (? * interval '1 millisecond'), updated_at = now() where id = ?`,
          [result.statusCode, lastError, delay, claimed.id],
        );
        totals.retried += 1;
      }
      if (!sub) return;
      const failures = sub.consecutive_failures + 1;
      const since = sub.failing_since ? new Date(sub.failing_since) : startedAt;
      const persistent = failures >= options.disableAfterFailures && Date.now() - since.getTime() >= options.disableAfterHours * HOUR_MS;
      const disable = sub.enabled && persistent;
      await ctx.em.execute(
        `update webhook_subscription set consecutive_failures = ?, failing_since = ?, updated_at = now()
           ${disable ? `, enabled = false, disabled_reason = 'failing', disabled_at = now()` : ''} where id = ?`,
        [failures, since, claimed.subscription_id],
      );
      if (disable) {
        await announceDisabled(ctx, { ...sub, consecutive_failures: failures, failing_since: since });
        await ctx.em.flush();
        totals.disabled += 1;
      }
    });
  }

  const service = {
    eventTypes(ctx: RequestContext): { type: WebhookEventType; description: string }[] {
      return WEBHOOK_EVENT_TYPES.map((type) => ({ type, description: ctx.t(`webhooks:eventTypes.${type}`) }));
    },

    async listSubscriptions(ctx: RequestContext): Promise<SubscriptionView[]> {
      requireAllPrograms(ctx);
      const rows = await ctx.em.find(WebhookSubscription, {}, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 1000, refresh: true });
      return rows.map(view);
    },

    async getSubscription(ctx: RequestContext, id: string): Promise<SubscriptionView> {
      requireAllPrograms(ctx);
      return view(await load(ctx, id));
    },

    /** The secret is in this answer only. */
    async createSubscription(ctx: RequestContext, input: SubscriptionInput): Promise<{ subscription: SubscriptionView; secret: string }> {
      requireAllPrograms(ctx);
      const url = checkUrl(input.url.trim());
      const eventTypes = checkEventTypes(input.eventTypes);
      const now = new Date();
      const enabled = input.enabled ?? true;
      const id = uuidv7();
      const secret = generateSecret();
      const row = ctx.em.create(WebhookSubscription, {
        id,
        url,
        description: (input.description ?? '').trim(),
        eventTypes,
        enabled,
        disabledReason: enabled ? null : 'manual',
        disabledAt: enabled ? null : now,
        secret: box.seal(id, secret),
        previousSecret: null,
        previousSecretExpiresAt: null,
        secretRotatedAt: null,
        consecutiveFailures: 0,
        failingSince: null,
        lastSuccessAt: null,
        createdAt: now,
        updatedAt: now,
      });
      ctx.em.persist(row);
      deps.audit().record(ctx, { action: 'webhooks.subscription.created', subjectType: 'webhook-subscription', subjectId: row.id, data: { after: view(row) } });
      await ctx.em.flush();
      return { subscription: view(row), secret };
    },

    /** Change the URL, event types, description, or turn it off and on (on again clears the failure streak). */
    async updateSubscription(ctx: RequestContext, id: string, patch: SubscriptionPatch): Promise<SubscriptionView> {
      requireAllPrograms(ctx);
      const row = await load(ctx, id);
      const before = view(row);
      if (patch.url !== undefined) row.url = checkUrl(patch.url.trim());
      if (patch.eventTypes !== undefined) row.eventTypes = checkEventTypes(patch.eventTypes);
      if (patch.description !== undefined) row.description = patch.description.trim();
      if (patch.enabled !== undefined && patch.enabled !== row.enabled) {
        row.enabled = patch.enabled;
        row.disabledReason = patch.enabled ? null : 'manual';
        row.disabledAt = patch.enabled ? null : new Date();
        if (patch.enabled) {
          row.consecutiveFailures = 0;
          row.failingSince = null;
        }
      }
      row.updatedAt = new Date();
      const after = view(row);
      const action = before.enabled !== after.enabled ? (after.enabled ? 'webhooks.subscription.enabled' : 'webhooks.subscription.disabled') : 'webhooks.subscription.updated';
      deps.audit().record(ctx, { action, subjectType: 'webhook-subscription', subjectId: row.id, data: { before, after } });
      await ctx.em.flush();
      return after;
    },

    /**
     * A new secret, returned once. For `overlapHours` (default 24, at most a week) the previous secret signs as
     * well, so receivers can switch over without losing a message; a rotation during an overlap drops the oldest.
     */
    async rotateSecret(ctx: RequestContext, id: string, input: { overlapHours?: number }): Promise<{ subscription: SubscriptionView; secret: string }> {
      requireAllPrograms(ctx);
      const overlapHours = input.overlapHours ?? 24;
      if (!Number.isInteger(overlapHours) || overlapHours < 0 || overlapHours > MAX_OVERLAP_HOURS) throw bad('WEBHOOKS_OVERLAP_INVALID', '/body/overlapHours', { max: MAX_OVERLAP_HOURS });
      const row = await load(ctx, id);
      const now = new Date();
      row.previousSecret = overlapHours > 0 ? row.secret : null;
      row.previousSecretExpiresAt = overlapHours > 0 ? new Date(now.getTime() + overlapHours * HOUR_MS) : null;
      const secret = generateSecret();
      row.secret = box.seal(row.id, secret);
      row.secretRotatedAt = now;
      row.updatedAt = now;
      const after = view(row);
      deps.audit().record(ctx, { action: 'webhooks.subscription.secret-rotated', subjectType: 'webhook-subscription', subjectId: row.id, data: { overlapHours, previousSecretExpiresAt: after.previousSecretExpiresAt, secretHint: after.secretHint } });
      await ctx.em.flush();
      return { subscription: after, secret };
    },

    async listDeliveries(ctx: RequestContext, query: DeliveryQuery): Promise<{ items: DeliveryView[]; nextBefore: string | null }> {
      requireAllPrograms(ctx);
      const where: string[] = [];
      const params: unknown[] = [];
      const filters: [string, unknown][] = [
        ['d.subscription_id = ?', query.subscriptionId],
        ['d.status = ?', query.status],
        ['d.event_type = ?', query.eventType],
        ['d.id < ?', query.before],
      ];
      for (const [condition, value] of filters) {
        if (value === undefined) continue;
        where.push(condition);
        params.push(value);
      }
      const rows = await ctx.em.execute<DeliveryRow[]>(
        `select ${DELIVERY_COLUMNS} from webhook_delivery d join webhook_subscription s on s.id = d.subscription_id
          ${where.length ? `where ${where.join(' and ')}` : ''} order by d.id desc limit ?`,
        [...params, query.limit + 1],
      );
      const page = rows.slice(0, query.limit);
      return { items: page.map(deliveryView), nextBefore: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null };
    },

    /** A delivery with the exact body it sends and every attempt, oldest first. */
    async getDelivery(ctx: RequestContext, id: string): Promise<DeliveryView & { body: string; attemptLog: AttemptView[] }> {
      requireAllPrograms(ctx);
      const row = await deliveryRow(ctx, id);
      const attempts = await ctx.em.execute<{ number: number; trigger: 'automatic' | 'replay'; started_at: Date; duration_ms: number; status_code: number | null; error: string | null; response_body: string | null; ok: boolean }[]>(
        `select number, trigger, started_at, duration_ms, status_code, error, response_body, ok from webhook_attempt where delivery_id = ? order by number`,
        [id],
      );
      return {
        ...deliveryView(row),
        body: row.body ?? '',
        attemptLog: attempts.map((a) => ({ number: a.number, trigger: a.trigger, startedAt: iso(a.started_at)!, durationMs: a.duration_ms, statusCode: a.status_code, error: a.error, responseBody: a.response_body, ok: a.ok })),
      };
    },

    /** Send a delivery again, whatever its state: a new run of attempts starting now, with the same `webhook-id`. */
    async replay(ctx: RequestContext, id: string): Promise<DeliveryView> {
      requireAllPrograms(ctx);
      const row = await deliveryRow(ctx, id);
      const sub = await load(ctx, row.subscription_id);
      if (!sub.enabled) throw new AppError('WEBHOOKS_SUBSCRIPTION_DISABLED', 409, { params: { id: sub.id } });
      return inTransaction(ctx, async () => {
        await ctx.em.execute(`update webhook_delivery set status = 'pending', attempts = 0, replays = replays + 1, next_attempt_at = now(), updated_at = now() where id = ?`, [id]);
        deps.audit().record(ctx, { action: 'webhooks.delivery.replayed', subjectType: 'webhook-delivery', subjectId: id, data: { subscriptionId: sub.id, eventId: row.event_id, eventType: row.event_type, previousStatus: row.status } });
        await ctx.em.flush();
        return deliveryView(await deliveryRow(ctx, id));
      });
    },

    /**
     * Queue a test message for a subscription (type `webhooks.test`, not a domain event): it goes through the worker,
     * signing, retries and the log like any delivery, so an admin can check a receiver before real events flow.
     */
    async sendTest(ctx: RequestContext, id: string): Promise<DeliveryView> {
      requireAllPrograms(ctx);
      const sub = await load(ctx, id);
      if (!sub.enabled) throw new AppError('WEBHOOKS_SUBSCRIPTION_DISABLED', 409, { params: { id: sub.id } });
      const deliveryId = uuidv7();
      const eventId = uuidv7();
      const body = JSON.stringify({ type: TEST_EVENT_TYPE, timestamp: new Date().toISOString(), eventId, data: { subscriptionId: sub.id, message: 'A test message from Laurel: answer 2xx; nothing else to do.' } });
      return inTransaction(ctx, async () => {
        await ctx.em.execute(
          `insert into webhook_delivery (id, subscription_id, event_id, event_type, body, status, attempts, replays, next_attempt_at, created_at, updated_at)
           values (?, ?, ?, ?, ?, 'pending', 0, 0, now(), now(), now())`,
          [deliveryId, sub.id, eventId, TEST_EVENT_TYPE, body],
        );
        deps.audit().record(ctx, { action: 'webhooks.subscription.test-sent', subjectType: 'webhook-subscription', subjectId: sub.id, data: { deliveryId } });
        await ctx.em.flush();
        return deliveryView(await deliveryRow(ctx, deliveryId));
      });
    },

    /**
     * The outbox listener: one delivery per enabled subscription that names the event's type and existed when the
     * event happened. A redelivered event inserts nothing new (unique event id + subscription).
     */
    async fanOut(ctx: RequestContext, event: DeliveredEvent): Promise<number> {
      const body = JSON.stringify({ type: event.name, timestamp: event.occurredAt.toISOString(), eventId: event.id, data: event.payload });
      // One statement whatever the number of subscriptions (PostgreSQL 18's uuidv7() keeps the ids time-ordered).
      const rows = await ctx.em.execute<{ id: string }[]>(
        `insert into webhook_delivery (id, subscription_id, event_id, event_type, body, status, attempts, replays, next_attempt_at, created_at, updated_at)
         select uuidv7(), s.id, ?, ?, ?, 'pending', 0, 0, now(), now(), now() from webhook_subscription s
          where s.enabled and ? = any(s.event_types) and s.created_at <= ?
         on conflict (event_id, subscription_id) do nothing returning id`,
        [event.id, event.name, body, event.name, event.occurredAt],
      );
      return rows.length;
    },

    /**
     * Remove delivered and failed deliveries older than `retentionDays`, with their attempts, a batch at a time
     * (pending ones stay, whatever their age). Returns how many deliveries went.
     */
    async prune(ctx: RequestContext, batch = 5000): Promise<number> {
      let removed = 0;
      for (;;) {
        const rows = await ctx.em.execute<{ n: number }[]>(
          `with old as (
             select id from webhook_delivery
              where status in ('delivered', 'failed') and created_at < now() - (? * interval '1 day')
              order by created_at limit ? for update skip locked
           ), attempts as (
             delete from webhook_attempt a using old where a.delivery_id = old.id
           ), gone as (
             delete from webhook_delivery d using old where d.id = old.id returning 1
           )
           select count(*)::int as n from gone`,
          [options.retentionDays, batch],
        );
        const n = rows[0]?.n ?? 0;
        removed += n;
        if (n < batch) return removed;
      }
    },

    /** Claim due deliveries of enabled subscriptions and send them (each replica may run this; claims are leased). */
    async deliverDue(ctx: RequestContext, limit = options.batchSize): Promise<DeliverResult> {
      const totals: DeliverResult = { delivered: 0, retried: 0, failed: 0, disabled: 0 };
      const leaseMs = options.timeoutMs + 60_000;
      const claimed = await inTransaction(ctx, () =>
        ctx.em.execute<Claimed[]>(
          `with picked as (
             select d.id from webhook_delivery d join webhook_subscription s on s.id = d.subscription_id
              where d.status = 'pending' and d.next_attempt_at <= now() and s.enabled
              order by d.next_attempt_at, d.id limit ?
              for update of d skip locked
           )
           update webhook_delivery d set attempts = d.attempts + 1, next_attempt_at = now() + (? * interval '1 millisecond'), updated_at = now()
             from picked where d.id = picked.id
           returning d.id, d.subscription_id, d.body, d.attempts, d.replays`,
          [limit, leaseMs],
        ),
      );
      if (claimed.length === 0) return totals;
      const ids = [...new Set(claimed.map((c) => c.subscription_id))];
      const subs = new Map((await ctx.em.find(WebhookSubscription, { id: { $in: ids } }, { refresh: true })).map((s) => [s.id, s]));
      const results = await Promise.all(
        claimed.map(async (c) => {
          const sub = subs.get(c.subscription_id)!;
          const startedAt = new Date();
          const timestamp = Math.floor(startedAt.getTime() / 1000);
          const stored = [sub.secret, ...(sub.previousSecret && sub.previousSecretExpiresAt && sub.previousSecretExpiresAt > startedAt ? [sub.previousSecret] : [])];
          let secrets: string[];
          try {
            secrets = stored.map((s) => box.open(sub.id, s));
          } catch (error) {
            // Sealed under a key this server does not have (or damaged): a failed attempt the log shows, not a crash.
            ctx.log.error({ err: error, subscription: sub.id }, 'webhook secret cannot be opened');
            return { c, startedAt, result: { statusCode: null, durationMs: 0, responseBody: null, error: 'secret-unavailable' } satisfies PostResult };
          }
          const headers = { 'webhook-id': c.id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signatureHeader(secrets, c.id, timestamp, c.body) };
          const result = await postWebhook(sub.url, headers, c.body, { timeoutMs: options.timeoutMs, allowPrivateTargets: options.allowPrivateTargets });
          return { c, startedAt, result };
        }),
      );
      for (const { c, startedAt, result } of results) {
        try {
          await record(ctx, c, startedAt, result, totals);
        } catch (error) {
          // The lease runs out and the delivery is tried again: at least once.
          ctx.log.error({ err: error, delivery: c.id }, 'webhook attempt could not be recorded');
        }
      }
      ctx.log.info({ ...totals, claimed: claimed.length }, 'webhook deliveries sent');
      return totals;
    },
  };
  return service;
}

export type WebhookService = ReturnType<typeof createWebhookService>;
export const webhookServiceRef = createServiceRef<WebhookService>('webhooks.service');
