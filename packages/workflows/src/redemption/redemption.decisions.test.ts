import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDEMPTION_SIGNALS, type RedemptionWorkflowInput } from '@laurel/core';
import { redemptionApproveSignal, redemptionCancelSignal, redemptionConfirmDeliverySignal, redemptionRejectSignal, redemptionShippedSignal } from '../definitions.ts';
import { decideRedemption, initialRedemptionState, isWaiting, retryDelaySeconds, type RedemptionCommand, type RedemptionEvent, type RedemptionOutcome, type RedemptionState } from './redemption.decisions.ts';

const input = (over: Partial<RedemptionWorkflowInput> = {}): RedemptionWorkflowInput => ({
  orderId: 'o-1',
  rewardType: 'voucher',
  fulfilment: 'voucher-pool',
  needsDelivery: false,
  approvalRequired: false,
  approvalTimeoutSeconds: 3600,
  maxFulfilmentAttempts: 3,
  ...over,
});

/** Feed events one after another; returns the final state and every command issued, in order. */
function run(start: RedemptionState, events: RedemptionEvent[]): { state: RedemptionState; commands: RedemptionCommand[] } {
  let state = start;
  const commands: RedemptionCommand[] = [];
  for (const event of events) {
    const step = decideRedemption(state, event);
    state = step.state;
    commands.push(...step.commands);
  }
  return { state, commands };
}
const types = (commands: RedemptionCommand[]) => commands.map((c) => (c.type === 'record-status' ? `status:${c.status}` : c.type === 'compensate' ? `compensate${c.restock ? '+restock' : ''}` : c.type));

describe('redemption decisions, path by path', () => {
  it('voucher (digital): reserve, fulfil from the pool, capture at once', () => {
    const r = run(initialRedemptionState(input()), [{ type: 'started' }, { type: 'reserve-confirmed' }, { type: 'fulfilment-succeeded' }, { type: 'captured' }]);
    expect(types(r.commands)).toEqual(['reserve', 'status:fulfilling', 'fulfil', 'capture', 'status:completed', 'complete']);
    expect(r.state).toMatchObject({ phase: 'done', outcome: 'completed', fulfilled: true });
  });

  it('physical goods: an admin ships, the partner confirms delivery, then the points are captured', () => {
    const r = run(initialRedemptionState(input({ rewardType: 'physical', fulfilment: 'manual', needsDelivery: true })), [
      { type: 'started' },
      { type: 'reserve-confirmed' },
      { type: 'fulfilment-pending' },
      { type: 'shipped' },
      { type: 'delivery-confirmed' },
      { type: 'captured' },
    ]);
    expect(types(r.commands)).toEqual(['reserve', 'status:fulfilling', 'fulfil', 'status:awaiting-shipment', 'wait-for-shipment', 'status:shipped', 'wait-for-delivery', 'capture', 'status:completed', 'complete']);
  });

  for (const rewardType of ['service', 'training', 'event', 'cashback', 'privilege'] as const) {
    it(`${rewardType}: handed over by an admin, captured at once (no delivery to confirm)`, () => {
      const r = run(initialRedemptionState(input({ rewardType, fulfilment: 'manual' })), [{ type: 'started' }, { type: 'reserve-confirmed' }, { type: 'fulfilment-pending' }, { type: 'shipped' }, { type: 'captured' }]);
      expect(types(r.commands)).toEqual(['reserve', 'status:fulfilling', 'fulfil', 'status:awaiting-shipment', 'wait-for-shipment', 'capture', 'status:completed', 'complete']);
    });
  }

  it('waits for approval when required; approved goes on, rejected and expired give points and stock back', () => {
    const start = initialRedemptionState(input({ approvalRequired: true, approvalTimeoutSeconds: 600 }));
    const waiting = run(start, [{ type: 'started' }, { type: 'reserve-confirmed' }]);
    expect(waiting.commands.slice(-1)).toEqual([{ type: 'wait-for-approval', timeoutSeconds: 600 }]);
    expect(types(run(waiting.state, [{ type: 'approved' }]).commands)).toEqual(['status:fulfilling', 'fulfil']);
    const rejected = run(waiting.state, [{ type: 'rejected', comment: 'not this quarter' }, { type: 'compensated' }]);
    expect(rejected.commands).toEqual([{ type: 'compensate', restock: true }, { type: 'record-status', status: 'rejected', note: 'not this quarter' }, { type: 'complete', outcome: 'rejected' }]);
    const expired = run(waiting.state, [{ type: 'approval-timed-out' }, { type: 'compensated' }]);
    expect(types(expired.commands)).toEqual(['compensate+restock', 'status:expired', 'complete']);
  });

  it('retries a failing supplier with backoff, then succeeds; gives up after the last attempt', () => {
    const started = run(initialRedemptionState(input()), [{ type: 'started' }, { type: 'reserve-confirmed' }]).state;
    const flaky = run(started, [{ type: 'fulfilment-failed', retryable: true, reason: 'HTTP 503' }, { type: 'fulfilment-failed', retryable: true, reason: 'HTTP 503' }, { type: 'fulfilment-succeeded' }]);
    expect(flaky.commands.filter((c) => c.type === 'fulfil')).toEqual([
      { type: 'fulfil', attempt: 2, delaySeconds: 30 },
      { type: 'fulfil', attempt: 3, delaySeconds: 60 },
    ]);
    expect(flaky.state).toMatchObject({ phase: 'capturing', attempts: 3 });
    const broken = run(started, [1, 2, 3].map(() => ({ type: 'fulfilment-failed' as const, retryable: true, reason: 'HTTP 503' })));
    expect(broken.state).toMatchObject({ phase: 'compensating', outcome: 'failed', reason: 'HTTP 503' });
    expect(broken.commands.slice(-1)).toEqual([{ type: 'compensate', restock: true }]);
    const refused = run(started, [{ type: 'fulfilment-failed', retryable: false, reason: 'CATALOGUE_X' }]);
    expect(refused.state.outcome).toBe('failed');
    expect([1, 2, 3, 4, 9, 20].map(retryDelaySeconds)).toEqual([0, 30, 60, 120, 3600, 3600]);
  });

  it('cancels before fulfilment starts (points and stock back), not after', () => {
    const beforeStart = run(initialRedemptionState(input()), [{ type: 'cancel-requested' }, { type: 'started' }, { type: 'compensated' }]);
    expect(types(beforeStart.commands)).toEqual(['compensate+restock', 'status:cancelled', 'complete']);
    const awaiting = run(initialRedemptionState(input({ approvalRequired: true })), [{ type: 'started' }, { type: 'reserve-confirmed' }, { type: 'cancel-requested' }]);
    expect(awaiting.state).toMatchObject({ phase: 'compensating', outcome: 'cancelled' });
    const fulfilling = run(initialRedemptionState(input({ fulfilment: 'manual', rewardType: 'physical', needsDelivery: true })), [{ type: 'started' }, { type: 'reserve-confirmed' }, { type: 'cancel-requested' }, { type: 'fulfilment-pending' }, { type: 'cancel-requested' }]);
    expect(fulfilling.state).toMatchObject({ phase: 'awaiting-shipment', ignored: 2, outcome: null });
  });

  it('a cancelled workflow compensates; after hand-over it releases the points but does not restock', () => {
    const early = run(initialRedemptionState(input({ approvalRequired: true })), [{ type: 'started' }, { type: 'reserve-confirmed' }, { type: 'workflow-cancelled' }]);
    expect(early.commands.slice(-1)).toEqual([{ type: 'compensate', restock: true }]);
    const shipped = run(initialRedemptionState(input({ fulfilment: 'manual', rewardType: 'physical', needsDelivery: true })), [{ type: 'started' }, { type: 'reserve-confirmed' }, { type: 'fulfilment-pending' }, { type: 'shipped' }, { type: 'workflow-cancelled' }]);
    expect(shipped.commands.slice(-1)).toEqual([{ type: 'compensate', restock: false }]);
    const capturing = run(initialRedemptionState(input()), [{ type: 'started' }, { type: 'reserve-confirmed' }, { type: 'fulfilment-succeeded' }, { type: 'workflow-cancelled' }]);
    expect(capturing.state.phase).toBe('capturing');
    expect(capturing.commands.slice(-2)).toEqual([{ type: 'capture' }, { type: 'capture' }]);
  });

  it('ignores duplicate and out-of-order signals', () => {
    const start = initialRedemptionState(input({ approvalRequired: true, fulfilment: 'manual', rewardType: 'physical', needsDelivery: true }));
    const r = run(start, [
      { type: 'delivery-confirmed' },
      { type: 'shipped' },
      { type: 'approved' },
      { type: 'started' },
      { type: 'started' },
      { type: 'reserve-confirmed' },
      { type: 'approved' },
      { type: 'approved' },
      { type: 'rejected' },
      { type: 'approval-timed-out' },
      { type: 'captured' },
    ]);
    expect(r.state).toMatchObject({ phase: 'fulfilling', ignored: 8 });
    expect(r.commands.filter((c) => c.type === 'compensate' || c.type === 'capture')).toEqual([]);
  });

  it('a failed reservation check compensates (the release tolerates a hold already gone)', () => {
    const r = run(initialRedemptionState(input()), [{ type: 'started' }, { type: 'reserve-failed', reason: 'CATALOGUE_ORDER_POINTS_NOT_RESERVED' }, { type: 'compensated' }]);
    expect(types(r.commands)).toEqual(['reserve', 'compensate+restock', 'status:failed', 'complete']);
  });

  it('uses the signal names the catalogue sends', () => {
    expect([redemptionApproveSignal.name, redemptionRejectSignal.name, redemptionCancelSignal.name, redemptionShippedSignal.name, redemptionConfirmDeliverySignal.name]).toEqual([
      REDEMPTION_SIGNALS.approve,
      REDEMPTION_SIGNALS.reject,
      REDEMPTION_SIGNALS.cancel,
      REDEMPTION_SIGNALS.shipped,
      REDEMPTION_SIGNALS.confirmDelivery,
    ]);
  });
});

/**
 * A model of the workflow driver and the world around it: the driver applies signals between commands, waits on
 * the wait commands, and carries out the others against a world that counts captures, releases and restocks. The
 * world answers from a random script: signals at random moments (including duplicates and ones that make no sense
 * now), supplier failures, approval timeouts, and an operator cancelling the workflow.
 */
interface World {
  captures: number;
  releases: number;
  restocks: number;
  handedOver: boolean;
  deliveryConfirmed: boolean;
  status: string;
  outcome: RedemptionOutcome | null;
}

const SIGNALS: RedemptionEvent[] = [{ type: 'approved' }, { type: 'rejected' }, { type: 'cancel-requested' }, { type: 'shipped' }, { type: 'delivery-confirmed' }];

function simulate(wf: RedemptionWorkflowInput, choices: number[]): { world: World; state: RedemptionState } {
  let i = 0;
  const pick = (n: number): number | null => (i < choices.length ? choices[i++]! % n : null);
  const world: World = { captures: 0, releases: 0, restocks: 0, handedOver: false, deliveryConfirmed: false, status: 'placed', outcome: null };
  let state = initialRedemptionState(wf);
  let queue: RedemptionCommand[] = [];
  const inbox: RedemptionEvent[] = [];
  const apply = (e: RedemptionEvent) => {
    const step = decideRedemption(state, e);
    state = step.state;
    if (step.commands.length) queue = [...step.commands];
  };
  const send = (e: RedemptionEvent) => {
    // An admin can ship only an order whose status says it awaits shipment (the route checks it); then the reward
    // is handed over. Other signals reach the workflow whenever they are sent, duplicates and nonsense included.
    if (e.type === 'shipped') {
      if (world.status !== 'awaiting-shipment') return;
      world.handedOver = true;
    }
    if (e.type === 'delivery-confirmed') world.deliveryConfirmed = true;
    inbox.push(e);
  };
  const act = (c: RedemptionCommand) => {
    switch (c.type) {
      case 'record-status':
        world.status = c.status;
        break;
      case 'reserve':
        apply(pick(10) === 0 ? { type: 'reserve-failed', reason: 'gone' } : { type: 'reserve-confirmed' });
        break;
      case 'fulfil': {
        const roll = pick(6);
        if (wf.fulfilment === 'manual') apply(roll === 0 ? { type: 'fulfilment-failed', retryable: true, reason: 'x' } : { type: 'fulfilment-pending' });
        else if (roll === 0 || roll === 1) apply({ type: 'fulfilment-failed', retryable: roll === 0, reason: 'supplier' });
        else {
          world.handedOver = true;
          apply({ type: 'fulfilment-succeeded' });
        }
        break;
      }
      case 'capture':
        world.captures += 1;
        apply({ type: 'captured' });
        break;
      case 'compensate':
        world.releases += 1;
        if (c.restock) world.restocks += 1;
        apply({ type: 'compensated' });
        break;
      case 'complete':
        world.outcome = c.outcome;
        break;
      default:
        break;
    }
  };

  while (pick(3) === 0) send(SIGNALS[pick(SIGNALS.length) ?? 0]!);
  while (inbox.length) apply(inbox.shift()!);
  apply({ type: 'started' });
  for (let guard = 0; guard < 500 && world.outcome === null; guard += 1) {
    // The world may do something between any two commands: a signal, or cancel the workflow.
    const roll = pick(8);
    if (roll === 0) send(SIGNALS[pick(SIGNALS.length) ?? 0]!);
    if (roll === 1 && pick(4) === 0) {
      // As the workflow does: signals already received count first.
      while (inbox.length) apply(inbox.shift()!);
      apply({ type: 'workflow-cancelled' });
      while (queue.length && !isWaiting(queue[0]!) && world.outcome === null) act(queue.shift()!);
      break;
    }
    while (inbox.length) apply(inbox.shift()!);
    const command = queue[0];
    if (!command) {
      send(SIGNALS[pick(SIGNALS.length) ?? 0]!);
      continue;
    }
    if (isWaiting(command)) {
      // Nothing arrives on its own: the world answers, at random while the script lasts, then the expected way.
      const choice = pick(SIGNALS.length + 1);
      if (command.type === 'wait-for-approval') {
        if (choice === null || choice === SIGNALS.length) apply({ type: 'approval-timed-out' });
        else send(SIGNALS[choice]!);
      } else if (choice === null) {
        send(command.type === 'wait-for-shipment' ? { type: 'shipped' } : { type: 'delivery-confirmed' });
      } else {
        send(choice === SIGNALS.length ? (command.type === 'wait-for-shipment' ? { type: 'shipped' } : { type: 'delivery-confirmed' }) : SIGNALS[choice]!);
      }
      continue;
    }
    queue.shift();
    act(command);
  }
  return { world, state };
}

describe('redemption decisions, every path (property)', () => {
  const inputs = fc.record({
    rewardType: fc.constantFrom('physical', 'voucher', 'service', 'training', 'event', 'cashback', 'privilege' as const),
    approvalRequired: fc.boolean(),
    maxFulfilmentAttempts: fc.integer({ min: 1, max: 4 }),
  });

  it('ends with the points captured exactly once or released exactly once, and the stock right', () => {
    fc.assert(
      fc.property(inputs, fc.array(fc.nat(), { minLength: 10, maxLength: 150, size: 'max' }), (shape, choices) => {
        const wf = input({
          rewardType: shape.rewardType,
          fulfilment: shape.rewardType === 'voucher' ? 'voucher-pool' : 'manual',
          needsDelivery: shape.rewardType === 'physical',
          approvalRequired: shape.approvalRequired,
          maxFulfilmentAttempts: shape.maxFulfilmentAttempts,
        });
        const { world, state } = simulate(wf, choices);
        const captured = world.captures === 1 && world.releases === 0;
        const released = world.releases === 1 && world.captures === 0;
        expect(captured !== released).toBe(true);
        // Stock goes back exactly when the points do and the reward was not handed over; never after a capture.
        expect(world.restocks).toBe(released && !world.handedOver ? 1 : 0);
        if (captured) {
          expect(world.handedOver).toBe(true);
          if (wf.needsDelivery) expect(world.deliveryConfirmed).toBe(true);
          expect(world.outcome).toBe('completed');
          expect(world.status).toBe('completed');
        }
        if (released && world.outcome) expect(world.status).toBe(world.outcome);
        if (released) expect(state.outcome).not.toBe('completed');
      }),
      { numRuns: 3000 },
    );
  });
});
