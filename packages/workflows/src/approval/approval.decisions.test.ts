import { describe, expect, it } from 'vitest';
import { APPROVAL_DECIDE_SIGNAL } from '@laurel/core';
import { approvalDecideSignal } from '../definitions.ts';
import { decideApproval, initialApprovalState, type ApprovalState } from './approval.decisions.ts';

const start = (): ApprovalState => initialApprovalState({ approvalId: 'a-1', timeoutSeconds: 3600 });
const approve = { decision: 'approved' as const, comment: 'ok', decidedBy: { kind: 'admin-token' } };

describe('approval decisions', () => {
  it('starts by waiting for a decision until the deadline', () => {
    expect(decideApproval(start(), { type: 'started' }).commands).toEqual([{ type: 'wait-for-decision', timeoutSeconds: 3600 }]);
  });

  it('records an approval, then completes with it', () => {
    const decided = decideApproval(start(), { type: 'decision', signal: approve });
    expect(decided.state.phase).toBe('recording');
    expect(decided.commands).toEqual([{ type: 'record-outcome', approvalId: 'a-1', outcome: 'approved', signal: approve }]);
    const recorded = decideApproval(decided.state, { type: 'recorded' });
    expect(recorded.state.phase).toBe('done');
    expect(recorded.commands).toEqual([{ type: 'complete', outcome: 'approved' }]);
  });

  it('records a rejection with its comment', () => {
    const rejected = decideApproval(start(), { type: 'decision', signal: { decision: 'rejected', comment: 'budget', decidedBy: null } });
    expect(rejected.commands[0]).toMatchObject({ type: 'record-outcome', outcome: 'rejected', signal: { comment: 'budget' } });
  });

  it('expires when the deadline passes without a decision', () => {
    const expired = decideApproval(start(), { type: 'timed-out' });
    expect(expired.commands).toEqual([{ type: 'record-outcome', approvalId: 'a-1', outcome: 'expired', signal: null }]);
    expect(decideApproval(expired.state, { type: 'recorded' }).commands).toEqual([{ type: 'complete', outcome: 'expired' }]);
  });

  it('ignores a second decision (a double click) and a decision after the deadline', () => {
    const first = decideApproval(start(), { type: 'decision', signal: approve });
    const second = decideApproval(first.state, { type: 'decision', signal: { ...approve, decision: 'rejected' } });
    expect(second.commands).toEqual([]);
    expect(second.state.outcome).toBe('approved');
    expect(second.state.ignoredSignals).toBe(1);
    const late = decideApproval(decideApproval(start(), { type: 'timed-out' }).state, { type: 'decision', signal: approve });
    expect(late.commands).toEqual([]);
    expect(late.state.outcome).toBe('expired');
  });

  it('ignores a malformed decision and keeps waiting', () => {
    const bad = decideApproval(start(), { type: 'decision', signal: { decision: 'maybe' as never, comment: null, decidedBy: null } });
    expect(bad.commands).toEqual([]);
    expect(bad.state.phase).toBe('waiting');
  });

  it('does not complete before the outcome is recorded, nor twice', () => {
    expect(decideApproval(start(), { type: 'recorded' }).commands).toEqual([]);
    const done = decideApproval(decideApproval(start(), { type: 'timed-out' }).state, { type: 'recorded' }).state;
    expect(decideApproval(done, { type: 'recorded' }).commands).toEqual([]);
    expect(decideApproval(done, { type: 'started' }).commands).toEqual([]);
  });

  it('uses the same signal name as the service that sends it', () => {
    expect(approvalDecideSignal.name).toBe(APPROVAL_DECIDE_SIGNAL);
  });
});
