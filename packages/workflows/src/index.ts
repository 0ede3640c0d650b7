export { DEFAULT_TASK_QUEUE, approvalDecideSignal, approvalStatusQuery } from './definitions.ts';
export { decideApproval, initialApprovalState } from './approval/approval.decisions.ts';
export type { ApprovalCommand, ApprovalEvent, ApprovalPhase, ApprovalState, ApprovalStep } from './approval/approval.decisions.ts';
export { createApprovalActivities } from './approval/approval.activities.ts';
export { CORE_WORKFLOWS_PATH, activityDeps, allActivities, bundleWorkflows, createLaurelWorker, workflowsEntry } from './worker.ts';
export { findTemporal } from './temporal-discovery.ts';
export { startTemporalDevServer } from './temporal-dev-server.ts';
export type { TemporalDevServer } from './temporal-dev-server.ts';
export type { TemporalSource } from './temporal-discovery.ts';
