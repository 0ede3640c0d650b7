import { CancellationScope, condition, isCancellation, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { RedemptionWorkflowInput } from '@laurel/core';
import type { RedemptionActivities } from './redemption.activities.ts';
import {
  redemptionApproveSignal,
  redemptionCancelSignal,
  redemptionConfirmDeliverySignal,
  redemptionRejectSignal,
  redemptionShippedSignal,
  redemptionStatusQuery,
} from '../definitions.ts';
import { decideRedemption, initialRedemptionState, isWaiting, type RedemptionCommand, type RedemptionEvent, type RedemptionOutcome, type RedemptionState } from './redemption.decisions.ts';

const activities = proxyActivities<RedemptionActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});
/** Fulfilment may wait on a supplier for up to its timeout (at most 60 s): the attempt must outlast it and be logged. */
const fulfilment = proxyActivities<Pick<RedemptionActivities, 'fulfilRedemption'>>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

/**
 * One workflow per redemption order (id `redemption-<order id>`). Every decision is taken by `decideRedemption`;
 * this function carries out its commands, feeds back what happened, and answers the status query. Signals that
 * arrive between commands are applied before the next command; an event that changes course replaces the commands
 * still queued. When the workflow is cancelled, the compensation still runs (in a non-cancellable scope).
 */
export async function redemptionWorkflow(input: RedemptionWorkflowInput): Promise<RedemptionOutcome> {
  let state: RedemptionState = initialRedemptionState(input);
  let queue: RedemptionCommand[] = [];
  const inbox: RedemptionEvent[] = [];
  setHandler(redemptionApproveSignal, () => void inbox.push({ type: 'approved' }));
  setHandler(redemptionRejectSignal, (s) => void inbox.push({ type: 'rejected', comment: s?.comment ?? null }));
  setHandler(redemptionCancelSignal, () => void inbox.push({ type: 'cancel-requested' }));
  setHandler(redemptionShippedSignal, () => void inbox.push({ type: 'shipped' }));
  setHandler(redemptionConfirmDeliverySignal, () => void inbox.push({ type: 'delivery-confirmed' }));
  setHandler(redemptionStatusQuery, () => ({ phase: state.phase, outcome: state.outcome, attempts: state.attempts, fulfilled: state.fulfilled, ignoredSignals: state.ignored }));

  const apply = (event: RedemptionEvent): void => {
    const step = decideRedemption(state, event);
    state = step.state;
    if (step.commands.length > 0) queue = [...step.commands];
  };
  let approvalDeadline: number | null = null;

  /** Carry out one command that acts (not a wait). Returns the outcome when the saga is complete. */
  const run = async (command: RedemptionCommand): Promise<RedemptionOutcome | null> => {
    const orderId = input.orderId;
    switch (command.type) {
      case 'record-status':
        await activities.recordRedemptionStatus({ orderId, status: command.status, note: command.note });
        return null;
      case 'reserve':
        try {
          await activities.reserveRedemption({ orderId });
          apply({ type: 'reserve-confirmed' });
        } catch (error) {
          if (isCancellation(error)) throw error;
          apply({ type: 'reserve-failed', reason: error instanceof Error ? error.message : String(error) });
        }
        return null;
      case 'fulfil': {
        if (command.delaySeconds > 0) await sleep(command.delaySeconds * 1000);
        const r = await fulfilment.fulfilRedemption({ orderId, attempt: command.attempt });
        if (r.result === 'failed') apply({ type: 'fulfilment-failed', retryable: r.retryable, reason: r.reason });
        else apply(r.result === 'done' ? { type: 'fulfilment-succeeded' } : { type: 'fulfilment-pending' });
        // The provider reports the physical good received: no confirmation to wait for.
        if (r.result === 'done' && r.delivered) inbox.push({ type: 'delivery-confirmed' });
        return null;
      }
      case 'capture':
        await activities.captureRedemption({ orderId });
        apply({ type: 'captured' });
        return null;
      case 'compensate':
        await activities.releaseRedemptionPoints({ orderId });
        if (command.restock) await activities.restockRedemption({ orderId });
        apply({ type: 'compensated' });
        return null;
      case 'complete':
        return command.outcome;
      default:
        return null;
    }
  };

  // Signals sent before the workflow ran (say, a cancel while Temporal was down) count before it starts.
  while (inbox.length > 0) apply(inbox.shift()!);
  apply({ type: 'started' });
  try {
    for (;;) {
      while (inbox.length > 0) apply(inbox.shift()!);
      const command = queue[0];
      if (!command) {
        await condition(() => inbox.length > 0);
        continue;
      }
      if (isWaiting(command)) {
        if (command.type === 'wait-for-approval') {
          approvalDeadline ??= Date.now() + command.timeoutSeconds * 1000;
          const arrived = await condition(() => inbox.length > 0, Math.max(0, approvalDeadline - Date.now()));
          if (!arrived) apply({ type: 'approval-timed-out' });
        } else {
          await condition(() => inbox.length > 0);
        }
        continue;
      }
      queue.shift();
      const outcome = await run(command);
      if (outcome) return outcome;
    }
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Cancelled: compensate (or finish a capture under way) in a scope the cancellation cannot interrupt, then end.
    // Signals received before the cancellation count first (a shipment an admin already made is not undone).
    while (inbox.length > 0) apply(inbox.shift()!);
    apply({ type: 'workflow-cancelled' });
    await CancellationScope.nonCancellable(async () => {
      while (queue.length > 0 && !isWaiting(queue[0]!)) {
        if (await run(queue.shift()!)) break;
      }
    });
    throw error;
  }
}
