import { AppError, type RequestContext } from '@laurel/plugin-sdk';
import type { AuditService } from '../audit/index.ts';

export interface DeadLetter {
  id: string;
  eventId: string;
  event: string;
  listener: string;
  attempts: number;
  lastError: string | null;
  payload: unknown;
  occurredAt: string;
  parkedAt: string;
}

interface DeadLetterRow {
  id: string;
  event_id: string;
  name: string;
  listener: string;
  attempts: number;
  last_error: string | null;
  payload: unknown;
  occurred_at: Date | string;
  updated_at: Date | string;
}

const iso = (v: Date | string): string => new Date(v).toISOString();

/** The dead-letter list: deliveries that failed past their attempts, kept for an admin to inspect and replay. */
export function createDeadLetterService(audit: () => AuditService) {
  return {
    async list(ctx: RequestContext, query: { limit: number }): Promise<DeadLetter[]> {
      const rows = await ctx.em.execute<DeadLetterRow[]>(
        `select d.id, d.event_id, e.name, d.listener, d.attempts, d.last_error, e.payload, e.occurred_at, d.updated_at
           from laurel_outbox_delivery d join laurel_outbox_event e on e.id = d.event_id
          where d.status = 'dead'
          order by d.updated_at desc, d.id desc
          limit ?`,
        [query.limit],
      );
      return rows.map((r) => ({
        id: r.id,
        eventId: r.event_id,
        event: r.name,
        listener: r.listener,
        attempts: r.attempts,
        lastError: r.last_error,
        payload: r.payload,
        occurredAt: iso(r.occurred_at),
        parkedAt: iso(r.updated_at),
      }));
    },

    /** Put a parked delivery back in the queue with fresh attempts; leaves an audit record. */
    async replay(ctx: RequestContext, id: string): Promise<{ id: string; status: 'pending' }> {
      return ctx.em.transactional(async (em) => {
        const [row] = await em.execute<{ status: string }[]>(`select status from laurel_outbox_delivery where id = ? for update`, [id]);
        if (!row) throw new AppError('SYSTEM_DEAD_LETTER_NOT_FOUND', 404, { params: { id } });
        if (row.status !== 'dead') throw new AppError('SYSTEM_DEAD_LETTER_NOT_PARKED', 409, { params: { id, status: row.status } });
        await em.execute(`update laurel_outbox_delivery set status = 'pending', attempts = 0, available_at = now(), updated_at = now() where id = ?`, [id]);
        audit().record({ ...ctx, em }, { action: 'system.dead-letter.replayed', subjectType: 'outbox-delivery', subjectId: id });
        await em.flush();
        return { id, status: 'pending' as const };
      });
    },
  };
}
