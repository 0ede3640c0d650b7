import { definePlugin } from '@laurel/plugin-sdk';

declare module '@laurel/plugin-sdk' {
  interface LaurelPermissions {
    /** Operate the platform: dead-letter list and replay, approval requests. */
    'system:operate': true;
  }
}
import { CORE_VERSION } from '../../version.ts';
import { OutboxDelivery, OutboxEvent } from '../../platform/outbox.entity.ts';
import { temporalGatewayRef } from '../../platform/temporal.ts';
import { adminUiRef } from '../../platform/admin-ui.ts';
import { auditServiceRef } from '../audit/index.ts';
import { ApprovalRequest } from './approval.entity.ts';
import { approvalServiceRef, createApprovalService } from './approval.service.ts';
import { createDeadLetterService } from './dead-letter.service.ts';
import { migration as m0001 } from './migrations/0001_outbox.ts';
import { migration as m0002 } from './migrations/0002_approvals.ts';
import { systemRoutes } from './system.routes.ts';

/** Fixed id of the demo approval request, so that seeding twice adds nothing. */
const DEMO_APPROVAL_ID = '0193e4a0-0000-7000-8000-00000000de00';

/** Attempts before a workflow start or signal is parked: with the 5-minute backoff cap, about three days. */
const WORKFLOW_BRIDGE_ATTEMPTS = 800;

/**
 * Core module `system`: the outbox's dead-letter list, the bridge that starts and signals Temporal
 * workflows from the outbox (so nothing asked for is lost while Temporal is down), and approval requests.
 */
export const systemModule = definePlugin({
  id: 'system',
  version: CORE_VERSION,
  compatibility: `^${CORE_VERSION}`,
  dependsOn: ['audit'],
  entities: [OutboxEvent, OutboxDelivery, ApprovalRequest],
  migrations: [m0001, m0002],
  setup(ctx) {
    ctx.grant('system:operate', ['admin'], { apiKeys: true });
    const audit = ctx.inject(auditServiceRef);
    const temporal = ctx.inject(temporalGatewayRef);
    const approvals = createApprovalService(audit);
    ctx.provide(approvalServiceRef, approvals);
    ctx.routes(systemRoutes(createDeadLetterService(audit), () => approvals, ctx.inject(adminUiRef)));

    ctx.seed(async (seedCtx) => {
      // A pending approval request to try the approval workflow with (approve it through the API).
      if (await approvals.find(seedCtx, DEMO_APPROVAL_ID)) return;
      await approvals.request(seedCtx, {
        id: DEMO_APPROVAL_ID,
        subject: 'Demo: approve the Q4 co-marketing (MDF) budget of a partner',
        reference: 'demo',
        timeoutSeconds: 30 * 24 * 3600,
      });
    });
    ctx.on(
      'system.workflow.start-requested',
      async (event) => {
        await temporal().startWorkflow(event.payload);
      },
      { name: 'temporal-start', maxAttempts: WORKFLOW_BRIDGE_ATTEMPTS },
    );
    ctx.on(
      'system.workflow.signal-requested',
      async (event) => {
        await temporal().signalWorkflow(event.payload);
      },
      { name: 'temporal-signal', maxAttempts: WORKFLOW_BRIDGE_ATTEMPTS },
    );
  },
});

export { approvalServiceRef, APPROVAL_DECIDE_SIGNAL, APPROVAL_WORKFLOW_TYPE, approvalWorkflowId } from './approval.service.ts';
export type { ApprovalDecisionSignal, ApprovalOutcome, ApprovalService, ApprovalView, ApprovalWorkflowInput } from './approval.service.ts';
