import { createHash } from 'node:crypto';
import { AppError, createSecretBox, PARTNER_SCOPE_FILTER, PROGRAM_SCOPE_FILTER, type PartnerScopeArgs, type ProgramScopeArgs, describeActor, generateWebhookSecret, verifyWebhook, WEBHOOK_SECRET_PREFIX, type AuditTrail, type EarningInbox, type InboxOutcome, type InboxProblem, type RequestContext } from '@laurel/plugin-sdk';
import { applyMapping, checkMapping, presetById, type Mapping, type MappingProblem } from './mapping.ts';

/*
 * Signed webhooks in. A source belongs to a program and has its own signing secret (Standard Webhooks), its mapping
 * (data) from the sender's JSON to one canonical event, and a delivery log. A delivery is verified (signature with the
 * current secret, or the previous one until the expiry the admin set; timestamp within ±5 minutes), mapped, checked
 * against the canonical schema and sent to the earning inbox. A `webhook-id` already taken (posted, or being
 * processed) in the source is answered as a replay with the first answer, never processed twice.
 */

export const TOLERANCE_SECONDS = 300;
/** The largest body a webhook may carry. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;
/** The longest an old secret may be kept after a rotation. */
export const MAX_OVERLAP_DAYS = 30;

export type DeliveryResult = 'processing' | 'posted' | 'refused' | 'rejected' | 'ignored' | 'unauthorized' | 'replayed' | 'failed';
export const DELIVERY_RESULTS: DeliveryResult[] = ['processing', 'posted', 'refused', 'rejected', 'ignored', 'unauthorized', 'replayed', 'failed'];

interface SourceRow {
  id: string;
  program_id: string;
  name: string;
  event_source: string;
  preset: string | null;
  mapping: Mapping;
  enabled: boolean;
  secret: string;
  secret_hint: string;
  previous_secret: string | null;
  previous_secret_hint: string | null;
  previous_secret_expires_at: Date | string | null;
  secret_rotated_at: Date | string | null;
  last_delivery_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

interface DeliveryRow {
  id: string;
  source_id: string;
  webhook_id: string | null;
  webhook_timestamp: string | null;
  received_at: Date | string;
  result: DeliveryResult;
  http_status: number;
  secret_used: 'current' | 'previous' | null;
  error: DeliveryError | null;
  event: Record<string, unknown> | null;
  outcome: Record<string, unknown> | null;
  body_sha256: string | null;
  body_excerpt: string | null;
  replay_of: string | null;
}

/** Why a delivery was not posted: a code, the reason in English, and the field when one is to blame. */
export interface DeliveryError {
  code: string;
  reason: string;
  /** The body's JSON Pointer to blame (`/properties/amount`), when known. */
  field: string | null;
  /** The canonical event's field (`/amount`), when known. */
  eventField: string | null;
  problems?: MappingProblem[];
  /** The canonical schema's message, in the sender's language. */
  message?: string;
}

export interface SourceView {
  id: string;
  programId: string;
  name: string;
  eventSource: string;
  preset: string | null;
  mapping: Mapping;
  enabled: boolean;
  /** The path the sender posts to. */
  path: string;
  /** The first characters of the current secret, to tell secrets apart (never the secret). */
  secretHint: string;
  secretRotatedAt: string | null;
  /** While set and in the future, the previous secret is accepted too. */
  previousSecretHint: string | null;
  previousSecretExpiresAt: string | null;
  secretsSealed: boolean;
  lastDeliveryAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryView {
  id: string;
  sourceId: string;
  webhookId: string | null;
  webhookTimestamp: number | null;
  receivedAt: string;
  result: DeliveryResult;
  httpStatus: number;
  secretUsed: 'current' | 'previous' | null;
  error: DeliveryError | null;
  event: Record<string, unknown> | null;
  outcome: Record<string, unknown> | null;
  bodySha256: string | null;
  bodyExcerpt: string | null;
  replayOf: string | null;
}

export interface SourceInput {
  programId: string;
  name: string;
  eventSource: string;
  preset?: string;
  mapping?: unknown;
}

export interface SourcePatch {
  name?: string;
  eventSource?: string;
  mapping?: unknown;
  enabled?: boolean;
}

/** What a webhook request is answered with (200), or the problem thrown. */
export interface ReceiveAnswer {
  deliveryId: string;
  result: 'posted' | 'ignored';
  replayed: boolean;
  /** The inbox's answer for the event (posted), or null (ignored). */
  event: InboxOutcome | null;
}

export interface WebhookSourceService {
  create(ctx: RequestContext, input: SourceInput): Promise<{ source: SourceView; secret: string }>;
  list(ctx: RequestContext, query: { programId?: string }): Promise<SourceView[]>;
  get(ctx: RequestContext, id: string): Promise<SourceView>;
  update(ctx: RequestContext, id: string, patch: SourcePatch): Promise<SourceView>;
  /** A new secret, returned once; the previous one is accepted until `previousSecretExpiresAt` (now or later, at most 30 days). */
  rotateSecret(ctx: RequestContext, id: string, input: { previousSecretExpiresAt: string }): Promise<{ source: SourceView; secret: string }>;
  /** The delivery log of one source (or, with null, of every source the caller sees), newest first. */
  deliveries(ctx: RequestContext, id: string | null, query: { result?: DeliveryResult; limit: number; before?: string }): Promise<{ items: (DeliveryView & { sourceName: string })[]; nextBefore: string | null }>;
  /** Try a mapping on a body without posting anything. */
  tryMapping(ctx: RequestContext, id: string, body: unknown): Promise<{ result: 'event' | 'ignored' | 'failed'; event: Record<string, unknown> | null; error: DeliveryError | null }>;
  receive(ctx: RequestContext, sourceId: string, headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<ReceiveAnswer>;
  prune(ctx: RequestContext, days: number): Promise<number>;
}

const iso = (d: Date | string | null): string | null => (d === null ? null : (d instanceof Date ? d : new Date(d)).toISOString());
const json = (value: unknown) => JSON.stringify(value).replaceAll('\\u0000', '');
const SOURCE_COLUMNS = 'id, program_id, name, event_source, preset, mapping, enabled, secret, secret_hint, previous_secret, previous_secret_hint, previous_secret_expires_at, secret_rotated_at, last_delivery_at, created_at, updated_at';
const DELIVERY_COLUMNS = 'id, source_id, webhook_id, webhook_timestamp::text, received_at, result, http_status, secret_used, error, event, outcome, body_sha256, body_excerpt, replay_of';
const hintOf = (secret: string) => `${secret.slice(0, WEBHOOK_SECRET_PREFIX.length + 4)}…`;
const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

function field(code: string, at: string, params: Record<string, unknown> = {}, status = 400): AppError {
  return new AppError(code, status, { params, fields: [{ field: at, messageKey: `errors.${code}`, params }] });
}

/** Programs an admin is limited to (null: every program). */
function scopeOf(ctx: RequestContext): string[] | null {
  const a = ctx.actor;
  if (a.kind === 'user') return a.programIds;
  if (a.kind === 'api-key') return a.programId ? [a.programId] : null;
  return null;
}

function deliveryView(r: DeliveryRow): DeliveryView {
  return {
    id: r.id,
    sourceId: r.source_id,
    webhookId: r.webhook_id,
    webhookTimestamp: r.webhook_timestamp === null ? null : Number(r.webhook_timestamp),
    receivedAt: iso(r.received_at)!,
    result: r.result,
    httpStatus: r.http_status,
    secretUsed: r.secret_used,
    error: r.error,
    event: r.event,
    outcome: r.outcome,
    bodySha256: r.body_sha256,
    bodyExcerpt: r.body_excerpt,
    replayOf: r.replay_of,
  };
}

export function createWebhookSourceService(deps: { inbox: () => EarningInbox; audit: () => AuditTrail; secretKey: string | null }): WebhookSourceService {
  const box = createSecretBox(deps.secretKey);

  function view(r: SourceRow): SourceView {
    const expires = r.previous_secret_expires_at === null ? null : new Date(r.previous_secret_expires_at);
    const overlapping = r.previous_secret !== null && expires !== null && expires.getTime() > Date.now();
    return {
      id: r.id,
      programId: r.program_id,
      name: r.name,
      eventSource: r.event_source,
      preset: r.preset,
      mapping: r.mapping,
      enabled: r.enabled,
      path: `/api/v1/erp-connectors/webhooks/${r.id}`,
      secretHint: r.secret_hint,
      secretRotatedAt: iso(r.secret_rotated_at),
      previousSecretHint: overlapping ? r.previous_secret_hint : null,
      previousSecretExpiresAt: overlapping ? iso(expires) : null,
      secretsSealed: r.secret.startsWith('sealed.'),
      lastDeliveryAt: iso(r.last_delivery_at),
      createdAt: iso(r.created_at)!,
      updatedAt: iso(r.updated_at)!,
    };
  }

  async function byId(ctx: RequestContext, id: string, lock = false): Promise<SourceRow> {
    const scope = scopeOf(ctx);
    const [row] = await ctx.em.execute<SourceRow[]>(`select ${SOURCE_COLUMNS} from erp_webhook_source where id = ? and (?::uuid[] is null or program_id = any(?::uuid[]))${lock ? ' for update' : ''}`, [id, scope, scope]);
    if (!row) throw new AppError('ERP_WEBHOOK_SOURCE_NOT_FOUND', 404, { params: { id } });
    return row;
  }

  function checkedMapping(ctx: RequestContext, mapping: unknown, at: string): Mapping {
    const issues = checkMapping(mapping);
    if (issues.length > 0) {
      const say = (i: (typeof issues)[number]) => ctx.t(`erp-connectors:webhooks.mapping.${i.key}`, { ...i.params, interpolation: { escapeValue: false } });
      throw new AppError('ERP_WEBHOOK_MAPPING_INVALID', 400, {
        params: { reason: say(issues[0]!), part: `${at}${issues[0]!.at}` },
        fields: issues.slice(0, 20).map((i) => ({ field: `${at}${i.at}`, messageKey: 'errors.ERP_WEBHOOK_MAPPING_FIELD', params: { reason: say(i) } })),
      });
    }
    return mapping as Mapping;
  }

  function checkName(name: unknown, at: string): string {
    const text = typeof name === 'string' ? name.trim() : '';
    if (text.length === 0 || text.length > 200) throw field('ERP_WEBHOOK_NAME_INVALID', at);
    return text;
  }

  function checkEventSource(value: unknown, at: string): string {
    if (typeof value !== 'string' || !SOURCE_NAME.test(value)) throw field('ERP_SOURCE_INVALID', at, { source: String(value ?? '').slice(0, 100) });
    return value;
  }

  /** Write one line of the delivery log (its own statement: the log stays whatever the inbox does). */
  async function log(ctx: RequestContext, source: SourceRow, values: Partial<Record<keyof DeliveryRow, unknown>> & { result: DeliveryResult; http_status: number }): Promise<DeliveryRow> {
    const names = Object.keys(values);
    const casts = names.map((n) => (['error', 'event', 'outcome'].includes(n) ? '?::jsonb' : '?'));
    const [row] = await ctx.em.execute<DeliveryRow[]>(
      `with d as (insert into erp_webhook_delivery (source_id, ${names.join(', ')}) values (?, ${casts.join(', ')}) returning ${DELIVERY_COLUMNS}),
            s as (update erp_webhook_source set last_delivery_at = now() where id = ?)
       select * from d`,
      [source.id, ...names.map((n) => (['error', 'event', 'outcome'].includes(n) ? (values[n as keyof DeliveryRow] === null ? null : json(values[n as keyof DeliveryRow])) : values[n as keyof DeliveryRow])), source.id],
    );
    return row!;
  }

  /** A mapping's problems as an error naming the body's field (and the event's). */
  function mappingError(problems: MappingProblem[]): DeliveryError {
    const p = problems[0]!;
    return { code: 'ERP_WEBHOOK_MAPPING_FAILED', reason: `${p.field.slice(1) || 'event'}: ${p.problem}${p.pointer !== null ? ` (from ${p.pointer || '/'})` : ''}`, field: p.pointer, eventField: p.field, problems: problems.slice(0, 50) };
  }

  /** The inbox's validation problem, pointing back at the body's field where the mapping knows it. */
  function validationError(problem: InboxProblem, origins: Record<string, string>): DeliveryError {
    const first = problem.errors?.[0];
    const eventField = first ? first.field.replace(/^\/event/, '') || '/' : null;
    let bodyField: string | null = null;
    if (eventField) {
      // The nearest mapped field at or above the one named: /lines/0/netAmount, then /lines/0, /lines.
      const parts = eventField.split('/');
      for (let n = parts.length; n > 1 && bodyField === null; n -= 1) bodyField = origins[parts.slice(0, n).join('/')] ?? null;
    }
    return { code: 'ERP_WEBHOOK_EVENT_INVALID', reason: first ? `${eventField}: ${first.message}` : problem.detail, message: first?.message ?? problem.detail, field: bodyField, eventField };
  }

  function deliveryProblem(ctx: RequestContext, delivery: DeliveryRow, status: number): AppError {
    const e = delivery.error!;
    const first = e.problems?.[0];
    const problem = first ? ctx.t(`erp-connectors:webhooks.problem.${first.problem}`) : (e.message ?? e.reason);
    const params = { deliveryId: delivery.id, field: e.field ?? '—', eventField: e.eventField ?? '—', problem };
    const fields = e.problems
      ? e.problems.slice(0, 20).map((p) => ({ field: p.pointer !== null ? `/body${p.pointer}` : `/event${p.field}`, messageKey: 'errors.ERP_WEBHOOK_FIELD', params: { eventField: p.field, problem: ctx.t(`erp-connectors:webhooks.problem.${p.problem}`) } }))
      : [{ field: e.field !== null ? `/body${e.field}` : `/event${e.eventField ?? ''}`, messageKey: 'errors.ERP_WEBHOOK_FIELD', params: { eventField: e.eventField ?? '—', problem } }];
    return new AppError(e.code, status, { params, fields });
  }

  return {
    async create(ctx, input) {
      const name = checkName(input.name, '/body/name');
      const eventSource = checkEventSource(input.eventSource, '/body/eventSource');
      let preset: string | null = null;
      let mapping: unknown = input.mapping;
      if (input.preset !== undefined) {
        const p = presetById(input.preset);
        if (!p) throw field('ERP_WEBHOOK_PRESET_UNKNOWN', '/body/preset', { preset: String(input.preset).slice(0, 100) });
        preset = p.id;
        mapping ??= structuredClone(p.mapping);
      }
      if (mapping === undefined) throw field('ERP_WEBHOOK_MAPPING_REQUIRED', '/body/mapping');
      const checked = checkedMapping(ctx, mapping, '/body/mapping');
      const scope = scopeOf(ctx);
      if (scope && !scope.includes(input.programId)) throw field('ERP_WEBHOOK_PROGRAM_OUT_OF_SCOPE', '/body/programId', {}, 403);
      const secret = generateWebhookSecret();
      const row = await ctx.em.transactional(async (em) => {
        const [{ id }] = (await em.execute<{ id: string }[]>(`select uuidv7()::text as id`)) as [{ id: string }];
        const [created] = await em.execute<SourceRow[]>(
          `insert into erp_webhook_source (id, program_id, name, event_source, preset, mapping, secret, secret_hint, created_by) values (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?::jsonb) returning ${SOURCE_COLUMNS}`,
          [id, input.programId, name, eventSource, preset, json(checked), box.seal(id, secret), hintOf(secret), json(describeActor(ctx.actor))],
        );
        deps.audit().record({ ...ctx, em }, { action: 'erp-connectors.webhook-source.created', subjectType: 'erp-webhook-source', subjectId: id, data: { programId: input.programId, name, eventSource, preset, type: checked.type, secretHint: hintOf(secret) } });
        return created!;
      });
      return { source: view(row), secret };
    },

    async list(ctx, query) {
      const scope = scopeOf(ctx);
      const rows = await ctx.em.execute<SourceRow[]>(
        `select ${SOURCE_COLUMNS} from erp_webhook_source where (?::uuid is null or program_id = ?) and (?::uuid[] is null or program_id = any(?::uuid[])) order by created_at desc, id desc limit 500`,
        [query.programId ?? null, query.programId ?? null, scope, scope],
      );
      return rows.map(view);
    },

    async get(ctx, id) {
      return view(await byId(ctx, id));
    },

    async update(ctx, id, patch) {
      const sets: string[] = [];
      const values: unknown[] = [];
      const changed: Record<string, unknown> = {};
      if (patch.name !== undefined) {
        sets.push('name = ?');
        values.push((changed.name = checkName(patch.name, '/body/name')));
      }
      if (patch.eventSource !== undefined) {
        sets.push('event_source = ?');
        values.push((changed.eventSource = checkEventSource(patch.eventSource, '/body/eventSource')));
      }
      if (patch.mapping !== undefined) {
        const m = checkedMapping(ctx, patch.mapping, '/body/mapping');
        sets.push('mapping = ?::jsonb');
        values.push(json(m));
        changed.mapping = m;
      }
      if (patch.enabled !== undefined) {
        sets.push('enabled = ?');
        values.push((changed.enabled = patch.enabled));
      }
      return ctx.em.transactional(async (em) => {
        const tx = { ...ctx, em };
        const before = await byId(tx, id, true);
        if (sets.length === 0) return view(before);
        const [row] = await em.execute<SourceRow[]>(`update erp_webhook_source set ${sets.join(', ')}, updated_at = now() where id = ? returning ${SOURCE_COLUMNS}`, [...values, id]);
        deps.audit().record(tx, { action: 'erp-connectors.webhook-source.updated', subjectType: 'erp-webhook-source', subjectId: id, data: { changed, before: { name: before.name, eventSource: before.event_source, enabled: before.enabled, mapping: 'mapping' in changed ? before.mapping : undefined } } });
        return view(row!);
      });
    },

    async rotateSecret(ctx, id, input) {
      // A date alone is the start of that day (UTC).
      const text = input.previousSecretExpiresAt;
      const expires = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00.000Z` : text);
      const now = Date.now();
      if (Number.isNaN(expires.getTime()) || expires.getTime() > now + MAX_OVERLAP_DAYS * 86_400_000) throw field('ERP_WEBHOOK_EXPIRY_INVALID', '/body/previousSecretExpiresAt', { days: MAX_OVERLAP_DAYS });
      // An expiry in the past means: the old secret stops now.
      const until = new Date(Math.max(expires.getTime(), now));
      const secret = generateWebhookSecret();
      return ctx.em.transactional(async (em) => {
        const tx = { ...ctx, em };
        const before = await byId(tx, id, true);
        const [row] = await em.execute<SourceRow[]>(
          `update erp_webhook_source set previous_secret = secret, previous_secret_hint = secret_hint, previous_secret_expires_at = ?, secret = ?, secret_hint = ?, secret_rotated_at = now(), updated_at = now() where id = ? returning ${SOURCE_COLUMNS}`,
          [until, box.seal(id, secret), hintOf(secret), id],
        );
        deps.audit().record(tx, {
          action: 'erp-connectors.webhook-source.secret-rotated',
          subjectType: 'erp-webhook-source',
          subjectId: id,
          data: { secretHint: hintOf(secret), previousSecretHint: before.secret_hint, previousSecretExpiresAt: until.toISOString() },
        });
        return { source: view(row!), secret };
      });
    },

    async deliveries(ctx, id, query) {
      if (id !== null) await byId(ctx, id);
      const scope = scopeOf(ctx);
      const rows = await ctx.em.execute<(DeliveryRow & { source_name: string })[]>(
        `select ${DELIVERY_COLUMNS.split(', ').map((c) => `d.${c}`).join(', ')}, s.name as source_name
           from erp_webhook_delivery d join erp_webhook_source s on s.id = d.source_id
          where (?::uuid is null or d.source_id = ?) and (?::uuid[] is null or s.program_id = any(?::uuid[]))
            and (?::text is null or d.result = ?) and (?::uuid is null or d.id < ?)
          order by d.id desc limit ?`,
        [id, id, scope, scope, query.result ?? null, query.result ?? null, query.before ?? null, query.before ?? null, query.limit + 1],
      );
      const items = rows.slice(0, query.limit).map((r) => ({ ...deliveryView(r), sourceName: r.source_name }));
      return { items, nextBefore: rows.length > query.limit ? items.at(-1)!.id : null };
    },

    async tryMapping(ctx, id, body) {
      const source = await byId(ctx, id);
      const mapped = applyMapping(source.mapping, body);
      if (mapped.kind === 'ignored') return { result: 'ignored', event: null, error: null };
      if (mapped.kind === 'failed') return { result: 'failed', event: null, error: mappingError(mapped.problems) };
      const event = { ...mapped.event, source: source.event_source, programId: source.program_id };
      const valid = deps.inbox().validate(ctx, event, { prefix: '/event' });
      if (!valid.ok) return { result: 'failed', event, error: validationError(valid.problem, mapped.origins) };
      return { result: 'event', event: valid.event as unknown as Record<string, unknown>, error: null };
    },

    async receive(ctx, sourceId, headers, body) {
      const [source] = await ctx.em.execute<SourceRow[]>(`select ${SOURCE_COLUMNS} from erp_webhook_source where id = ?`, [sourceId]);
      if (!source) throw new AppError('ERP_WEBHOOK_SOURCE_NOT_FOUND', 404, { params: { id: sourceId } });

      // 1. Who sent it: the current secret, or the previous one until its expiry.
      const expires = source.previous_secret_expires_at === null ? 0 : new Date(source.previous_secret_expires_at).getTime();
      const stored = [source.secret, ...(source.previous_secret !== null && expires > Date.now() ? [source.previous_secret] : [])];
      let secrets: string[];
      try {
        secrets = stored.map((s) => box.open(source.id, s));
      } catch (error) {
        ctx.log.error({ err: error, source: source.id }, 'webhook source secret cannot be opened (is secretKey configured?)');
        throw new AppError('ERP_WEBHOOK_SECRET_UNAVAILABLE', 503, { retryable: true });
      }
      const check = verifyWebhook(secrets, headers, body, { toleranceSeconds: TOLERANCE_SECONDS });
      if (!check.ok) {
        const code = { 'headers-missing': 'ERP_WEBHOOK_HEADERS_MISSING', 'timestamp-invalid': 'ERP_WEBHOOK_TIMESTAMP_INVALID', 'timestamp-stale': 'ERP_WEBHOOK_TIMESTAMP_STALE', 'signature-mismatch': 'ERP_WEBHOOK_SIGNATURE_INVALID' }[check.reason];
        const header = check.reason === 'signature-mismatch' ? 'webhook-signature' : check.reason === 'headers-missing' ? 'webhook-id' : 'webhook-timestamp';
        const row = await log(ctx, source, { result: 'unauthorized', http_status: 401, webhook_id: check.id, webhook_timestamp: check.timestamp, error: { code, reason: check.reason, field: null, eventField: null } });
        throw new AppError(code, 401, { params: { deliveryId: row.id, seconds: TOLERANCE_SECONDS }, fields: [{ field: `/headers/${header}`, messageKey: `errors.${code}`, params: { deliveryId: row.id, seconds: TOLERANCE_SECONDS } }] });
      }
      const signed = { webhook_id: check.id, webhook_timestamp: check.timestamp, secret_used: check.secretIndex === 0 ? 'current' : 'previous', body_sha256: createHash('sha256').update(body).digest('hex'), body_excerpt: body.subarray(0, 2000).toString('utf8').toWellFormed().replaceAll('\u0000', '') };

      // 2. Already taken: the first answer, nothing processed again.
      const replay = async (): Promise<ReceiveAnswer | null> => {
        const [first] = await ctx.em.execute<DeliveryRow[]>(`select ${DELIVERY_COLUMNS} from erp_webhook_delivery where source_id = ? and webhook_id = ? and result in ('processing', 'posted') limit 1`, [source.id, check.id]);
        if (!first) return null;
        const row = await log(ctx, source, { ...signed, result: 'replayed', http_status: first.result === 'posted' ? 200 : 409, replay_of: first.id, event: first.event, outcome: first.outcome });
        if (first.result === 'processing') throw new AppError('ERP_WEBHOOK_IN_PROGRESS', 409, { retryable: true, params: { deliveryId: row.id, firstId: first.id } });
        return { deliveryId: first.id, result: 'posted', replayed: true, event: first.outcome as unknown as InboxOutcome };
      };
      const earlier = await replay();
      if (earlier) return earlier;

      if (!source.enabled) {
        const row = await log(ctx, source, { ...signed, result: 'refused', http_status: 409, error: { code: 'ERP_WEBHOOK_SOURCE_DISABLED', reason: 'the source is disabled', field: null, eventField: null } });
        throw new AppError('ERP_WEBHOOK_SOURCE_DISABLED', 409, { params: { deliveryId: row.id } });
      }

      // 3. What it says: JSON, mapped, valid as a canonical event.
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        const row = await log(ctx, source, { ...signed, result: 'rejected', http_status: 400, error: { code: 'ERP_WEBHOOK_BODY_INVALID', reason: 'the body is not JSON', field: '', eventField: null } });
        throw new AppError('ERP_WEBHOOK_BODY_INVALID', 400, { params: { deliveryId: row.id }, fields: [{ field: '/body', messageKey: 'errors.ERP_WEBHOOK_BODY_INVALID', params: { deliveryId: row.id } }] });
      }
      const mapped = applyMapping(source.mapping, parsed);
      if (mapped.kind === 'ignored') {
        const row = await log(ctx, source, { ...signed, result: 'ignored', http_status: 200, error: null });
        return { deliveryId: row.id, result: 'ignored', replayed: false, event: null };
      }
      if (mapped.kind === 'failed') {
        const row = await log(ctx, source, { ...signed, result: 'rejected', http_status: 422, error: mappingError(mapped.problems) });
        throw deliveryProblem(ctx, row, 422);
      }
      const event = { ...mapped.event, source: source.event_source, programId: source.program_id };
      const valid = deps.inbox().validate(ctx, event, { prefix: '/event' });
      if (!valid.ok) {
        const row = await log(ctx, source, { ...signed, result: 'rejected', http_status: 422, event, error: validationError(valid.problem, mapped.origins) });
        throw deliveryProblem(ctx, row, 422);
      }

      // 4. Take the id, then post: a second delivery of the id meanwhile is a replay.
      const [taken] = await ctx.em.execute<DeliveryRow[]>(
        `insert into erp_webhook_delivery (source_id, webhook_id, webhook_timestamp, secret_used, body_sha256, body_excerpt, result, http_status, event)
         values (?, ?, ?, ?, ?, ?, 'processing', 202, ?::jsonb)
         on conflict (source_id, webhook_id) where result in ('processing', 'posted') do nothing returning ${DELIVERY_COLUMNS}`,
        [source.id, signed.webhook_id, signed.webhook_timestamp, signed.secret_used, signed.body_sha256, signed.body_excerpt, json(valid.event)],
      );
      if (!taken) {
        const again = await replay();
        if (again) return again;
        throw new AppError('ERP_WEBHOOK_IN_PROGRESS', 409, { retryable: true, params: { deliveryId: '', firstId: '' } });
      }
      // The sender is no signed-in user: the inbox runs as this source, a system actor seeing every partner of the
      // source's program (the request's own entity manager is scoped to nobody).
      const em = ctx.em.fork();
      em.setFilterParams(PARTNER_SCOPE_FILTER, { all: true } satisfies PartnerScopeArgs);
      em.setFilterParams(PROGRAM_SCOPE_FILTER, { programIds: [source.program_id] } satisfies ProgramScopeArgs);
      const system: RequestContext = { ...ctx, em, actor: { kind: 'system', name: `erp-connectors:webhook:${source.id}` } };
      let answer;
      try {
        answer = (await deps.inbox().ingestMany(system, [valid.event], { prefix: '/event' })).items[0]!;
      } catch (error) {
        await ctx.em.execute(`update erp_webhook_delivery set result = 'failed', http_status = 500, error = ?::jsonb where id = ?`, [json({ code: 'INTERNAL_ERROR', reason: 'the earning inbox failed', field: null, eventField: null }), taken.id]);
        throw error;
      }
      await ctx.em.execute(`update erp_webhook_source set last_delivery_at = now() where id = ?`, [source.id]);
      if (answer.ok) {
        await ctx.em.execute(`update erp_webhook_delivery set result = 'posted', http_status = 200, outcome = ?::jsonb where id = ?`, [json(answer.event), taken.id]);
        return { deliveryId: taken.id, result: 'posted', replayed: false, event: answer.event };
      }
      const status = answer.problem.status >= 400 && answer.problem.status < 500 ? answer.problem.status : 422;
      const error: DeliveryError = { code: answer.problem.code, reason: answer.problem.detail, field: null, eventField: answer.problem.errors?.[0]?.field.replace(/^\/event/, '') ?? null };
      const [row] = await ctx.em.execute<DeliveryRow[]>(`update erp_webhook_delivery set result = 'refused', http_status = ?, error = ?::jsonb, outcome = ?::jsonb where id = ? returning ${DELIVERY_COLUMNS}`, [status, json(error), json(answer.problem), taken.id]);
      throw new AppError('ERP_WEBHOOK_EVENT_REFUSED', status, { params: { deliveryId: row!.id, code: answer.problem.code, reason: answer.problem.detail }, fields: [{ field: `/event${error.eventField ?? ''}`, messageKey: 'errors.ERP_WEBHOOK_EVENT_REFUSED', params: { deliveryId: row!.id, code: answer.problem.code, reason: answer.problem.detail } }] });
    },

    async prune(ctx, days) {
      const rows = await ctx.em.execute<{ n: number }[]>(
        `with gone as (delete from erp_webhook_delivery where received_at < now() - make_interval(days => ?) and result <> 'processing' returning 1) select count(*)::int as n from gone`,
        [days],
      );
      return rows[0]?.n ?? 0;
    },
  };
}
