import { describe, expect, it } from 'vitest';
import { decideKudos, initialKudosState, type KudosState } from './kudos.decisions.ts';

const start = (): KudosState => initialKudosState({ kudosId: 'k1', approvalSeconds: 600 });

describe('kudos workflow decisions', () => {
  it('grants kudos that need no approval at once, then completes as granted', () => {
    const granted = decideKudos(start(), { type: 'started', needsApproval: false });
    expect(granted.commands).toEqual([{ type: 'grant', kudosId: 'k1' }]);
    expect(decideKudos(granted.state, { type: 'done' }).commands).toEqual([{ type: 'complete', outcome: 'granted' }]);
  });

  it('waits for a decision until the deadline: approve grants, reject closes with the reason', () => {
    const waiting = decideKudos(start(), { type: 'started', needsApproval: true });
    expect(waiting.commands).toEqual([{ type: 'wait-for-decision', timeoutSeconds: 600 }]);
    expect(decideKudos(waiting.state, { type: 'decided', decision: { decision: 'approve', reason: null } }).commands).toEqual([{ type: 'grant', kudosId: 'k1' }]);
    const rejected = decideKudos(waiting.state, { type: 'decided', decision: { decision: 'reject', reason: 'duplicate' } });
    expect(rejected.commands).toEqual([{ type: 'close', kudosId: 'k1', status: 'rejected', reason: 'duplicate' }]);
    expect(decideKudos(rejected.state, { type: 'done' }).commands).toEqual([{ type: 'complete', outcome: 'rejected' }]);
  });

  it('expires at the deadline, and ignores a decision that comes too late or makes no sense', () => {
    const waiting = decideKudos(start(), { type: 'started', needsApproval: true });
    const expired = decideKudos(waiting.state, { type: 'timed-out' });
    expect(expired.commands).toEqual([{ type: 'close', kudosId: 'k1', status: 'expired', reason: null }]);
    const late = decideKudos(expired.state, { type: 'decided', decision: { decision: 'approve', reason: null } });
    expect(late.commands).toEqual([]);
    expect(late.state.ignoredSignals).toBe(1);
    const nonsense = decideKudos(waiting.state, { type: 'decided', decision: { decision: 'maybe' as never, reason: null } });
    expect(nonsense.commands).toEqual([]);
    expect(decideKudos(waiting.state, { type: 'done' }).commands).toEqual([]);
  });
});
