/** Every core workflow, as the worker's bundle sees them. Workflow code only: no I/O, no Node APIs. */
export { approvalWorkflow } from './approval/approval.workflow.ts';
export { redemptionWorkflow } from './redemption/redemption.workflow.ts';
