/**
 * The kudos workflow's decisions: given its state and what just happened, what to do next. Pure and deterministic
 * (no I/O, no clock, no randomness), so every path is a unit test and the workflow function only carries out the
 * commands. Kudos worth little are granted at once; others wait for an approve/reject signal until the deadline.
 */
export type KudosOutcome = 'granted' | 'rejected' | 'expired';
export type KudosPhase = 'waiting' | 'granting' | 'closing' | 'done';

export interface KudosDecision {
  decision: 'approve' | 'reject';
  reason: string | null;
}

export interface KudosState {
  kudosId: string;
  approvalSeconds: number;
  phase: KudosPhase;
  outcome: KudosOutcome | null;
  /** Signals that came when no decision was expected any more. */
  ignoredSignals: number;
}

export type KudosEvent =
  | { type: 'started'; needsApproval: boolean }
  | { type: 'decided'; decision: KudosDecision }
  | { type: 'timed-out' }
  | { type: 'done' };

export type KudosCommand =
  | { type: 'wait-for-decision'; timeoutSeconds: number }
  | { type: 'grant'; kudosId: string }
  | { type: 'close'; kudosId: string; status: 'rejected' | 'expired'; reason: string | null }
  | { type: 'complete'; outcome: KudosOutcome };

export interface KudosStep {
  state: KudosState;
  commands: KudosCommand[];
}

export function initialKudosState(input: { kudosId: string; approvalSeconds: number }): KudosState {
  return { kudosId: input.kudosId, approvalSeconds: input.approvalSeconds, phase: 'waiting', outcome: null, ignoredSignals: 0 };
}

export function decideKudos(state: KudosState, event: KudosEvent): KudosStep {
  switch (event.type) {
    case 'started':
      if (state.phase !== 'waiting') return { state, commands: [] };
      if (!event.needsApproval) return { state: { ...state, phase: 'granting', outcome: 'granted' }, commands: [{ type: 'grant', kudosId: state.kudosId }] };
      return { state, commands: [{ type: 'wait-for-decision', timeoutSeconds: state.approvalSeconds }] };
    case 'decided': {
      const d = event.decision;
      if (state.phase !== 'waiting' || (d?.decision !== 'approve' && d?.decision !== 'reject')) return { state: { ...state, ignoredSignals: state.ignoredSignals + 1 }, commands: [] };
      if (d.decision === 'approve') return { state: { ...state, phase: 'granting', outcome: 'granted' }, commands: [{ type: 'grant', kudosId: state.kudosId }] };
      return { state: { ...state, phase: 'closing', outcome: 'rejected' }, commands: [{ type: 'close', kudosId: state.kudosId, status: 'rejected', reason: d.reason }] };
    }
    case 'timed-out':
      if (state.phase !== 'waiting') return { state, commands: [] };
      return { state: { ...state, phase: 'closing', outcome: 'expired' }, commands: [{ type: 'close', kudosId: state.kudosId, status: 'expired', reason: null }] };
    case 'done':
      if ((state.phase !== 'granting' && state.phase !== 'closing') || state.outcome === null) return { state, commands: [] };
      return { state: { ...state, phase: 'done' }, commands: [{ type: 'complete', outcome: state.outcome }] };
  }
}
