import { ApplicationFailure } from '@temporalio/common';
import { isAppError, type ActivityDeps } from '@laurel/plugin-sdk';
import { approvalServiceRef, type ApprovalDecisionSignal, type ApprovalOutcome, type ApprovalView } from '@laurel/core';

/** Activities call module services; they are idempotent (recording an outcome twice changes nothing). */
export function createApprovalActivities(deps: ActivityDeps) {
  return {
    async recordApprovalOutcome(input: { approvalId: string; outcome: ApprovalOutcome; signal: ApprovalDecisionSignal | null }): Promise<ApprovalView> {
      try {
        return await deps.inject(approvalServiceRef).recordOutcome(deps.systemContext('approval-workflow'), input.approvalId, input.outcome, input.signal);
      } catch (error) {
        if (isAppError(error) && !error.retryable) throw ApplicationFailure.nonRetryable(error.code, error.code);
        throw error;
      }
    },
  };
}

export type ApprovalActivities = ReturnType<typeof createApprovalActivities>;
