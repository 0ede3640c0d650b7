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
}

export interface AuditService {
  /** Queue an audit record in `ctx.em`: it commits with the change it describes. */
  record(ctx: RequestContext, input: AuditEntryInput): void;
  list(ctx: RequestContext, query: { subjectType?: string; subjectId?: string; limit: number }): Promise<AuditEntry[]>;
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
        data: input.data ?? {},
      }),
    );
  },
  async list(ctx, query) {
    const where: Record<string, string> = {};
    if (query.subjectType) where.subjectType = query.subjectType;
    if (query.subjectId) where.subjectId = query.subjectId;
    const rows = await ctx.em.find(AuditRecord, where, { orderBy: { occurredAt: 'desc', id: 'desc' }, limit: query.limit });
    return rows.map((r) => ({
      id: r.id,
      occurredAt: r.occurredAt.toISOString(),
      actor: r.actor,
      action: r.action,
      subjectType: r.subjectType,
      subjectId: r.subjectId,
      requestId: r.requestId ?? null,
      data: r.data,
    }));
  },
};
