/**
 * The approval workflow's decisions: given its state and what just happened, what to do next. Pure and
 * deterministic (no I/O, no clock, no randomness), so it is tested path by path without a server and the
 * workflow function only drives it.
 */
export type ApprovalDecision = 'approved' | 'rejected';
export type ApprovalOutcome = ApprovalDecision | 'expired';
export type ApprovalPhase = 'waiting' | 'recording' | 'done';

export interface DecisionSignal {
  decision: ApprovalDecision;
  comment: string | null;
  decidedBy: unknown;
}

export interface ApprovalState {
  approvalId: string;
  timeoutSeconds: number;
  phase: ApprovalPhase;
  outcome: ApprovalOutcome | null;
  signal: DecisionSignal | null;
  /** Signals that arrived when no decision was expected any more (after a decision or the deadline). */
  ignoredSignals: number;
}

export type ApprovalEvent =
  | { type: 'started' }
  | { type: 'decision'; signal: DecisionSignal }
  | { type: 'timed-out' }
  | { type: 'recorded' };

export type ApprovalCommand =
  | { type: 'wait-for-decision'; timeoutSeconds: number }
  | { type: 'record-outcome'; approvalId: string; outcome: ApprovalOutcome; signal: DecisionSignal | null }
  | { type: 'complete'; outcome: ApprovalOutcome };

export interface ApprovalStep {
  state: ApprovalState;
  commands: ApprovalCommand[];
}

export function initialApprovalState(input: { approvalId: string; timeoutSeconds: number }): ApprovalState {
  return { approvalId: input.approvalId, timeoutSeconds: input.timeoutSeconds, phase: 'waiting', outcome: null, signal: null, ignoredSignals: 0 };
}

function isDecisionSignal(signal: DecisionSignal): boolean {
  return signal !== null && typeof signal === 'object' && (signal.decision === 'approved' || signal.decision === 'rejected');
}

export function decideApproval(state: ApprovalState, event: ApprovalEvent): ApprovalStep {
  switch (event.type) {
    case 'started':
      if (state.phase !== 'waiting') return { state, commands: [] };
      return { state, commands: [{ type: 'wait-for-decision', timeoutSeconds: state.timeoutSeconds }] };
    case 'decision': {
      if (state.phase !== 'waiting' || !isDecisionSignal(event.signal)) {
        return { state: { ...state, ignoredSignals: state.ignoredSignals + 1 }, commands: [] };
      }
      const next: ApprovalState = { ...state, phase: 'recording', outcome: event.signal.decision, signal: event.signal };
      return { state: next, commands: [{ type: 'record-outcome', approvalId: state.approvalId, outcome: event.signal.decision, signal: event.signal }] };
    }
    case 'timed-out': {
      if (state.phase !== 'waiting') return { state, commands: [] };
      const next: ApprovalState = { ...state, phase: 'recording', outcome: 'expired', signal: null };
      return { state: next, commands: [{ type: 'record-outcome', approvalId: state.approvalId, outcome: 'expired', signal: null }] };
    }
    case 'recorded': {
      if (state.phase !== 'recording' || state.outcome === null) return { state, commands: [] };
      return { state: { ...state, phase: 'done' }, commands: [{ type: 'complete', outcome: state.outcome }] };
    }
  }
}
