import { randomUUID } from 'node:crypto';
import {
  AppError,
  LockMode,
  createServiceRef,
  describeActor,
  type AuditTrail,
  type DeliveredEvent,
  type EarningInbox,
  type InferEntity,
  type Mailer,
  type PartnerDirectory,
  type RequestContext,
} from '@laurel/plugin-sdk';
import type { KudosDraft, KudosLevel } from './hooks.ts';
import { Kudos, Tally, type KudosStatus } from './kudos.entity.ts';
import type { Settings } from './settings.ts';
import { KUDOS_DECIDE_SIGNAL, KUDOS_WORKFLOW_TYPE, kudosWorkflowId, type KudosWorkflowInput } from './workflows/kudos.definitions.ts';

type KudosRow = InferEntity<typeof Kudos>;

export interface KudosView {
  id: string;
  programId: string;
  partnerId: string;
  message: string;
  level: KudosLevel;
  status: KudosStatus;
  points: number | null;
  createdAt: string;
}

function view(row: KudosRow): KudosView {
  return { id: row.id, programId: row.programId, partnerId: row.partnerId, message: row.message, level: row.level, status: row.status, points: row.points ?? null, createdAt: row.createdAt.toISOString() };
}

export interface KudosDeps {
  settings: Settings;
  /** Services of other modules, resolved lazily (`ctx.inject`). */
  directory: () => PartnerDirectory;
  inbox: () => EarningInbox;
  audit: () => AuditTrail;
  mailer: () => Mailer;
}

/**
 * The plugin's service. Every method takes the caller's RequestContext first (actor, locale, entity manager, hooks),
 * so routes, listeners, scheduled tasks and Temporal activities all call the same code.
 */
export function createKudosService(deps: KudosDeps) {
  async function load(ctx: RequestContext, id: string): Promise<KudosRow> {
    const row = await ctx.em.findOne(Kudos, { id });
    if (!row) throw new AppError('TEMPLATE_KUDOS_NOT_FOUND', 404, { params: { id } });
    return row;
  }

  return {
    /** Give kudos: filtered, stored with its event and audit record in one transaction, and its workflow asked for. */
    async give(ctx: RequestContext, input: KudosDraft): Promise<KudosView> {
      const partner = await deps.directory().get(ctx, input.partnerId);
      if (!partner) throw new AppError('TEMPLATE_PARTNER_UNKNOWN', 422, { params: { id: input.partnerId }, fields: [{ field: '/body/partnerId', messageKey: 'errors.TEMPLATE_PARTNER_UNKNOWN', params: { id: input.partnerId } }] });
      if (partner.status !== 'active') throw new AppError('TEMPLATE_PARTNER_NOT_ACTIVE', 409, { params: { name: partner.legalName, status: partner.status } });
      const draft = await ctx.applyFilter('template.kudos.validate', { ...input, message: input.message.trim() });
      const banned = deps.settings.bannedWords.find((w) => draft.message.toLowerCase().includes(w.toLowerCase()));
      if (banned) throw new AppError('TEMPLATE_MESSAGE_BANNED', 422, { params: { word: banned }, fields: [{ field: '/body/message', messageKey: 'errors.TEMPLATE_MESSAGE_BANNED', params: { word: banned } }] });
      const needsApproval = deps.settings.approvalFor.includes(draft.level);
      const now = new Date();
      const row = await ctx.em.transactional(async (em) => {
        const kudos = em.create(Kudos, {
          id: randomUUID(),
          programId: partner.programId,
          partnerId: partner.id,
          message: draft.message,
          level: draft.level,
          status: needsApproval ? 'awaiting-approval' : 'approved',
          givenBy: describeActor(ctx.actor),
          countedAt: null,
          earningEventId: null,
          points: null,
          decisionReason: null,
          createdAt: now,
          updatedAt: now,
        });
        const tx = { ...ctx, em };
        deps.audit().record(tx, { action: 'template.kudos.given', subjectType: 'template-kudos', subjectId: kudos.id, data: { partnerId: partner.id, level: draft.level } });
        // Both go to the outbox with the row: they happen if and only if the kudos are stored.
        ctx.emit('template.kudos.given', { kudosId: kudos.id, partnerId: partner.id, programId: partner.programId, level: draft.level, needsApproval });
        // Mail is queued in the same transaction and sent after commit, in each approver's language.
        if (needsApproval) {
          for (const approver of deps.settings.approvers) {
            deps.mailer().send(tx, { to: approver.email, locale: approver.locale, template: 'template:approvalNeeded', params: { partner: partner.legalName, message: draft.message, kudosId: kudos.id } });
          }
        }
        const workflowInput: KudosWorkflowInput = { kudosId: kudos.id, needsApproval, approvalSeconds: deps.settings.approvalDays * 86_400 };
        ctx.startWorkflow({ workflowType: KUDOS_WORKFLOW_TYPE, workflowId: kudosWorkflowId(kudos.id), args: [workflowInput] });
        return kudos;
      });
      return view(row);
    },

    async list(ctx: RequestContext, query: { partnerId?: string; limit: number }): Promise<KudosView[]> {
      const rows = await ctx.em.find(Kudos, query.partnerId ? { partnerId: query.partnerId } : {}, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit });
      return rows.map(view);
    },

    async get(ctx: RequestContext, id: string): Promise<KudosView> {
      return view(await load(ctx, id));
    },

    /** An approver's decision: audited here, carried out by the workflow (signalled through the outbox). */
    async decide(ctx: RequestContext, id: string, decision: { decision: 'approve' | 'reject'; reason: string | null }): Promise<KudosView> {
      const row = await load(ctx, id);
      if (row.status !== 'awaiting-approval') throw new AppError('TEMPLATE_KUDOS_DECIDED', 409, { params: { id, status: row.status } });
      await ctx.em.transactional(async (em) => {
        deps.audit().record({ ...ctx, em }, { action: `template.kudos.${decision.decision === 'approve' ? 'approved' : 'rejected'}`, subjectType: 'template-kudos', subjectId: id, data: { reason: decision.reason } });
        ctx.signalWorkflow({ workflowId: kudosWorkflowId(id), signal: KUDOS_DECIDE_SIGNAL, args: [decision] });
      });
      return view(row);
    },

    /**
     * Activity: send the kudos to the earning inbox as a `custom.kudos` event; the program's rules decide the points.
     * Idempotent: the inbox is keyed by (source, externalId), so a retried activity gets the first answer.
     */
    async grant(ctx: RequestContext, id: string): Promise<KudosView> {
      const row = await load(ctx, id);
      if (row.status === 'granted') return view(row);
      if (row.status !== 'approved' && row.status !== 'awaiting-approval') throw new AppError('TEMPLATE_KUDOS_DECIDED', 409, { params: { id, status: row.status } });
      const outcome = await deps.inbox().ingest(ctx, {
        type: 'custom.kudos',
        source: 'template',
        externalId: row.id,
        occurredAt: row.createdAt.toISOString(),
        programId: row.programId,
        partner: { partnerId: row.partnerId },
        data: { level: row.level },
      });
      await ctx.em.transactional(async (em) => {
        const locked = await em.findOneOrFail(Kudos, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (locked.status === 'granted') return;
        Object.assign(locked, { status: 'granted', earningEventId: outcome.id, points: outcome.points, updatedAt: new Date() });
        ctx.emit('template.kudos.granted', { kudosId: id, partnerId: locked.partnerId, points: outcome.points, earningEventId: outcome.id });
      });
      return view(await load(ctx, id));
    },

    /** Activity: a rejected or expired kudos earns nothing. */
    async close(ctx: RequestContext, id: string, status: 'rejected' | 'expired', reason: string | null): Promise<KudosView> {
      await ctx.em.transactional(async (em) => {
        const row = await em.findOne(Kudos, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!row || row.status !== 'awaiting-approval') return;
        Object.assign(row, { status, decisionReason: reason, updatedAt: new Date() });
      });
      return view(await load(ctx, id));
    },

    /** Listener: put given kudos on the leaderboard once, however often the event is delivered. */
    async count(ctx: RequestContext, event: DeliveredEvent<'template.kudos.given'>): Promise<void> {
      await ctx.em.transactional(async (em) => {
        const updated = await em.nativeUpdate(Kudos, { id: event.payload.kudosId, countedAt: null }, { countedAt: new Date() });
        if (updated === 0) return; // delivered before: counted already
        await em.execute(
          `insert into template_tally (partner_id, program_id, kudos, updated_at) values (?, ?, 1, now())
           on conflict (partner_id) do update set kudos = template_tally.kudos + 1, updated_at = now()`,
          [event.payload.partnerId, event.payload.programId],
        );
      });
    },

    /** Scheduled: recount the leaderboard from the kudos themselves (repairs whatever drifted). Returns the partners recounted. */
    async reconcile(ctx: RequestContext): Promise<number> {
      return ctx.em.transactional(async (em) => {
        const rows = await em.execute<{ n: number }[]>(
          `with counts as (select partner_id, program_id, count(*)::int as kudos from template_kudos where counted_at is not null group by partner_id, program_id)
           insert into template_tally (partner_id, program_id, kudos, updated_at) select partner_id, program_id, kudos, now() from counts
           on conflict (partner_id) do update set kudos = excluded.kudos, updated_at = now() where template_tally.kudos <> excluded.kudos
           returning 1 as n`,
        );
        return rows.length;
      });
    },

    async leaderboard(ctx: RequestContext, programId: string): Promise<{ partnerId: string; kudos: number }[]> {
      const rows = await ctx.em.find(Tally, { programId }, { orderBy: { kudos: 'desc', partnerId: 'asc' }, limit: 100 });
      return rows.map((r) => ({ partnerId: r.partnerId, kudos: r.kudos }));
    },
  };
}

export type KudosService = ReturnType<typeof createKudosService>;

/** Other plugins (and this plugin's activities) reach the service through this ref. */
export const kudosServiceRef = createServiceRef<KudosService>('template.kudos');
