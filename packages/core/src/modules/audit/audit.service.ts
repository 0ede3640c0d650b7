import { createServiceRef, describeActor, type RequestContext } from '@laurel/plugin-sdk';
import { uuidv7 } from '../../platform/ids.ts';
import { AuditRecord } from './audit.entity.ts';

export interface AuditEntryInput {
  /** `<module>.<entity>.<verb>`, e.g. `system.dead-letter.replayed`. */
  action: string;
  subjectType: string;
  subjectId: string;
  data?: Record<string, unknown>;
}

export interface AuditEntry extends Required<AuditEntryInput> {
  id: string;
  occurredAt: string;
  actor: unknown;
  requestId: string | null;
  ip: string | null;
}

export interface AuditQuery {
  subjectType?: string;
  subjectId?: string;
  /** An action, or a prefix ending in a dot: `partners.` */
  action?: string;
  /** The id of the acting user or API key. */
  actorId?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

export interface AuditService {
  /** Queue an audit record in `ctx.em`: it commits with the change it describes. */
  record(ctx: RequestContext, input: AuditEntryInput): void;
  list(ctx: RequestContext, query: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }>;
}

export const auditServiceRef = createServiceRef<AuditService>('audit.service');

export const auditService: AuditService = {
  record(ctx, input) {
    ctx.em.persist(
      ctx.em.create(AuditRecord, {
        id: uuidv7(),
        occurredAt: new Date(),
        actor: describeActor(ctx.actor),
        action: input.action,
        subjectType: input.subjectType,
        subjectId: input.subjectId,
        requestId: ctx.requestId,
        ip: ctx.ip,
        data: input.data ?? {},
      }),
    );
  },
  async list(ctx, query) {
    const and: Record<string, unknown>[] = [];
    if (query.subjectType) and.push({ subjectType: query.subjectType });
    if (query.subjectId) and.push({ subjectId: query.subjectId });
    if (query.action) and.push(query.action.endsWith('.') ? { action: { $like: `${query.action.replace(/[\\%_]/g, (c) => `\\${c}`)}%` } } : { action: query.action });
    if (query.actorId) and.push({ $or: [{ actor: { userId: query.actorId } }, { actor: { keyId: query.actorId } }] });
    if (query.from) and.push({ occurredAt: { $gte: new Date(query.from) } });
    if (query.to) and.push({ occurredAt: { $lt: new Date(query.to) } });
    if (query.cursor) {
      const [at, id] = JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8')) as [string, string];
      and.push({ $or: [{ occurredAt: { $lt: new Date(at) } }, { occurredAt: new Date(at), id: { $lt: id } }] });
    }
    const rows = await ctx.em.find(AuditRecord, and.length ? { $and: and } : {}, { orderBy: { occurredAt: 'desc', id: 'desc' }, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > query.limit && last ? Buffer.from(JSON.stringify([last.occurredAt.toISOString(), last.id])).toString('base64url') : null;
    const items = page.map((r) => ({
      id: r.id,
      occurredAt: r.occurredAt.toISOString(),
      actor: r.actor,
      action: r.action,
      subjectType: r.subjectType,
      subjectId: r.subjectId,
      requestId: r.requestId ?? null,
      ip: r.ip ?? null,
      data: r.data,
    }));
    return { items, nextCursor };
  },
};
