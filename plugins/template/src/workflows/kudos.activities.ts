import { ApplicationFailure } from '@temporalio/common';
import { isAppError, type ActivityDeps } from '@laurel/plugin-sdk';
import { kudosServiceRef, type KudosView } from '../kudos.service.ts';

/**
 * The workflow's activities: each calls the plugin's service with a system context and is idempotent (Temporal may
 * run an activity again after a crash). A refusal that a retry cannot change (a 4xx AppError) fails at once.
 */
export function createKudosActivities(deps: ActivityDeps) {
  const run = async (work: () => Promise<KudosView>): Promise<KudosView> => {
    try {
      return await work();
    } catch (error) {
      if (isAppError(error) && !error.retryable) throw ApplicationFailure.nonRetryable(error.code, error.code);
      throw error;
    }
  };
  return {
    grantKudos: (input: { kudosId: string }) => run(() => deps.inject(kudosServiceRef).grant(deps.systemContext('template-kudos'), input.kudosId)),
    closeKudos: (input: { kudosId: string; status: 'rejected' | 'expired'; reason: string | null }) =>
      run(() => deps.inject(kudosServiceRef).close(deps.systemContext('template-kudos'), input.kudosId, input.status, input.reason)),
  };
}

export type KudosActivities = ReturnType<typeof createKudosActivities>;
