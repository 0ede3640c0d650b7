/**
 * Temporal workflow code: deterministic, bundled by the worker. It imports only `@temporalio/workflow`, types, and
 * its own pure modules; everything that touches the database is an activity.
 */
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { KudosActivities } from './kudos.activities.ts';
import { KUDOS_DECIDE_SIGNAL, type KudosWorkflowInput } from './kudos.definitions.ts';
import { decideKudos, initialKudosState, type KudosDecision, type KudosEvent, type KudosOutcome, type KudosStep } from './kudos.decisions.ts';

const decideSignal = defineSignal<[KudosDecision]>(KUDOS_DECIDE_SIGNAL);

const { grantKudos, closeKudos } = proxyActivities<KudosActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

/** Grants the kudos at once, or waits for an approve/reject signal until the deadline. */
export async function templateKudosWorkflow(input: KudosWorkflowInput): Promise<KudosOutcome> {
  let step: KudosStep = decideKudos(initialKudosState(input), { type: 'started', needsApproval: input.needsApproval });
  const inbox: KudosEvent[] = [];
  setHandler(decideSignal, (decision) => {
    inbox.push({ type: 'decided', decision });
  });
  for (;;) {
    const command = step.commands[0];
    if (!command) {
      await condition(() => inbox.length > 0);
      step = decideKudos(step.state, inbox.shift()!);
      continue;
    }
    switch (command.type) {
      case 'wait-for-decision': {
        const arrived = await condition(() => inbox.length > 0, command.timeoutSeconds * 1000);
        step = decideKudos(step.state, arrived ? inbox.shift()! : { type: 'timed-out' });
        break;
      }
      case 'grant':
        await grantKudos({ kudosId: command.kudosId });
        step = decideKudos(step.state, { type: 'done' });
        break;
      case 'close':
        await closeKudos({ kudosId: command.kudosId, status: command.status, reason: command.reason });
        step = decideKudos(step.state, { type: 'done' });
        break;
      case 'complete':
        return command.outcome;
    }
  }
}
