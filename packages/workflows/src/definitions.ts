/**
 * Names shared by workflows, the worker and the code that starts or signals them. Imported by workflow
 * code, so it holds only `@temporalio/workflow` definitions and constants.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ApprovalDecisionSignal } from '@laurel/core';
import type { ApprovalPhase } from './approval/approval.decisions.ts';
import type { RedemptionOutcome, RedemptionPhase } from './redemption/redemption.decisions.ts';

/** Default task queue; `LAUREL_TASK_QUEUE` overrides it. */
export const DEFAULT_TASK_QUEUE = 'laurel';

/** Must equal `APPROVAL_DECIDE_SIGNAL` in @laurel/core (a unit test keeps them equal). */
export const approvalDecideSignal = defineSignal<[ApprovalDecisionSignal]>('decide');
export const approvalStatusQuery = defineQuery<{ phase: ApprovalPhase; outcome: string | null; ignoredSignals: number }>('status');

/** Signals of the redemption workflow; the names equal `REDEMPTION_SIGNALS` in @laurel/core (a unit test keeps them equal). */
export const redemptionApproveSignal = defineSignal<[{ comment: string | null; by?: unknown }]>('approve');
export const redemptionRejectSignal = defineSignal<[{ comment: string | null; by?: unknown }]>('reject');
export const redemptionCancelSignal = defineSignal<[{ by?: unknown }]>('cancel');
export const redemptionShippedSignal = defineSignal<[{ trackingNumber: string | null; carrier: string | null }]>('shipped');
export const redemptionConfirmDeliverySignal = defineSignal<[{ by?: unknown }]>('confirm-delivery');
export interface RedemptionStatus {
  phase: RedemptionPhase;
  outcome: RedemptionOutcome | null;
  attempts: number;
  fulfilled: boolean;
  ignoredSignals: number;
}
export const redemptionStatusQuery = defineQuery<RedemptionStatus>('status');
