/**
 * The redemption workflow's decisions: given the order's saga state and what just happened, what to do next. Pure and
 * deterministic (no I/O, no clock, no randomness), so every path is tested without a server; the workflow function
 * only carries out the commands and feeds back what happened.
 *
 * The order arrives with its points held and its stock taken (the synchronous part of placing it). From there:
 * approval when required (approve / reject / no answer by the deadline) → fulfilment through the reward's provider
 * (retried with backoff; manual fulfilment waits for an admin to ship) → delivery confirmation for physical goods →
 * capture. Rejection, expiry, a failed fulfilment, a cancellation by the partner (allowed until fulfilment starts) or
 * the workflow being cancelled compensate: release the points, and put the stock back unless the reward was already
 * handed over. Points end captured exactly once or released exactly once.
 */
import type { RedemptionWorkflowInput } from '@laurel/core';

export type RedemptionPhase = 'reserved' | 'reserving' | 'awaiting-approval' | 'fulfilling' | 'awaiting-shipment' | 'awaiting-delivery' | 'capturing' | 'compensating' | 'done';
export type RedemptionOutcome = 'completed' | 'cancelled' | 'rejected' | 'expired' | 'failed';
/** Statuses mirrored on the order row (a subset of the catalogue's order statuses). */
export type MirroredStatus = 'awaiting-approval' | 'fulfilling' | 'awaiting-shipment' | 'shipped' | RedemptionOutcome;

export interface RedemptionState {
  input: RedemptionWorkflowInput;
  phase: RedemptionPhase;
  /** Fulfilment attempts made so far. */
  attempts: number;
  /** The reward was handed over (code allocated, parcel shipped, service marked done): its stock is consumed. */
  fulfilled: boolean;
  outcome: RedemptionOutcome | null;
  /** Why the saga compensated (a rejection comment, the provider's error …). */
  reason: string | null;
  /** Events that arrived when they meant nothing any more (duplicates, late or out-of-order signals). */
  ignored: number;
}

export type RedemptionEvent =
  | { type: 'started' }
  | { type: 'reserve-confirmed' }
  | { type: 'reserve-failed'; reason: string }
  | { type: 'approved' }
  | { type: 'rejected'; comment?: string | null }
  | { type: 'approval-timed-out' }
  | { type: 'cancel-requested' }
  | { type: 'fulfilment-succeeded' }
  | { type: 'fulfilment-pending' }
  | { type: 'fulfilment-failed'; retryable: boolean; reason: string }
  | { type: 'shipped' }
  | { type: 'delivery-confirmed' }
  | { type: 'captured' }
  | { type: 'compensated' }
  | { type: 'workflow-cancelled' };

export type RedemptionCommand =
  | { type: 'record-status'; status: MirroredStatus; note: string | null }
  | { type: 'reserve' }
  | { type: 'wait-for-approval'; timeoutSeconds: number }
  | { type: 'fulfil'; attempt: number; delaySeconds: number }
  | { type: 'wait-for-shipment' }
  | { type: 'wait-for-delivery' }
  | { type: 'capture' }
  | { type: 'compensate'; restock: boolean }
  | { type: 'complete'; outcome: RedemptionOutcome };

export interface RedemptionStep {
  state: RedemptionState;
  commands: RedemptionCommand[];
}

/** Seconds to wait before fulfilment attempt `attempt` (2, 3, …): 30 s doubling, at most an hour. */
export function retryDelaySeconds(attempt: number): number {
  return attempt <= 1 ? 0 : Math.min(3600, 30 * 2 ** (attempt - 2));
}

export function initialRedemptionState(input: RedemptionWorkflowInput): RedemptionState {
  return { input, phase: 'reserved', attempts: 0, fulfilled: false, outcome: null, reason: null, ignored: 0 };
}

function ignore(state: RedemptionState): RedemptionStep {
  return { state: { ...state, ignored: state.ignored + 1 }, commands: [] };
}

function fulfil(state: RedemptionState): RedemptionStep {
  const attempt = state.attempts + 1;
  const commands: RedemptionCommand[] = [];
  if (state.phase !== 'fulfilling') commands.push({ type: 'record-status', status: 'fulfilling', note: null });
  commands.push({ type: 'fulfil', attempt, delaySeconds: retryDelaySeconds(attempt) });
  return { state: { ...state, phase: 'fulfilling', attempts: attempt }, commands };
}

function handedOver(state: RedemptionState): RedemptionStep {
  const next = { ...state, fulfilled: true };
  if (state.input.needsDelivery) {
    return { state: { ...next, phase: 'awaiting-delivery' }, commands: [{ type: 'record-status', status: 'shipped', note: null }, { type: 'wait-for-delivery' }] };
  }
  return { state: { ...next, phase: 'capturing' }, commands: [{ type: 'capture' }] };
}

function compensate(state: RedemptionState, outcome: Exclude<RedemptionOutcome, 'completed'>, reason: string | null): RedemptionStep {
  return { state: { ...state, phase: 'compensating', outcome, reason }, commands: [{ type: 'compensate', restock: !state.fulfilled }] };
}

export function decideRedemption(state: RedemptionState, event: RedemptionEvent): RedemptionStep {
  const { phase } = state;
  switch (event.type) {
    case 'started':
      // The order request already held the points and took the stock; confirm it (idempotent) before going on.
      return phase === 'reserved' ? { state: { ...state, phase: 'reserving' }, commands: [{ type: 'reserve' }] } : ignore(state);
    case 'reserve-failed':
      return phase === 'reserving' ? compensate(state, 'failed', event.reason) : ignore(state);
    case 'reserve-confirmed':
      if (phase !== 'reserving') return ignore(state);
      if (state.input.approvalRequired) {
        return {
          state: { ...state, phase: 'awaiting-approval' },
          commands: [{ type: 'record-status', status: 'awaiting-approval', note: null }, { type: 'wait-for-approval', timeoutSeconds: state.input.approvalTimeoutSeconds }],
        };
      }
      return fulfil(state);
    case 'approved':
      return phase === 'awaiting-approval' ? fulfil(state) : ignore(state);
    case 'rejected':
      return phase === 'awaiting-approval' ? compensate(state, 'rejected', event.comment ?? null) : ignore(state);
    case 'approval-timed-out':
      return phase === 'awaiting-approval' ? compensate(state, 'expired', null) : ignore(state);
    case 'cancel-requested':
      // Until fulfilment starts; after that the reward may be on its way.
      return phase === 'reserved' || phase === 'reserving' || phase === 'awaiting-approval' ? compensate(state, 'cancelled', null) : ignore(state);
    case 'fulfilment-succeeded':
      return phase === 'fulfilling' ? handedOver(state) : ignore(state);
    case 'fulfilment-pending':
      if (phase !== 'fulfilling') return ignore(state);
      return { state: { ...state, phase: 'awaiting-shipment' }, commands: [{ type: 'record-status', status: 'awaiting-shipment', note: null }, { type: 'wait-for-shipment' }] };
    case 'fulfilment-failed':
      if (phase !== 'fulfilling') return ignore(state);
      if (event.retryable && state.attempts < state.input.maxFulfilmentAttempts) return fulfil(state);
      return compensate(state, 'failed', event.reason);
    case 'shipped':
      return phase === 'awaiting-shipment' ? handedOver(state) : ignore(state);
    case 'delivery-confirmed':
      return phase === 'awaiting-delivery' ? { state: { ...state, phase: 'capturing' }, commands: [{ type: 'capture' }] } : ignore(state);
    case 'captured':
      if (phase !== 'capturing') return ignore(state);
      return { state: { ...state, phase: 'done', outcome: 'completed' }, commands: [{ type: 'record-status', status: 'completed', note: null }, { type: 'complete', outcome: 'completed' }] };
    case 'compensated': {
      if (phase !== 'compensating' || state.outcome === null || state.outcome === 'completed') return ignore(state);
      const outcome = state.outcome;
      return { state: { ...state, phase: 'done' }, commands: [{ type: 'record-status', status: outcome, note: state.reason }, { type: 'complete', outcome }] };
    }
    case 'workflow-cancelled':
      // An operator cancelled the workflow. A step it interrupted is issued again (each is idempotent): a capture
      // under way is finished, a compensation under way completed; anything earlier compensates.
      if (phase === 'done') return ignore(state);
      if (phase === 'capturing') return { state, commands: [{ type: 'capture' }] };
      if (phase === 'compensating') return { state, commands: [{ type: 'compensate', restock: !state.fulfilled }] };
      return compensate(state, 'cancelled', 'workflow cancelled');
  }
}

/** Commands that wait for something to happen (a signal or a deadline) rather than act. */
export function isWaiting(command: RedemptionCommand): boolean {
  return command.type === 'wait-for-approval' || command.type === 'wait-for-shipment' || command.type === 'wait-for-delivery';
}
