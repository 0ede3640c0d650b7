import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { ApprovalWorkflowInput } from '@laurel/core';
import type { ApprovalActivities } from './approval.activities.ts';
import { approvalDecideSignal, approvalStatusQuery } from '../definitions.ts';
import { decideApproval, initialApprovalState, type ApprovalEvent, type ApprovalOutcome, type ApprovalStep } from './approval.decisions.ts';

const { recordApprovalOutcome } = proxyActivities<ApprovalActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

/**
 * Waits for an approve/reject signal until the deadline, then records the outcome in PostgreSQL.
 * Every decision is taken by `decideApproval`; this function only carries out its commands.
 */
export async function approvalWorkflow(input: ApprovalWorkflowInput): Promise<ApprovalOutcome> {
  let step: ApprovalStep = decideApproval(initialApprovalState(input), { type: 'started' });
  const inbox: ApprovalEvent[] = [];
  setHandler(approvalDecideSignal, (signal) => {
    inbox.push({ type: 'decision', signal });
  });
  setHandler(approvalStatusQuery, () => ({ phase: step.state.phase, outcome: step.state.outcome, ignoredSignals: step.state.ignoredSignals }));

  for (;;) {
    const command = step.commands[0];
    if (!command) {
      // Nothing to do until something happens (an ignored signal leaves no command).
      await condition(() => inbox.length > 0);
      step = decideApproval(step.state, inbox.shift()!);
      continue;
    }
    switch (command.type) {
      case 'wait-for-decision': {
        const arrived = await condition(() => inbox.length > 0, command.timeoutSeconds * 1000);
        step = decideApproval(step.state, arrived ? inbox.shift()! : { type: 'timed-out' });
        break;
      }
      case 'record-outcome':
        await recordApprovalOutcome({ approvalId: command.approvalId, outcome: command.outcome, signal: command.signal });
        step = decideApproval(step.state, { type: 'recorded' });
        break;
      case 'complete':
        return command.outcome;
    }
  }
}
