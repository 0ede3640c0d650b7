import { AppError, createServiceRef, describeActor, isAppError, LockMode, type Actor, type InferEntity, type RequestContext } from '@laurel/plugin-sdk';
import { uuidv7 } from '../../platform/ids.ts';
import type { AuditService } from '../audit/index.ts';
import type { PartnerService } from '../partners/index.ts';
import type { ProgramService } from '../programs/index.ts';
import { LedgerAdjustmentRequest, type AdjustmentRequestKind, type AdjustmentRequestStatus } from './ledger.approvals.entity.ts';
import type { EntryResult, LedgerService } from './ledger.service.ts';

/** How long a request waits for a second admin when the program's policy does not say. */
export const DEFAULT_ADJUSTMENT_TTL_DAYS = 14;

export interface LedgerPolicy {
  programId: string;
  /** Adjustments and reversals of more points than this need a second admin's approval; null: never. */
  approvalThreshold: number | null;
  /** Days a request waits for a decision before it lapses. */
  adjustmentTtlDays: number;
  updatedAt: string | null;
  updatedBy: Record<string, unknown> | null;
}

export interface AdjustmentRequestView {
  id: string;
  programId: string;
  partnerId: string;
  kind: AdjustmentRequestKind;
  /** Signed for an adjustment; for a reversal, the points to take back (positive). */
  points: number;
  entryId: number | null;
  reason: string;
  idempotencyKey: string;
  requestedBy: string | null;
  requestedByName: string | null;
  requestedAt: string;
  /** When a pending request lapses. */
  expiresAt: string;
  status: AdjustmentRequestStatus;
  decidedBy: string | null;
  decidedByName: string | null;
  decidedAt: string | null;
  decisionComment: string | null;
  postedEntryId: number | null;
  failure: { code: string; params: Record<string, unknown> } | null;
}

/** The result of an adjustment or reversal: posted at once, or waiting for approval. */
export type AdjustOutcome = { posted: EntryResult } | { pending: AdjustmentRequestView; created: boolean };

type Row = InferEntity<typeof LedgerAdjustmentRequest>;

export interface LedgerApprovalDeps {
  ledger: () => LedgerService;
  partners: () => PartnerService;
  programs: () => ProgramService;
  audit: () => AuditService;
}

const SYSTEM: Actor = { kind: 'system', name: 'ledger-approvals' };

/** The id of the person (or API key) acting: what "a different admin" is compared by. */
function actorId(actor: Actor): string | null {
  if (actor.kind === 'user') return actor.userId;
  if (actor.kind === 'api-key') return actor.keyId;
  return null;
}

function actorName(actor: Actor): string | null {
  if (actor.kind === 'user') return actor.email;
  if (actor.kind === 'api-key' || actor.kind === 'system') return actor.name;
  return null;
}

function ttlDays(seconds: number): number {
  return Math.max(1, Math.round(seconds / 86_400));
}

/**
 * Four eyes on manual adjustments and reversals (design §8): up to the program's threshold they post at once;
 * above it they wait as a request for a second admin, whose approval posts the entry under the key
 * `adjustment-request:{id}` in the same transaction as the status change. Every step is audited.
 */
export function createLedgerApprovals(deps: LedgerApprovalDeps) {
  async function policyRow(ctx: RequestContext, programId: string): Promise<LedgerPolicy> {
    const [row] = await ctx.em.execute<{ approval_threshold: string | null; ttl_seconds: string; updated_at: Date; updated_by: Record<string, unknown> | null }[]>(
      `select approval_threshold::text, extract(epoch from adjustment_ttl)::bigint::text as ttl_seconds, updated_at, updated_by from ledger_program_policy where program_id = ?`,
      [programId],
    );
    if (!row) return { programId, approvalThreshold: null, adjustmentTtlDays: DEFAULT_ADJUSTMENT_TTL_DAYS, updatedAt: null, updatedBy: null };
    return {
      programId,
      approvalThreshold: row.approval_threshold === null ? null : Number(row.approval_threshold),
      adjustmentTtlDays: ttlDays(Number(row.ttl_seconds)),
      updatedAt: new Date(row.updated_at).toISOString(),
      updatedBy: row.updated_by,
    };
  }

  /** When each request lapses (its program's TTL after it was asked for). */
  async function expiries(ctx: RequestContext, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await ctx.em.execute<{ id: string; expires_at: Date }[]>(
      `select r.id::text, r.requested_at + coalesce(p.adjustment_ttl, make_interval(days => ?)) as expires_at
         from ledger_adjustment_request r left join ledger_program_policy p on p.program_id = r.program_id
        where r.id in (?)`,
      [DEFAULT_ADJUSTMENT_TTL_DAYS, ids],
    );
    return new Map(rows.map((r) => [r.id, new Date(r.expires_at).toISOString()]));
  }

  function view(row: Row, expiresAt: string | undefined): AdjustmentRequestView {
    return {
      id: row.id,
      programId: row.programId,
      partnerId: row.partnerId,
      kind: row.kind,
      points: Number(row.points),
      entryId: row.entryId == null ? null : Number(row.entryId),
      reason: row.reason,
      idempotencyKey: row.idempotencyKey,
      requestedBy: row.requestedBy ?? null,
      requestedByName: row.requestedByName ?? null,
      requestedAt: row.requestedAt.toISOString(),
      expiresAt: expiresAt ?? new Date(row.requestedAt.getTime() + DEFAULT_ADJUSTMENT_TTL_DAYS * 86_400_000).toISOString(),
      status: row.status,
      decidedBy: row.decidedBy ?? null,
      decidedByName: row.decidedByName ?? null,
      decidedAt: row.decidedAt ? row.decidedAt.toISOString() : null,
      decisionComment: row.decisionComment ?? null,
      postedEntryId: row.postedEntryId == null ? null : Number(row.postedEntryId),
      failure: row.failure ?? null,
    };
  }

  async function views(ctx: RequestContext, rows: Row[]): Promise<AdjustmentRequestView[]> {
    const at = await expiries(ctx, rows.map((r) => r.id));
    return rows.map((r) => view(r, at.get(r.id)));
  }

  /** Mark every pending request past its program's TTL as lapsed (lazily, when requests are read or decided). */
  async function lapseDue(ctx: RequestContext, id?: string): Promise<void> {
    await ctx.em.transactional(async (em) => {
      const lapsed = await em.execute<{ id: string; partner_id: string; kind: string; points: string }[]>(
        `update ledger_adjustment_request r set status = 'lapsed', decided_at = now()
          where r.status = 'pending' ${id ? 'and r.id = ?' : ''}
            and r.requested_at + coalesce((select p.adjustment_ttl from ledger_program_policy p where p.program_id = r.program_id), make_interval(days => ?)) <= now()
          returning r.id::text, r.partner_id::text, r.kind, r.points::text`,
        id ? [id, DEFAULT_ADJUSTMENT_TTL_DAYS] : [DEFAULT_ADJUSTMENT_TTL_DAYS],
      );
      for (const r of lapsed) {
        deps.audit().record({ ...ctx, em, actor: SYSTEM }, { action: 'ledger.adjustment-request.lapsed', subjectType: 'ledger-adjustment-request', subjectId: r.id, data: { partnerId: r.partner_id, kind: r.kind, points: Number(r.points) } });
      }
    });
  }

  async function entryExists(ctx: RequestContext, programId: string, idempotencyKey: string): Promise<boolean> {
    const rows = await ctx.em.execute(`select 1 from ledger_entry where program_id = ? and idempotency_key = ?`, [programId, idempotencyKey]);
    return rows.length > 0;
  }

  function needsApproval(policy: LedgerPolicy, points: number): boolean {
    return policy.approvalThreshold !== null && Math.abs(points) > policy.approvalThreshold;
  }

  /** File a request (or find the one filed under the same key: then it must be the same request). */
  async function file(
    ctx: RequestContext,
    input: { programId: string; partnerId: string; kind: AdjustmentRequestKind; points: number; entryId: number | null; reason: string; idempotencyKey: string },
  ): Promise<{ pending: AdjustmentRequestView; created: boolean }> {
    const id = uuidv7();
    const created = await ctx.em.transactional(async (em) => {
      const rows = await em.execute<{ id: string }[]>(
        `insert into ledger_adjustment_request (id, program_id, partner_id, kind, points, entry_id, reason, idempotency_key, requested_by, requested_by_name)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (program_id, idempotency_key) do nothing returning id::text`,
        [id, input.programId, input.partnerId, input.kind, input.points, input.entryId, input.reason, input.idempotencyKey, actorId(ctx.actor), actorName(ctx.actor)],
      );
      if (rows.length === 0) return false;
      deps.audit().record({ ...ctx, em }, {
        action: 'ledger.adjustment-request.requested',
        subjectType: 'ledger-adjustment-request',
        subjectId: id,
        data: { partnerId: input.partnerId, kind: input.kind, points: input.points, entryId: input.entryId, reason: input.reason },
      });
      return true;
    });
    const row = created
      ? await ctx.em.findOne(LedgerAdjustmentRequest, { id }, { refresh: true })
      : await ctx.em.findOne(LedgerAdjustmentRequest, { programId: input.programId, idempotencyKey: input.idempotencyKey }, { refresh: true });
    if (!row) throw new Error(`adjustment request ${input.idempotencyKey} vanished`);
    const same = row.partnerId === input.partnerId && row.kind === input.kind && Number(row.points) === input.points && (row.entryId == null ? null : Number(row.entryId)) === input.entryId && row.reason === input.reason;
    if (!same) throw new AppError('LEDGER_ADJUSTMENT_REQUEST_CONFLICT', 409, { params: { key: input.idempotencyKey, id: row.id } });
    const [pending] = await views(ctx, [row]);
    return { pending: pending!, created };
  }

  async function findByKey(ctx: RequestContext, programId: string, idempotencyKey: string): Promise<boolean> {
    const rows = await ctx.em.execute(`select 1 from ledger_adjustment_request where program_id = ? and idempotency_key = ?`, [programId, idempotencyKey]);
    return rows.length > 0;
  }

  /** The entry's program, partner, kind and size (the points it moved, counted once). */
  async function entryFacts(ctx: RequestContext, entryId: number) {
    const [row] = await ctx.em.execute<{ program_id: string; kind: string; partner_id: string | null; amount: string; reversed: boolean }[]>(
      `select e.program_id::text, e.kind,
              (select a.partner_id::text from ledger_posting p join ledger_account a on a.id = p.account_id where p.entry_id = e.id and a.partner_id is not null limit 1) as partner_id,
              (select coalesce(sum(p.amount) filter (where p.amount > 0), 0)::text from ledger_posting p where p.entry_id = e.id) as amount,
              exists (select 1 from ledger_entry r where r.reverses_entry_id = e.id) as reversed
         from ledger_entry e where e.id = ?`,
      [entryId],
    );
    return row ? { programId: row.program_id, kind: row.kind, partnerId: row.partner_id, amount: Number(row.amount), reversed: row.reversed } : null;
  }

  /** Post what a request asks for, as the approver, under the request's own key. */
  async function postRequest(ctx: RequestContext, row: Row): Promise<EntryResult> {
    const idempotencyKey = `adjustment-request:${row.id}`;
    // The entry names both people: who asked and (as its actor) who approved.
    const explanation = { approval: { requestId: row.id, requestedBy: row.requestedBy ?? null, requestedByName: row.requestedByName ?? null } };
    if (row.kind === 'adjustment') return deps.ledger().adjust(ctx, { partnerId: row.partnerId, points: Number(row.points), reason: row.reason, idempotencyKey, explanation });
    const entryId = Number(row.entryId);
    const facts = await entryFacts(ctx, entryId);
    const partial = facts !== null && Number(row.points) !== facts.amount;
    return reverse(ctx, { entryId, reason: row.reason, idempotencyKey, explanation, ...(partial ? { points: Number(row.points) } : {}) });
  }

  /** The ledger's reversal, with the optional `points` of a partial reversal passed through. */
  function reverse(ctx: RequestContext, input: { entryId: number; reason: string; idempotencyKey: string; points?: number; explanation?: Record<string, unknown> }): Promise<EntryResult> {
    return deps.ledger().reverse(ctx, input);
  }

  /** Lock a request for a decision; refuses when it is not there, decided by someone else, or the caller's own. */
  async function lockForDecision(ctx: RequestContext, id: string, done: AdjustmentRequestStatus): Promise<{ row: Row; repeat: boolean; lapsed: boolean }> {
    const row = await ctx.em.findOne(LedgerAdjustmentRequest, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    if (!row) throw new AppError('LEDGER_ADJUSTMENT_REQUEST_NOT_FOUND', 404, { params: { id } });
    const me = actorId(ctx.actor);
    // The same person deciding the same way again (a double click, a retry): the first decision stands.
    if (row.status === done && me !== null && row.decidedBy === me) return { row, repeat: true, lapsed: false };
    if (row.status === 'lapsed') throw new AppError('LEDGER_ADJUSTMENT_LAPSED', 409, { params: { id } });
    if (row.status !== 'pending') throw new AppError('LEDGER_ADJUSTMENT_NOT_PENDING', 409, { params: { id, status: row.status } });
    if (me !== null && row.requestedBy === me) throw new AppError('LEDGER_ADJUSTMENT_SELF_APPROVAL', 403, { params: { id } });
    const [due] = await ctx.em.execute<{ due: boolean }[]>(
      `select r.requested_at + coalesce((select p.adjustment_ttl from ledger_program_policy p where p.program_id = r.program_id), make_interval(days => ?)) <= now() as due
         from ledger_adjustment_request r where r.id = ?`,
      [DEFAULT_ADJUSTMENT_TTL_DAYS, id],
    );
    return { row, repeat: false, lapsed: Boolean(due?.due) };
  }

  function decide(ctx: RequestContext, row: Row, status: AdjustmentRequestStatus, comment: string | null): void {
    row.status = status;
    row.decidedBy = actorId(ctx.actor);
    row.decidedByName = actorName(ctx.actor);
    row.decidedAt = new Date();
    row.decisionComment = comment;
  }

  function lapse(ctx: RequestContext, row: Row): void {
    row.status = 'lapsed';
    row.decidedAt = new Date();
    deps.audit().record({ ...ctx, actor: SYSTEM }, { action: 'ledger.adjustment-request.lapsed', subjectType: 'ledger-adjustment-request', subjectId: row.id, data: { partnerId: row.partnerId, kind: row.kind, points: Number(row.points) } });
  }

  const service = {
    /** The program's approval threshold and request TTL (defaults when never set). */
    async policy(ctx: RequestContext, programId: string): Promise<LedgerPolicy> {
      await deps.programs().get(ctx, programId);
      return policyRow(ctx, programId);
    },

    /** Change the program's policy (audited with before and after). */
    async setPolicy(ctx: RequestContext, programId: string, input: { approvalThreshold: number | null; adjustmentTtlDays?: number }): Promise<LedgerPolicy> {
      await deps.programs().get(ctx, programId);
      if (input.approvalThreshold !== null && (!Number.isSafeInteger(input.approvalThreshold) || input.approvalThreshold < 0)) {
        const value = input.approvalThreshold;
        throw new AppError('LEDGER_THRESHOLD_INVALID', 422, { params: { value }, fields: [{ field: '/body/approvalThreshold', messageKey: 'errors.LEDGER_THRESHOLD_INVALID', params: { value } }] });
      }
      return ctx.em.transactional(async (em) => {
        const tx = { ...ctx, em };
        await em.execute(`select pg_advisory_xact_lock(hashtext('ledger_program_policy:' || ?))`, [programId]);
        const before = await policyRow(tx, programId);
        const ttl = input.adjustmentTtlDays ?? before.adjustmentTtlDays;
        await em.execute(
          `insert into ledger_program_policy (program_id, approval_threshold, adjustment_ttl, updated_at, updated_by) values (?, ?, make_interval(days => ?), now(), ?::jsonb)
           on conflict (program_id) do update set approval_threshold = excluded.approval_threshold, adjustment_ttl = excluded.adjustment_ttl, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
          [programId, input.approvalThreshold, ttl, JSON.stringify(describeActor(ctx.actor))],
        );
        const after = await policyRow(tx, programId);
        deps.audit().record(tx, {
          action: 'ledger.policy.changed',
          subjectType: 'program',
          subjectId: programId,
          data: { before: { approvalThreshold: before.approvalThreshold, adjustmentTtlDays: before.adjustmentTtlDays }, after: { approvalThreshold: after.approvalThreshold, adjustmentTtlDays: after.adjustmentTtlDays } },
        });
        return after;
      });
    },

    /** A manual adjustment: posted at once up to the program's threshold, otherwise filed for a second admin. */
    async adjustOrRequest(ctx: RequestContext, input: { partnerId: string; points: number; reason: string; idempotencyKey: string }): Promise<AdjustOutcome> {
      if (!Number.isSafeInteger(input.points) || input.points === 0) return { posted: await deps.ledger().adjust(ctx, input) };
      const partner = await deps.partners().get(ctx, input.partnerId);
      // A key already posted is a replay (or a conflict), whatever the policy says now.
      if (await entryExists(ctx, partner.programId, input.idempotencyKey)) return { posted: await deps.ledger().adjust(ctx, input) };
      const filed = await findByKey(ctx, partner.programId, input.idempotencyKey);
      if (!filed && !needsApproval(await policyRow(ctx, partner.programId), input.points)) return { posted: await deps.ledger().adjust(ctx, input) };
      return file(ctx, { programId: partner.programId, partnerId: partner.id, kind: 'adjustment', points: input.points, entryId: null, reason: input.reason, idempotencyKey: input.idempotencyKey });
    },

    /** A reversal (in full, or `points` of it): posted at once up to the program's threshold, otherwise filed. */
    async reverseOrRequest(ctx: RequestContext, input: { entryId: number; reason: string; idempotencyKey: string; points?: number }): Promise<AdjustOutcome> {
      const facts = await entryFacts(ctx, input.entryId);
      // Unknown entries, entries of no partner, reversals of reversals: the ledger answers (and refuses) itself.
      if (!facts || !facts.partnerId || facts.kind === 'reversal') return { posted: await reverse(ctx, input) };
      await deps.partners().get(ctx, facts.partnerId);
      if (await entryExists(ctx, facts.programId, input.idempotencyKey)) return { posted: await reverse(ctx, input) };
      const filed = await findByKey(ctx, facts.programId, input.idempotencyKey);
      if (input.points !== undefined && (!Number.isSafeInteger(input.points) || input.points <= 0)) {
        throw new AppError('LEDGER_AMOUNT_INVALID', 422, { params: { value: input.points }, fields: [{ field: '/body/points', messageKey: 'errors.LEDGER_AMOUNT_INVALID', params: { value: input.points } }] });
      }
      const points = input.points ?? facts.amount;
      if (!filed && (facts.reversed && input.points === undefined)) return { posted: await reverse(ctx, input) };
      if (!filed && !needsApproval(await policyRow(ctx, facts.programId), points)) return { posted: await reverse(ctx, input) };
      return file(ctx, { programId: facts.programId, partnerId: facts.partnerId, kind: 'reversal', points, entryId: input.entryId, reason: input.reason, idempotencyKey: input.idempotencyKey });
    },

    /** Requests, newest first (keyset by id: ids are time-ordered); pending ones past their TTL are lapsed first. */
    async list(ctx: RequestContext, query: { status?: AdjustmentRequestStatus; partnerId?: string; limit: number; before?: string }): Promise<{ items: AdjustmentRequestView[]; nextBefore: string | null }> {
      await lapseDue(ctx);
      const where: Record<string, unknown> = {};
      if (query.status) where.status = query.status;
      if (query.partnerId) where.partnerId = query.partnerId;
      if (query.before) where.id = { $lt: query.before };
      const rows = await ctx.em.find(LedgerAdjustmentRequest, where, { orderBy: { id: 'desc' }, limit: query.limit + 1, refresh: true });
      const page = rows.slice(0, query.limit);
      return { items: await views(ctx, page), nextBefore: rows.length > query.limit ? page[page.length - 1]!.id : null };
    },

    async get(ctx: RequestContext, id: string): Promise<AdjustmentRequestView> {
      await lapseDue(ctx, id);
      const row = await ctx.em.findOne(LedgerAdjustmentRequest, { id }, { refresh: true });
      if (!row) throw new AppError('LEDGER_ADJUSTMENT_REQUEST_NOT_FOUND', 404, { params: { id } });
      return (await views(ctx, [row]))[0]!;
    },

    /**
     * A second admin approves: the entry is posted (as the approver, under `adjustment-request:{id}`) and the
     * request marked posted in one transaction, with the request row locked — approving twice posts once. When the
     * ledger refuses (say the partner no longer has the points) the request is marked failed and the caller told why.
     */
    async approve(ctx: RequestContext, id: string, input: { comment?: string | null } = {}): Promise<AdjustmentRequestView> {
      const outcome = await ctx.em.transactional(async (em) => {
        const tx: RequestContext = { ...ctx, em };
        const { row, repeat, lapsed } = await lockForDecision(tx, id, 'posted');
        if (repeat) return { row };
        if (lapsed) {
          lapse(tx, row);
          return { row, lapsed: true };
        }
        try {
          // A savepoint: a refusal that aborts the statement leaves the request row locked and writable.
          const entry = await em.transactional(async (inner) => postRequest({ ...ctx, em: inner }, row));
          decide(tx, row, 'posted', input.comment ?? null);
          row.postedEntryId = entry.entryId;
          deps.audit().record(tx, { action: 'ledger.adjustment-request.approved', subjectType: 'ledger-adjustment-request', subjectId: id, data: { entryId: entry.entryId, partnerId: row.partnerId, kind: row.kind, points: Number(row.points), requestedBy: row.requestedBy, comment: input.comment ?? null } });
          return { row };
        } catch (error) {
          if (!isAppError(error) || error.status >= 500) throw error;
          decide(tx, row, 'failed', input.comment ?? null);
          row.failure = { code: error.code, params: error.params };
          deps.audit().record(tx, { action: 'ledger.adjustment-request.failed', subjectType: 'ledger-adjustment-request', subjectId: id, data: { partnerId: row.partnerId, kind: row.kind, points: Number(row.points), failure: row.failure } });
          return { row, failure: error };
        }
      });
      if (outcome.lapsed) throw new AppError('LEDGER_ADJUSTMENT_LAPSED', 409, { params: { id } });
      if (outcome.failure) {
        throw new AppError('LEDGER_ADJUSTMENT_FAILED', 409, { params: { id, cause: ctx.t(outcome.failure.messageKey, outcome.failure.params), code: outcome.failure.code }, cause: outcome.failure });
      }
      return (await views(ctx, [outcome.row]))[0]!;
    },

    /** A second admin rejects the request (nothing is posted), with an optional comment. */
    async reject(ctx: RequestContext, id: string, input: { comment?: string | null } = {}): Promise<AdjustmentRequestView> {
      const outcome = await ctx.em.transactional(async (em) => {
        const tx: RequestContext = { ...ctx, em };
        const { row, repeat, lapsed } = await lockForDecision(tx, id, 'rejected');
        if (repeat) return { row };
        if (lapsed) {
          lapse(tx, row);
          return { row, lapsed: true };
        }
        decide(tx, row, 'rejected', input.comment ?? null);
        deps.audit().record(tx, { action: 'ledger.adjustment-request.rejected', subjectType: 'ledger-adjustment-request', subjectId: id, data: { partnerId: row.partnerId, kind: row.kind, points: Number(row.points), requestedBy: row.requestedBy, comment: input.comment ?? null } });
        return { row };
      });
      if (outcome.lapsed) throw new AppError('LEDGER_ADJUSTMENT_LAPSED', 409, { params: { id } });
      return (await views(ctx, [outcome.row]))[0]!;
    },
  };
  return service;
}

export type LedgerApprovals = ReturnType<typeof createLedgerApprovals>;
export const ledgerApprovalsRef = createServiceRef<LedgerApprovals>('ledger.approvals');
