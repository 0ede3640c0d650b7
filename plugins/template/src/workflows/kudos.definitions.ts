/** Names shared by the workflow, the routes that start and signal it, and the worker. Imports nothing at run time. */
export const KUDOS_WORKFLOW_TYPE = 'templateKudosWorkflow';
export const KUDOS_DECIDE_SIGNAL = 'templateKudosDecide';
export const kudosWorkflowId = (kudosId: string): string => `template-kudos-${kudosId}`;

export interface KudosWorkflowInput {
  kudosId: string;
  needsApproval: boolean;
  approvalSeconds: number;
}
