/**
 * Names shared by workflows, the worker and the code that starts or signals them. Imported by workflow
 * code, so it holds only `@temporalio/workflow` definitions and constants.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ApprovalDecisionSignal } from '@laurel/core';
import type { ApprovalPhase } from './approval/approval.decisions.ts';

/** Default task queue; `LAUREL_TASK_QUEUE` overrides it. */
export const DEFAULT_TASK_QUEUE = 'laurel';

/** Must equal `APPROVAL_DECIDE_SIGNAL` in @laurel/core (a unit test keeps them equal). */
export const approvalDecideSignal = defineSignal<[ApprovalDecisionSignal]>('decide');
export const approvalStatusQuery = defineQuery<{ phase: ApprovalPhase; outcome: string | null; ignoredSignals: number }>('status');
