export {
  DEFAULT_TASK_QUEUE,
  approvalDecideSignal,
  approvalStatusQuery,
  redemptionApproveSignal,
  redemptionCancelSignal,
  redemptionConfirmDeliverySignal,
  redemptionRejectSignal,
  redemptionShippedSignal,
  redemptionStatusQuery,
} from './definitions.ts';
export type { RedemptionStatus } from './definitions.ts';
export { decideRedemption, initialRedemptionState, retryDelaySeconds } from './redemption/redemption.decisions.ts';
export type { RedemptionCommand, RedemptionEvent, RedemptionOutcome, RedemptionPhase, RedemptionState, RedemptionStep } from './redemption/redemption.decisions.ts';
export { createRedemptionActivities } from './redemption/redemption.activities.ts';
export { decideApproval, initialApprovalState } from './approval/approval.decisions.ts';
export type { ApprovalCommand, ApprovalEvent, ApprovalPhase, ApprovalState, ApprovalStep } from './approval/approval.decisions.ts';
export { createApprovalActivities } from './approval/approval.activities.ts';
export { CORE_WORKFLOWS_PATH, activityDeps, allActivities, bundleWorkflows, createLaurelWorker, workflowsEntry } from './worker.ts';
export { findTemporal } from './temporal-discovery.ts';
export { startTemporalDevServer } from './temporal-dev-server.ts';
export type { TemporalDevServer } from './temporal-dev-server.ts';
export type { TemporalSource } from './temporal-discovery.ts';
