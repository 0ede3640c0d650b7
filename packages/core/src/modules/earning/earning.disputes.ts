import { createHash } from 'node:crypto';
import { AppError, createServiceRef, describeActor, type Actor, type RequestContext } from '@laurel/plugin-sdk';
import { uuidv7 } from '../../platform/ids.ts';
import type { AuditService } from '../audit/index.ts';
import type { LedgerApprovals, LedgerService } from '../ledger/index.ts';
import type { PartnerService } from '../partners/index.ts';
import type { ProgramService } from '../programs/index.ts';
import { EarningDispute, type DisputeStatus, type DisputeSubject } from './earning.disputes.entity.ts';

/** Days support has to settle a dispute when the program's policy does not say. */
export const DEFAULT_DISPUTE_SLA_DAYS = 5;
/** The largest attachment kept (5 MiB). */
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
/** Attachments a dispute may hold, from both sides together. */
export const MAX_ATTACHMENTS = 10;
export const ATTACHMENT_TYPES = ['application/pdf', 'image/png', 'image/jpeg'] as const;
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number];

const OPEN_STATUSES: DisputeStatus[] = ['open', 'waiting-for-partner', 'waiting-for-support'];

/** Which side of a dispute acts: the partner's people, or support (staff with `disputes:manage`). */
export type DisputeSide = 'partner' | 'support';

export interface AttachmentInput {
  filename: string;
  contentType: string;
  /** The file, base64-encoded. */
  data: string;
}

export interface DisputeResolution {
  kind: 'adjustment' | 'rejection';
  /** Adjustment: the points credited (or, negative, taken back). */
  points: number | null;
  /** Support's explanation (adjustment) or reason (rejection). */
  comment: string;
  /** The ledger entry that posted the adjustment (once posted). */
  entryId: number | null;
  /** When the adjustment went to four-eyes approval: the request and its state. */
  requestId: string | null;
  requestStatus: string | null;
}

export interface DisputeView {
  id: string;
  number: number;
  programId: string;
  partnerId: string;
  partnerCode: string | null;
  partnerName: string | null;
  subject: DisputeSubject;
  entryId: number | null;
  reference: string | null;
  text: string;
  status: DisputeStatus;
  filedByName: string | null;
  filedAt: string;
  dueAt: string;
  /** Still open past its due time. */
  overdue: boolean;
  updatedAt: string;
  resolution: DisputeResolution | null;
  resolvedAt: string | null;
  /** Who settled it: staff only see it (null for partner users). */
  resolvedByName: string | null;
}

export interface DisputeMessageView {
  id: string;
  side: DisputeSide;
  kind: 'message' | 'resolution' | 'rejection';
  body: string;
  /** The author's e-mail; support's people stay anonymous to partners (null). */
  authorName: string | null;
  createdAt: string;
}

export interface DisputeAttachmentView {
  id: string;
  side: DisputeSide;
  filename: string;
  contentType: AttachmentType;
  size: number;
  uploadedAt: string;
}

export interface DisputeDetail extends DisputeView {
  /** For a dispute about an entry: what the entry did in the company's wallet. */
  entry: { kind: string; postedAt: string; amount: number; reason: string | null } | null;
  messages: DisputeMessageView[];
  attachments: DisputeAttachmentView[];
}

export interface DisputePolicy {
  programId: string;
  slaDays: number;
  updatedAt: string | null;
}

export interface DisputeQuery {
  status?: DisputeStatus;
  overdue?: boolean;
  partnerId?: string;
  programId?: string;
  limit: number;
  before?: string;
}

export interface DisputeDeps {
  partners: () => PartnerService;
  programs: () => ProgramService;
  ledger: () => LedgerService;
  approvals: () => LedgerApprovals;
  audit: () => AuditService;
}

type Row = {
  id: string;
  number: number | string;
  programId: string;
  partnerId: string;
  subject: DisputeSubject;
  entryId: number | string | null;
  reference?: string | null;
  text: string;
  status: DisputeStatus;
  idempotencyKey: string;
  requestHash: string;
  filedByName?: string | null;
  filedAt: Date;
  dueAt: Date;
  updatedAt: Date;
  resolution?: Record<string, unknown> | null;
  resolvedBy?: Record<string, unknown> | null;
  resolvedAt?: Date | null;
};

function actorName(actor: Actor): string | null {
  if (actor.kind === 'user') return actor.email;
  if (actor.kind === 'api-key' || actor.kind === 'system') return actor.name;
  return null;
}

function fieldError(code: string, status: number, field: string, params: Record<string, unknown> = {}): AppError {
  return new AppError(code, status, { params, fields: [{ field, messageKey: `errors.${code}`, params }] });
}

/** The signed-in partner user's company; anyone else may not use the partner side. */
function ownPartner(ctx: RequestContext): string {
  if (ctx.actor.kind !== 'user' || !ctx.actor.partnerId) throw new AppError('FORBIDDEN', 403);
  return ctx.actor.partnerId;
}

/** Text with its ends trimmed; whitespace only is refused, naming the field. */
function textOf(value: string, field: string): string {
  const text = value.trim();
  if (text.length === 0) throw fieldError('EARNING_DISPUTE_TEXT_EMPTY', 422, field);
  return text;
}

const MAGIC: Record<AttachmentType, (b: Buffer) => boolean> = {
  'application/pdf': (b) => b.subarray(0, 5).toString('latin1') === '%PDF-',
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (b) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
};

/** Check an attachment: an allowed type, base64 that decodes, at most 5 MiB, and content that is what it says. */
export function checkAttachment(input: AttachmentInput, at: string): { filename: string; contentType: AttachmentType; content: Buffer; sha256: string } {
  const contentType = input.contentType.trim().toLowerCase();
  if (!(ATTACHMENT_TYPES as readonly string[]).includes(contentType)) {
    throw fieldError('EARNING_DISPUTE_ATTACHMENT_TYPE', 415, `${at}/contentType`, { contentType: input.contentType, allowed: 'PDF, PNG, JPEG' });
  }
  // Path separators, quotes and control characters become '_' (the name is echoed in a download header).
  const filename = [...input.filename].map((c) => (c === '/' || c === '\\' || c === '"' || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? '_' : c)).join('').trim().slice(0, 200);
  if (filename.length === 0) throw fieldError('EARNING_DISPUTE_TEXT_EMPTY', 422, `${at}/filename`);
  const data = input.data.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) throw fieldError('EARNING_DISPUTE_ATTACHMENT_INVALID', 422, `${at}/data`, { contentType });
  // The decoded size is known before decoding: refuse an oversized file without allocating it.
  const size = (data.length / 4) * 3 - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0);
  if (size > MAX_ATTACHMENT_BYTES) throw fieldError('EARNING_DISPUTE_ATTACHMENT_TOO_LARGE', 413, `${at}/data`, { size, max: MAX_ATTACHMENT_BYTES, maxMb: 5 });
  const content = Buffer.from(data, 'base64');
  if (content.length === 0 || !MAGIC[contentType as AttachmentType](content)) throw fieldError('EARNING_DISPUTE_ATTACHMENT_INVALID', 422, `${at}/data`, { contentType });
  return { filename, contentType: contentType as AttachmentType, content, sha256: createHash('sha256').update(content).digest('hex') };
}

/**
 * Disputes (issue 6): a partner disputes an entry of its own company's statement or an event that earned nothing;
 * support answers in a thread and settles it with an adjustment posted through the ledger (above the program's
 * threshold it goes to four-eyes approval) or a reasoned rejection. Each dispute is due a number of days after it
 * was filed (the program's policy, 5 by default); open ones past that are overdue. Every staff action is audited.
 */
export function createDisputeService(deps: DisputeDeps) {
  async function policyRow(ctx: RequestContext, programId: string): Promise<DisputePolicy> {
    const [row] = await ctx.em.execute<{ sla_days: number; updated_at: Date }[]>(`select sla_days, updated_at from earning_dispute_policy where program_id = ?`, [programId]);
    return { programId, slaDays: row ? Number(row.sla_days) : DEFAULT_DISPUTE_SLA_DAYS, updatedAt: row ? new Date(row.updated_at).toISOString() : null };
  }

  /** A dispute the caller may reach (partner users: their own company's; others: their programs'), or a 404. */
  async function find(ctx: RequestContext, id: string): Promise<Row> {
    const row = await ctx.em.findOne(EarningDispute, { id }, { refresh: true });
    if (!row) throw new AppError('EARNING_DISPUTE_NOT_FOUND', 404, { params: { id } });
    return row as unknown as Row;
  }

  async function partnerNames(ctx: RequestContext, ids: string[]): Promise<Map<string, { code: string; name: string }>> {
    if (ids.length === 0) return new Map();
    const rows = await ctx.em.execute<{ id: string; partner_code: string; legal_name: string }[]>(`select id::text, partner_code, legal_name from partners_partner where id in (?)`, [ids]);
    return new Map(rows.map((r) => [r.id, { code: r.partner_code, name: r.legal_name }]));
  }

  async function requestStates(ctx: RequestContext, ids: string[]): Promise<Map<string, { status: string; postedEntryId: number | null }>> {
    if (ids.length === 0) return new Map();
    const rows = await ctx.em.execute<{ id: string; status: string; posted_entry_id: string | null }[]>(
      `select id::text, status, posted_entry_id::text from ledger_adjustment_request where id in (?)`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, { status: r.status, postedEntryId: r.posted_entry_id === null ? null : Number(r.posted_entry_id) }]));
  }

  async function views(ctx: RequestContext, rows: Row[], side: DisputeSide): Promise<DisputeView[]> {
    const names = await partnerNames(ctx, [...new Set(rows.map((r) => r.partnerId))]);
    const requestIds = rows.map((r) => r.resolution?.requestId).filter((v): v is string => typeof v === 'string');
    const requests = await requestStates(ctx, requestIds);
    const now = Date.now();
    return rows.map((r) => {
      const res = r.resolution ?? null;
      const request = typeof res?.requestId === 'string' ? requests.get(res.requestId) : undefined;
      const resolution: DisputeResolution | null = res
        ? {
            kind: res.kind as DisputeResolution['kind'],
            points: typeof res.points === 'number' ? res.points : null,
            comment: String(res.comment ?? ''),
            entryId: typeof res.entryId === 'number' ? res.entryId : (request?.postedEntryId ?? null),
            requestId: typeof res.requestId === 'string' ? res.requestId : null,
            requestStatus: request?.status ?? null,
          }
        : null;
      const resolvedBy = r.resolvedBy as { email?: string; name?: string } | null | undefined;
      return {
        id: r.id,
        number: Number(r.number),
        programId: r.programId,
        partnerId: r.partnerId,
        partnerCode: names.get(r.partnerId)?.code ?? null,
        partnerName: names.get(r.partnerId)?.name ?? null,
        subject: r.subject,
        entryId: r.entryId === null || r.entryId === undefined ? null : Number(r.entryId),
        reference: r.reference ?? null,
        text: r.text,
        status: r.status,
        filedByName: r.filedByName ?? null,
        filedAt: r.filedAt.toISOString(),
        dueAt: r.dueAt.toISOString(),
        overdue: OPEN_STATUSES.includes(r.status) && r.dueAt.getTime() < now,
        updatedAt: r.updatedAt.toISOString(),
        resolution,
        resolvedAt: r.resolvedAt ? r.resolvedAt.toISOString() : null,
        resolvedByName: side === 'support' && resolvedBy ? (resolvedBy.email ?? resolvedBy.name ?? null) : null,
      };
    });
  }

  async function detail(ctx: RequestContext, row: Row, side: DisputeSide): Promise<DisputeDetail> {
    const [view] = await views(ctx, [row], side);
    const messages = await ctx.em.execute<{ id: string; side: DisputeSide; kind: DisputeMessageView['kind']; body: string; author_name: string | null; created_at: Date }[]>(
      `select id::text, side, kind, body, author_name, created_at from earning_dispute_message where dispute_id = ? order by created_at, id`,
      [row.id],
    );
    const attachments = await ctx.em.execute<{ id: string; side: DisputeSide; filename: string; content_type: AttachmentType; size: number; uploaded_at: Date }[]>(
      `select id::text, side, filename, content_type, size, uploaded_at from earning_dispute_attachment where dispute_id = ? order by uploaded_at, id`,
      [row.id],
    );
    let entry: DisputeDetail['entry'] = null;
    if (view!.entryId !== null) {
      const [e] = await ctx.em.execute<{ kind: string; posted_at: Date; amount: string; reason: string | null }[]>(
        `select e.kind, e.posted_at, coalesce(sum(p.amount), 0)::text as amount, e.reason
           from ledger_entry e left join ledger_posting p on p.entry_id = e.id and p.account_id in (select a.id from ledger_account a where a.partner_id = ? and a.code = 'available')
          where e.id = ? group by e.id`,
        [row.partnerId, view!.entryId],
      );
      if (e) entry = { kind: e.kind, postedAt: new Date(e.posted_at).toISOString(), amount: Number(e.amount), reason: e.reason };
    }
    return {
      ...view!,
      entry,
      messages: messages.map((m) => ({ id: m.id, side: m.side, kind: m.kind, body: m.body, authorName: side === 'partner' && m.side === 'support' ? null : m.author_name, createdAt: new Date(m.created_at).toISOString() })),
      attachments: attachments.map((a) => ({ id: a.id, side: a.side, filename: a.filename, contentType: a.content_type, size: Number(a.size), uploadedAt: new Date(a.uploaded_at).toISOString() })),
    };
  }

  /** Lock a dispute for a change (inside a transaction); a closed one refuses with its status. */
  async function lockOpen(ctx: RequestContext, row: Row): Promise<DisputeStatus> {
    const [locked] = await ctx.em.execute<{ status: DisputeStatus }[]>(`select status from earning_dispute where id = ? for update`, [row.id]);
    return locked!.status;
  }

  function closed(row: Row, status: DisputeStatus): AppError {
    return new AppError('EARNING_DISPUTE_CLOSED', 409, { params: { number: Number(row.number), status } });
  }

  async function storeAttachment(ctx: RequestContext, disputeId: string, side: DisputeSide, file: ReturnType<typeof checkAttachment>): Promise<string> {
    const [count] = await ctx.em.execute<{ n: string }[]>(`select count(*)::text as n from earning_dispute_attachment where dispute_id = ?`, [disputeId]);
    if (Number(count!.n) >= MAX_ATTACHMENTS) throw fieldError('EARNING_DISPUTE_TOO_MANY_ATTACHMENTS', 409, '/body/data', { max: MAX_ATTACHMENTS });
    const id = uuidv7();
    await ctx.em.execute(
      `insert into earning_dispute_attachment (id, dispute_id, side, filename, content_type, size, content, sha256, uploaded_by, uploaded_at) values (?, ?, ?, ?, ?, ?, decode(?, 'base64'), ?, ?::jsonb, now())`,
      [id, disputeId, side, file.filename, file.contentType, file.content.length, file.content.toString('base64'), file.sha256, JSON.stringify(describeActor(ctx.actor))],
    );
    return id;
  }

  const service = {
    /** The program's dispute policy: days until a dispute is due (5 when never set). */
    async policy(ctx: RequestContext, programId: string): Promise<DisputePolicy> {
      await deps.programs().get(ctx, programId);
      return policyRow(ctx, programId);
    },

    /** Change the days until a dispute is due (for disputes filed from now on); audited with before and after. */
    async setPolicy(ctx: RequestContext, programId: string, input: { slaDays: number }): Promise<DisputePolicy> {
      await deps.programs().get(ctx, programId);
      if (!Number.isSafeInteger(input.slaDays) || input.slaDays < 1 || input.slaDays > 365) throw fieldError('EARNING_DISPUTE_SLA_INVALID', 422, '/body/slaDays', { value: input.slaDays });
      return ctx.em.transactional(async (em) => {
        const tx = { ...ctx, em };
        const before = await policyRow(tx, programId);
        await em.execute(
          `insert into earning_dispute_policy (program_id, sla_days, updated_by, updated_at) values (?, ?, ?::jsonb, now())
           on conflict (program_id) do update set sla_days = excluded.sla_days, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
          [programId, input.slaDays, JSON.stringify(describeActor(ctx.actor))],
        );
        deps.audit().record(tx, { action: 'earning.dispute-policy.changed', subjectType: 'program', subjectId: programId, data: { before: { slaDays: before.slaDays }, after: { slaDays: input.slaDays } } });
        return policyRow(tx, programId);
      });
    },

    /**
     * A partner user files a dispute for their own company: about one of its ledger entries, or about an event that
     * earned nothing (text, a reference such as an invoice number, optionally a file). Idempotent under the key: a
     * replay returns the dispute filed first; the same key with a different dispute is a 409.
     */
    async file(
      ctx: RequestContext,
      input: { subject: DisputeSubject; entryId?: number | null; reference?: string | null; text: string; idempotencyKey: string; attachment?: AttachmentInput | null },
    ): Promise<{ dispute: DisputeDetail; created: boolean }> {
      const partnerId = ownPartner(ctx);
      const partner = await deps.partners().get(ctx, partnerId);
      const text = textOf(input.text, '/body/text');
      const reference = input.reference?.trim() ? input.reference.trim() : null;
      const entryId = input.subject === 'entry' ? (input.entryId ?? null) : null;
      if (input.subject === 'entry') {
        if (entryId === null) throw fieldError('EARNING_DISPUTE_ENTRY_REQUIRED', 422, '/body/entryId');
        const own = await ctx.em.execute(
          `select 1 from ledger_posting p join ledger_account a on a.id = p.account_id where p.entry_id = ? and a.partner_id = ? limit 1`,
          [entryId, partnerId],
        );
        if (own.length === 0) throw fieldError('EARNING_DISPUTE_ENTRY_UNKNOWN', 422, '/body/entryId', { entryId });
      } else if (reference === null) {
        throw fieldError('EARNING_DISPUTE_REFERENCE_REQUIRED', 422, '/body/reference');
      }
      const file = input.attachment ? checkAttachment(input.attachment, '/body/attachment') : null;
      const hash = createHash('sha256')
        .update(JSON.stringify({ subject: input.subject, entryId, reference, text, attachment: file ? [file.filename, file.contentType, file.sha256] : null }))
        .digest('hex');
      const id = uuidv7();
      const created = await ctx.em.transactional(async (em) => {
        const tx = { ...ctx, em };
        const rows = await em.execute<{ id: string }[]>(
          `insert into earning_dispute (id, program_id, partner_id, subject, entry_id, reference, text, status, idempotency_key, request_hash, filed_by, filed_by_name, filed_at, due_at, updated_at)
           select ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?::jsonb, ?, now(), now() + make_interval(days => coalesce((select sla_days from earning_dispute_policy where program_id = ?), ?)), now()
           on conflict (partner_id, idempotency_key) do nothing returning id::text`,
          [id, partner.programId, partnerId, input.subject, entryId, reference, text, input.idempotencyKey, hash, JSON.stringify(describeActor(ctx.actor)), actorName(ctx.actor), partner.programId, DEFAULT_DISPUTE_SLA_DAYS],
        );
        if (rows.length === 0) return false;
        if (file) await storeAttachment(tx, id, 'partner', file);
        deps.audit().record(tx, { action: 'earning.dispute.filed', subjectType: 'earning-dispute', subjectId: id, data: { partnerId, subject: input.subject, entryId, reference } });
        return true;
      });
      if (!created) {
        const first = await ctx.em.findOne(EarningDispute, { partnerId, idempotencyKey: input.idempotencyKey }, { refresh: true });
        if (!first) throw new Error(`dispute ${input.idempotencyKey} vanished`);
        if (first.requestHash !== hash) throw fieldError('EARNING_DISPUTE_KEY_CONFLICT', 409, '/body/idempotencyKey', { key: input.idempotencyKey, number: Number(first.number) });
        return { dispute: await detail(ctx, first as unknown as Row, 'partner'), created: false };
      }
      return { dispute: await detail(ctx, await find(ctx, id), 'partner'), created: true };
    },

    /** Disputes, newest first (keyset by id): a partner user's own company's; staff filter by status, overdue and partner. */
    async list(ctx: RequestContext, query: DisputeQuery, side: DisputeSide): Promise<{ items: DisputeView[]; nextBefore: string | null }> {
      if (side === 'partner') ownPartner(ctx);
      const where: Record<string, unknown> = {};
      if (query.status) where.status = query.status;
      if (query.partnerId) where.partnerId = query.partnerId;
      if (query.programId) where.programId = query.programId;
      if (query.overdue === true) {
        where.status = query.status ? (OPEN_STATUSES.includes(query.status) ? query.status : '__none__') : { $in: OPEN_STATUSES };
        where.dueAt = { $lt: new Date() };
      } else if (query.overdue === false) {
        where.$or = [{ status: { $nin: OPEN_STATUSES } }, { dueAt: { $gte: new Date() } }];
      }
      if (query.before) where.id = { $lt: query.before };
      const rows = (await ctx.em.find(EarningDispute, where, { orderBy: { id: 'desc' }, limit: query.limit + 1, refresh: true })) as unknown as Row[];
      const page = rows.slice(0, query.limit);
      return { items: await views(ctx, page, side), nextBefore: rows.length > query.limit ? page[page.length - 1]!.id : null };
    },

    /** One dispute with its thread and attachments (a partner user's own company's; another's is a 404). */
    async get(ctx: RequestContext, id: string, side: DisputeSide): Promise<DisputeDetail> {
      if (side === 'partner') ownPartner(ctx);
      return detail(ctx, await find(ctx, id), side);
    },

    /**
     * A message in the thread. The partner's turns it over to support (waiting for support); support's to the
     * partner (waiting for the partner). A closed dispute takes no more messages. Optional key: a replay posts once.
     */
    async message(ctx: RequestContext, id: string, input: { text: string; idempotencyKey?: string | null }, side: DisputeSide): Promise<DisputeDetail> {
      if (side === 'partner') ownPartner(ctx);
      const row = await find(ctx, id);
      const body = textOf(input.text, '/body/text');
      await ctx.em.transactional(async (em) => {
        const tx = { ...ctx, em };
        if (input.idempotencyKey) {
          const seen = await em.execute(`select 1 from earning_dispute_message where dispute_id = ? and idempotency_key = ?`, [id, input.idempotencyKey]);
          if (seen.length > 0) return;
        }
        const status = await lockOpen(tx, row);
        if (!OPEN_STATUSES.includes(status)) throw closed(row, status);
        const messageId = uuidv7();
        await em.execute(
          `insert into earning_dispute_message (id, dispute_id, side, kind, body, author, author_name, idempotency_key, created_at) values (?, ?, ?, 'message', ?, ?::jsonb, ?, ?, clock_timestamp())`,
          [messageId, id, side, body, JSON.stringify(describeActor(ctx.actor)), actorName(ctx.actor), input.idempotencyKey ?? null],
        );
        await em.execute(`update earning_dispute set status = ?, updated_at = now() where id = ?`, [side === 'partner' ? 'waiting-for-support' : 'waiting-for-partner', id]);
        if (side === 'support') deps.audit().record(tx, { action: 'earning.dispute.answered', subjectType: 'earning-dispute', subjectId: id, data: { partnerId: row.partnerId, messageId } });
      });
      return detail(ctx, await find(ctx, id), side);
    },

    /** Attach a file (PDF, PNG or JPEG, at most 5 MiB) to an open dispute. */
    async attach(ctx: RequestContext, id: string, input: AttachmentInput, side: DisputeSide): Promise<DisputeAttachmentView> {
      if (side === 'partner') ownPartner(ctx);
      const row = await find(ctx, id);
      const file = checkAttachment(input, '/body');
      const attachmentId = await ctx.em.transactional(async (em) => {
        const tx = { ...ctx, em };
        const status = await lockOpen(tx, row);
        if (!OPEN_STATUSES.includes(status)) throw closed(row, status);
        const stored = await storeAttachment(tx, id, side, file);
        if (side === 'support') deps.audit().record(tx, { action: 'earning.dispute.attachment-added', subjectType: 'earning-dispute', subjectId: id, data: { partnerId: row.partnerId, attachmentId: stored, filename: file.filename, contentType: file.contentType, size: file.content.length } });
        return stored;
      });
      return { id: attachmentId, side, filename: file.filename, contentType: file.contentType, size: file.content.length, uploadedAt: new Date().toISOString() };
    },

    /** An attachment's file, to the dispute's parties only (the dispute is found through its partner scope first). */
    async attachment(ctx: RequestContext, id: string, attachmentId: string, side: DisputeSide): Promise<{ filename: string; contentType: AttachmentType; content: Buffer }> {
      if (side === 'partner') ownPartner(ctx);
      await find(ctx, id);
      const [row] = await ctx.em.execute<{ filename: string; content_type: AttachmentType; content: Buffer }[]>(
        `select filename, content_type, content from earning_dispute_attachment where id = ? and dispute_id = ?`,
        [attachmentId, id],
      );
      if (!row) throw new AppError('EARNING_DISPUTE_ATTACHMENT_NOT_FOUND', 404, { params: { id: attachmentId } });
      return { filename: row.filename, contentType: row.content_type, content: Buffer.from(row.content) };
    },

    /**
     * Support settles a dispute with an adjustment: posted through the ledger at once up to the program's approval
     * threshold (its explanation names the dispute), or filed for a second admin's approval above it (its reason
     * names the dispute). Either way the dispute is resolved and linked to the entry or the request. Resolving again
     * the same way returns the dispute as it is; anything else on a closed dispute is a 409.
     */
    async resolve(ctx: RequestContext, id: string, input: { points: number; comment: string }): Promise<DisputeDetail> {
      const row = await find(ctx, id);
      const comment = textOf(input.comment, '/body/comment');
      if (!Number.isSafeInteger(input.points) || input.points === 0) throw fieldError('EARNING_DISPUTE_POINTS_INVALID', 422, '/body/points', { value: input.points });
      const number = Number(row.number);
      await ctx.em.transactional(async (em) => {
        const tx: RequestContext = { ...ctx, em };
        const status = await lockOpen(tx, row);
        if (!OPEN_STATUSES.includes(status)) {
          const fresh = await em.execute<{ resolution: Record<string, unknown> | null }[]>(`select resolution from earning_dispute where id = ?`, [id]);
          const res = fresh[0]?.resolution;
          if (status === 'resolved' && res?.points === input.points && res?.comment === comment) return;
          throw closed(row, status);
        }
        const reason = `Dispute #${number}: ${comment}`.slice(0, 1000);
        const idempotencyKey = `dispute:${id}:resolution`;
        const policy = await deps.approvals().policy(tx, row.programId);
        let resolution: Record<string, unknown>;
        if (policy.approvalThreshold !== null && Math.abs(input.points) > policy.approvalThreshold) {
          const outcome = await deps.approvals().adjustOrRequest(tx, { partnerId: row.partnerId, points: input.points, reason, idempotencyKey });
          resolution = 'pending' in outcome
            ? { kind: 'adjustment', points: input.points, comment, entryId: null, requestId: outcome.pending.id }
            : { kind: 'adjustment', points: input.points, comment, entryId: outcome.posted.entryId, requestId: null };
        } else {
          const posted = await deps.ledger().adjust(tx, { partnerId: row.partnerId, points: input.points, reason, idempotencyKey, explanation: { dispute: { id, number } } });
          resolution = { kind: 'adjustment', points: input.points, comment, entryId: posted.entryId, requestId: null };
        }
        await em.execute(
          `insert into earning_dispute_message (id, dispute_id, side, kind, body, author, author_name, created_at) values (?, ?, 'support', 'resolution', ?, ?::jsonb, ?, clock_timestamp())`,
          [uuidv7(), id, comment, JSON.stringify(describeActor(ctx.actor)), actorName(ctx.actor)],
        );
        await em.execute(`update earning_dispute set status = 'resolved', resolution = ?::jsonb, resolved_by = ?::jsonb, resolved_at = now(), updated_at = now() where id = ?`, [
          JSON.stringify(resolution),
          JSON.stringify(describeActor(ctx.actor)),
          id,
        ]);
        deps.audit().record(tx, { action: 'earning.dispute.resolved', subjectType: 'earning-dispute', subjectId: id, data: { partnerId: row.partnerId, ...resolution } });
      });
      return detail(ctx, await find(ctx, id), 'support');
    },

    /** Support rejects a dispute with a reason the partner reads; nothing is posted. */
    async reject(ctx: RequestContext, id: string, input: { reason: string }): Promise<DisputeDetail> {
      const row = await find(ctx, id);
      const reason = textOf(input.reason, '/body/reason');
      await ctx.em.transactional(async (em) => {
        const tx: RequestContext = { ...ctx, em };
        const status = await lockOpen(tx, row);
        if (!OPEN_STATUSES.includes(status)) {
          const fresh = await em.execute<{ resolution: Record<string, unknown> | null }[]>(`select resolution from earning_dispute where id = ?`, [id]);
          if (status === 'rejected' && fresh[0]?.resolution?.comment === reason) return;
          throw closed(row, status);
        }
        const resolution = { kind: 'rejection', points: null, comment: reason, entryId: null, requestId: null };
        await em.execute(
          `insert into earning_dispute_message (id, dispute_id, side, kind, body, author, author_name, created_at) values (?, ?, 'support', 'rejection', ?, ?::jsonb, ?, clock_timestamp())`,
          [uuidv7(), id, reason, JSON.stringify(describeActor(ctx.actor)), actorName(ctx.actor)],
        );
        await em.execute(`update earning_dispute set status = 'rejected', resolution = ?::jsonb, resolved_by = ?::jsonb, resolved_at = now(), updated_at = now() where id = ?`, [
          JSON.stringify(resolution),
          JSON.stringify(describeActor(ctx.actor)),
          id,
        ]);
        deps.audit().record(tx, { action: 'earning.dispute.rejected', subjectType: 'earning-dispute', subjectId: id, data: { partnerId: row.partnerId, reason } });
      });
      return detail(ctx, await find(ctx, id), 'support');
    },
  };
  return service;
}

export type DisputeService = ReturnType<typeof createDisputeService>;
export const disputeServiceRef = createServiceRef<DisputeService>('earning.disputes');
