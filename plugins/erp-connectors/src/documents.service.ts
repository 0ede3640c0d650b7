import { createHash } from 'node:crypto';
import { AppError, describeActor, type AuditTrail, type EarningInbox, type InboxItemResult, type PartnerDirectory, type RequestContext } from '@laurel/plugin-sdk';
import { readDocument } from './read.ts';
import type { CanonicalEvent, DocumentFormat, DocumentResult } from './types.ts';
import { DocumentRejection } from './xml.ts';

/*
 * Documents in: read (pure), kept with what was read, then their events sent to the earning inbox one by one. A
 * rejected document and a duplicate post nothing.
 */

export type DocumentStatus = 'posted' | 'refused' | 'rejected' | 'duplicate';
export const DOCUMENT_STATUSES: DocumentStatus[] = ['posted', 'refused', 'rejected', 'duplicate'];

interface Row {
  id: string;
  source: string;
  program_id: string | null;
  status: DocumentStatus;
  format: DocumentFormat | null;
  kind: string | null;
  number: string | null;
  seller_key: string | null;
  buyer_key: string | null;
  document_key: string | null;
  partner_id: string | null;
  raw?: Buffer;
  raw_sha256: string;
  file_name: string | null;
  content_type: string | null;
  reading: DocumentResult['reading'] | null;
  events: CanonicalEvent[];
  notes: string[];
  outcomes: InboxItemResult[] | null;
  rejection: { code: string; reason: string; line: number | null; path: string | null } | null;
  duplicate_of: string | null;
  received_by: Record<string, unknown>;
  created_at: Date | string;
  updated_at: Date | string;
}

export interface DocumentSummary {
  id: string;
  source: string;
  programId: string | null;
  status: DocumentStatus;
  format: DocumentFormat | null;
  kind: string | null;
  number: string | null;
  sellerKey: string | null;
  buyerKey: string | null;
  documentKey: string | null;
  partnerId: string | null;
  fileName: string | null;
  rejection: Row['rejection'];
  duplicateOf: string | null;
  createdAt: string;
}

export interface DocumentView extends DocumentSummary {
  rawSha256: string;
  contentType: string | null;
  reading: Record<string, unknown> | null;
  events: Record<string, unknown>[];
  notes: string[];
  outcomes: Record<string, unknown>[] | null;
  receivedBy: Record<string, unknown>;
  updatedAt: string;
}

const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();

function summary(r: Row): DocumentSummary {
  return {
    id: r.id,
    source: r.source,
    programId: r.program_id,
    status: r.status,
    format: r.format,
    kind: r.kind,
    number: r.number,
    sellerKey: r.seller_key,
    buyerKey: r.buyer_key,
    documentKey: r.document_key,
    partnerId: r.partner_id,
    fileName: r.file_name,
    rejection: r.rejection,
    duplicateOf: r.duplicate_of,
    createdAt: iso(r.created_at),
  };
}

function view(r: Row): DocumentView {
  return {
    ...summary(r),
    rawSha256: r.raw_sha256,
    contentType: r.content_type,
    reading: r.reading as unknown as Record<string, unknown> | null,
    events: r.events as unknown as Record<string, unknown>[],
    notes: r.notes,
    outcomes: r.outcomes as unknown as Record<string, unknown>[] | null,
    receivedBy: r.received_by,
    updatedAt: iso(r.updated_at),
  };
}

/** JSON PostgreSQL's jsonb can store: no NUL characters (a libxml2 message may quote one). */
function json(value: unknown): string {
  return JSON.stringify(value).replaceAll('\\u0000', '');
}

const COLUMNS = 'id, source, program_id, status, format, kind, number, seller_key, buyer_key, document_key, partner_id, raw_sha256, file_name, content_type, reading, events, notes, outcomes, rejection, duplicate_of, received_by, created_at, updated_at';

export interface SubmitInput {
  bytes: Buffer;
  source: string;
  programId?: string;
  fileName?: string;
  contentType?: string;
}

export type SubmitResult =
  | { kind: 'accepted'; document: DocumentView; replayed: boolean }
  | { kind: 'rejected'; document: DocumentView; rejection: DocumentRejection }
  | { kind: 'duplicate'; document: DocumentView; original: DocumentSummary };

export interface DocumentService {
  submit(ctx: RequestContext, input: SubmitInput): Promise<SubmitResult>;
  list(ctx: RequestContext, query: { status?: DocumentStatus; source?: string; programId?: string; limit: number; before?: string }): Promise<{ items: DocumentSummary[]; nextBefore: string | null }>;
  get(ctx: RequestContext, id: string): Promise<DocumentView>;
  raw(ctx: RequestContext, id: string): Promise<{ bytes: Buffer; contentType: string | null; fileName: string | null }>;
  /**
   * An invoice was processed in the inbox (`earning.event.processed`): documents whose events were refused while it
   * waited — its own payment waiting for the partner to be mapped, a correction or payment sent before it — are sent
   * again. Returns the documents sent again.
   */
  invoiceProcessed(ctx: RequestContext, inboxEventId: string): Promise<string[]>;
}

/** Programs an admin is limited to (null: every program). */
function scopeOf(ctx: RequestContext): string[] | null {
  const a = ctx.actor;
  if (a.kind === 'user') return a.programIds;
  if (a.kind === 'api-key') return a.programId ? [a.programId] : null;
  return null;
}

export function createDocumentService(deps: { inbox: () => EarningInbox; partners: () => PartnerDirectory; audit: () => AuditTrail }): DocumentService {
  /** Store a received document with its audit record, in one transaction. */
  async function insert(ctx: RequestContext, values: Record<string, unknown>, received: 'read' | 'rejected' | 'duplicate', onConflictNothing = false): Promise<Row | undefined> {
    const names = Object.keys(values);
    const casts = names.map((n) => (['reading', 'events', 'notes', 'outcomes', 'rejection', 'received_by'].includes(n) ? '?::jsonb' : '?'));
    return ctx.em.transactional(async (em) => {
      const rows = await em.execute<Row[]>(
        `insert into erp_document (${names.join(', ')}) values (${casts.join(', ')}) ${onConflictNothing ? `on conflict (source, document_key) where status in ('posted', 'refused') do nothing` : ''} returning ${COLUMNS}`,
        names.map((n) => values[n]),
      );
      const row = rows[0];
      if (row) {
        deps.audit().record({ ...ctx, em }, {
          action: 'erp-connectors.document.received',
          subjectType: 'erp-document',
          subjectId: row.id,
          data: { received, source: row.source, programId: row.program_id, documentKey: row.document_key, number: row.number, rejection: row.rejection?.code ?? null, duplicateOf: row.duplicate_of },
        });
      }
      return row;
    });
  }

  async function byId(ctx: RequestContext, id: string, withRaw = false): Promise<Row> {
    const scope = scopeOf(ctx);
    const [row] = await ctx.em.execute<Row[]>(`select ${COLUMNS}${withRaw ? ', raw' : ''} from erp_document where id = ? and (?::uuid[] is null or program_id = any(?::uuid[]))`, [id, scope, scope]);
    if (!row) throw new AppError('ERP_DOCUMENT_NOT_FOUND', 404, { params: { id } });
    return row;
  }

  /** Send the document's events to the inbox, in order, each on its own; keep every answer. */
  async function post(ctx: RequestContext, row: Row): Promise<Row> {
    const outcomes: InboxItemResult[] = [];
    for (const [index, event] of row.events.entries()) {
      const answer = await deps.inbox().ingestMany(ctx, [event], { prefix: `/events/${index}` });
      const item = answer.items[0]!;
      outcomes.push({ ...item, index });
    }
    const status: DocumentStatus = outcomes.every((o) => o.ok) ? 'posted' : 'refused';
    const partnerId = outcomes.map((o) => (o.ok ? o.event.partnerId : null)).find(Boolean) ?? row.partner_id;
    const [updated] = await ctx.em.execute<Row[]>(`update erp_document set status = ?, outcomes = ?::jsonb, partner_id = ?, updated_at = now() where id = ? returning ${COLUMNS}`, [status, json(outcomes), partnerId, row.id]);
    return updated!;
  }

  return {
    async submit(ctx, input) {
      const programId = input.programId ?? (ctx.actor.kind === 'api-key' ? (ctx.actor.programId ?? undefined) : undefined);
      const sha = createHash('sha256').update(input.bytes).digest('hex');
      const base = {
        source: input.source,
        program_id: programId ?? null,
        raw: input.bytes,
        raw_sha256: sha,
        file_name: input.fileName ?? null,
        content_type: input.contentType ?? null,
        received_by: json(describeActor(ctx.actor)),
      };
      let result: DocumentResult;
      try {
        result = readDocument(input.bytes, { source: input.source, ...(programId ? { programId } : {}) });
      } catch (error) {
        const rejection = error instanceof DocumentRejection ? error : new DocumentRejection('ERP_VALUE_INVALID', String(error));
        const row = await insert(ctx, { ...base, status: 'rejected', rejection: json({ code: rejection.code, reason: rejection.reason, line: rejection.line, path: rejection.path }) }, 'rejected');
        ctx.log.info({ documentId: row!.id, code: rejection.code, line: rejection.line }, 'erp document rejected');
        return { kind: 'rejected', document: view(row!), rejection };
      }
      const r = result.reading;
      const read = {
        ...base,
        format: r.format,
        kind: r.kind,
        number: r.number,
        seller_key: r.seller.key,
        buyer_key: r.buyer.key,
        document_key: result.documentKey,
        reading: json(r),
        events: json(result.events),
        notes: json(result.notes),
      };
      // Which partner the buyer is, when the program is known (the inbox matches again when it posts).
      if (programId && r.buyer) {
        const who = result.events.find((e) => e.type === 'invoice.issued');
        if (who && who.type === 'invoice.issued') {
          const partner = await deps.partners().find(ctx, programId, who.partner).catch(() => null);
          if (partner) Object.assign(read, { partner_id: partner.id });
        }
      }
      const placed = await insert(ctx, { ...read, status: 'refused' }, 'read', true);
      if (placed) return { kind: 'accepted', document: view(await post(ctx, placed)), replayed: false };

      // The key is taken in this source: the same bytes again are a replay (refused events are sent again); other
      // bytes are a duplicate, kept and posting nothing.
      const [first] = await ctx.em.execute<Row[]>(`select ${COLUMNS} from erp_document where source = ? and document_key = ? and status in ('posted', 'refused')`, [input.source, result.documentKey]);
      if (first && first.raw_sha256 === sha) {
        return { kind: 'accepted', document: view(first.status === 'refused' ? await post(ctx, first) : first), replayed: true };
      }
      const row = await insert(ctx, { ...read, events: '[]', status: 'duplicate', duplicate_of: first?.id ?? null }, 'duplicate');
      return { kind: 'duplicate', document: view(row!), original: summary(first!) };
    },

    async list(ctx, query) {
      const scope = scopeOf(ctx);
      const rows = await ctx.em.execute<Row[]>(
        `select ${COLUMNS} from erp_document
          where (?::text is null or status = ?) and (?::text is null or source = ?) and (?::uuid is null or program_id = ?)
            and (?::uuid[] is null or program_id = any(?::uuid[])) and (?::uuid is null or id < ?)
          order by id desc limit ?`,
        [query.status ?? null, query.status ?? null, query.source ?? null, query.source ?? null, query.programId ?? null, query.programId ?? null, scope, scope, query.before ?? null, query.before ?? null, query.limit + 1],
      );
      const items = rows.slice(0, query.limit).map(summary);
      return { items, nextBefore: rows.length > query.limit ? items.at(-1)!.id : null };
    },

    async get(ctx, id) {
      return view(await byId(ctx, id));
    },

    async invoiceProcessed(ctx, inboxEventId) {
      const [own] = await ctx.em.execute<{ source: string; external_id: string }[]>(
        `select source, events->0->>'externalId' as external_id from erp_document where status in ('posted', 'refused') and outcomes @> ?::jsonb limit 1`,
        [json([{ ok: true, event: { id: inboxEventId, type: 'invoice.issued' } }])],
      );
      const waiting = await ctx.em.execute<Row[]>(
        `select ${COLUMNS} from erp_document where status = 'refused' and (outcomes @> ?::jsonb or (source = ? and (events @> ?::jsonb or events @> ?::jsonb))) order by id`,
        [json([{ ok: true, event: { id: inboxEventId } }]), own?.source ?? null, json([{ originalExternalId: own?.external_id ?? null }]), json([{ invoiceExternalId: own?.external_id ?? null }])],
      );
      const sent: string[] = [];
      for (const row of waiting) {
        await post(ctx, row);
        sent.push(row.id);
      }
      if (sent.length) ctx.log.info({ inboxEventId, documents: sent }, 'erp documents sent again after their invoice was processed');
      return sent;
    },

    async raw(ctx, id) {
      const row = await byId(ctx, id, true);
      return { bytes: Buffer.from(row.raw!), contentType: row.content_type, fileName: row.file_name };
    },
  };
}
