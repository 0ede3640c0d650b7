import { AppError, createServiceRef, describeActor, LockMode, type InferEntity, type RequestContext } from '@laurel/plugin-sdk';
import { uuidv7 } from '../../platform/ids.ts';
import type { AuditService } from '../audit/index.ts';
import { ApprovalRequest, type ApprovalStatus } from './approval.entity.ts';

export const APPROVAL_WORKFLOW_TYPE = 'approvalWorkflow';
export const APPROVAL_DECIDE_SIGNAL = 'decide';

export interface ApprovalView {
  id: string;
  subject: string;
  reference: string | null;
  status: ApprovalStatus;
  timeoutSeconds: number;
  requestedAt: string;
  decidedAt: string | null;
  decisionComment: string | null;
  workflowId: string;
}

export type ApprovalDecision = 'approved' | 'rejected';
export type ApprovalOutcome = ApprovalDecision | 'expired';

export interface ApprovalWorkflowInput {
  approvalId: string;
  timeoutSeconds: number;
}

export interface ApprovalDecisionSignal {
  decision: ApprovalDecision;
  comment: string | null;
  decidedBy: unknown;
}

export function approvalWorkflowId(approvalId: string): string {
  return `approval-${approvalId}`;
}

function view(row: InferEntity<typeof ApprovalRequest>): ApprovalView {
  return {
    id: row.id,
    subject: row.subject,
    reference: row.reference ?? null,
    status: row.status,
    timeoutSeconds: row.timeoutSeconds,
    requestedAt: row.requestedAt.toISOString(),
    decidedAt: row.decidedAt ? row.decidedAt.toISOString() : null,
    decisionComment: row.decisionComment ?? null,
    workflowId: approvalWorkflowId(row.id),
  };
}

/**
 * Approval requests: a person approves or rejects something before a deadline; past it, the request
 * expires. The decision waits in a Temporal workflow (`approvalWorkflow`); this service keeps the
 * PostgreSQL mirror and asks for workflow starts and signals through the outbox.
 */
export function createApprovalService(audit: () => AuditService) {
  return {
    async request(ctx: RequestContext, input: { subject: string; reference?: string | null; timeoutSeconds: number; id?: string }): Promise<ApprovalView> {
      const row = ctx.em.create(ApprovalRequest, {
        id: input.id ?? uuidv7(),
        subject: input.subject,
        reference: input.reference ?? null,
        status: 'pending',
        timeoutSeconds: input.timeoutSeconds,
        requestedBy: describeActor(ctx.actor),
        decidedBy: null,
        decisionComment: null,
        requestedAt: new Date(),
        decidedAt: null,
      });
      ctx.em.persist(row);
      const workflowInput: ApprovalWorkflowInput = { approvalId: row.id, timeoutSeconds: input.timeoutSeconds };
      ctx.startWorkflow({ workflowType: APPROVAL_WORKFLOW_TYPE, workflowId: approvalWorkflowId(row.id), args: [workflowInput] });
      audit().record(ctx, { action: 'system.approval.requested', subjectType: 'approval', subjectId: row.id, data: { subject: input.subject } });
      await ctx.em.flush();
      return view(row);
    },

    async find(ctx: RequestContext, id: string): Promise<ApprovalView | null> {
      const row = await ctx.em.findOne(ApprovalRequest, { id });
      return row ? view(row) : null;
    },

    async get(ctx: RequestContext, id: string): Promise<ApprovalView> {
      const row = await ctx.em.findOne(ApprovalRequest, { id });
      if (!row) throw new AppError('SYSTEM_APPROVAL_NOT_FOUND', 404, { params: { id } });
      return view(row);
    },

    /** Send a person's decision to the waiting workflow (through the outbox). */
    async decide(ctx: RequestContext, id: string, input: { decision: ApprovalDecision; comment?: string | null }): Promise<ApprovalView> {
      const row = await ctx.em.findOne(ApprovalRequest, { id });
      if (!row) throw new AppError('SYSTEM_APPROVAL_NOT_FOUND', 404, { params: { id } });
      if (row.status !== 'pending') throw new AppError('SYSTEM_APPROVAL_ALREADY_DECIDED', 409, { params: { id, status: row.status } });
      const signal: ApprovalDecisionSignal = { decision: input.decision, comment: input.comment ?? null, decidedBy: describeActor(ctx.actor) };
      ctx.signalWorkflow({ workflowId: approvalWorkflowId(id), signal: APPROVAL_DECIDE_SIGNAL, args: [signal] });
      audit().record(ctx, { action: 'system.approval.decision-sent', subjectType: 'approval', subjectId: id, data: { decision: input.decision } });
      await ctx.em.flush();
      return view(row);
    },

    /**
     * Record the workflow's outcome (called by the workflow's activity). Idempotent: a replayed activity
     * finds the request already decided and returns it unchanged.
     */
    async recordOutcome(ctx: RequestContext, id: string, outcome: ApprovalOutcome, signal: ApprovalDecisionSignal | null): Promise<ApprovalView> {
      return ctx.em.transactional(async (em) => {
        const row = await em.findOne(ApprovalRequest, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!row) throw new AppError('SYSTEM_APPROVAL_NOT_FOUND', 404, { params: { id } });
        if (row.status !== 'pending') return view(row);
        row.status = outcome;
        row.decidedAt = new Date();
        row.decidedBy = signal?.decidedBy ?? { kind: 'system', name: 'approval-timeout' };
        row.decisionComment = signal?.comment ?? null;
        audit().record({ ...ctx, em }, { action: `system.approval.${outcome}`, subjectType: 'approval', subjectId: id, data: {} });
        return view(row);
      });
    },
  };
}

export type ApprovalService = ReturnType<typeof createApprovalService>;
export const approvalServiceRef = createServiceRef<ApprovalService>('system.approvals');
