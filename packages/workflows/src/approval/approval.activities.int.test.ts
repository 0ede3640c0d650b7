import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingTemporalGateway, startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../test/database.ts';
import { activityDeps } from '../worker.ts';
import { createApprovalActivities } from './approval.activities.ts';

describe('approval: API, outbox and activities on real PostgreSQL', () => {
  let t: TestApp;
  const temporal = recordingTemporalGateway();

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase(), temporal });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('keeps a workflow start while Temporal is down and starts it once Temporal is back', async () => {
    temporal.reachable = false;
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/system/approvals', headers: t.adminHeaders, payload: { subject: 'MDF claim #17', timeoutSeconds: 60 } });
    expect(created.statusCode).toBe(201);
    const approval = created.json();
    expect(approval.status).toBe('pending');
    expect(await t.outbox.drainOnce()).toMatchObject({ retried: 1 });
    expect(temporal.starts).toHaveLength(0);

    temporal.reachable = true;
    await new Promise((r) => setTimeout(r, 20));
    expect(await t.outbox.drainUntilIdle()).toMatchObject({ delivered: 1 });
    expect(temporal.starts).toEqual([{ workflowType: 'approvalWorkflow', workflowId: `approval-${approval.id}`, args: [{ approvalId: approval.id, timeoutSeconds: 60 }] }]);

    const decision = await t.app.inject({ method: 'POST', url: `/api/v1/system/approvals/${approval.id}/decision`, headers: t.adminHeaders, payload: { decision: 'approved', comment: 'fine' } });
    expect(decision.statusCode).toBe(202);
    await t.outbox.drainUntilIdle();
    expect(temporal.signals).toEqual([
      { workflowId: `approval-${approval.id}`, signal: 'decide', args: [{ decision: 'approved', comment: 'fine', decidedBy: expect.objectContaining({ kind: 'user' }) }] },
    ]);

    // The workflow's activity records the outcome; running it twice (a retried activity) changes nothing.
    const activities = createApprovalActivities(activityDeps(t));
    const signal = temporal.signals[0]!.args[0] as never;
    const first = await activities.recordApprovalOutcome({ approvalId: approval.id, outcome: 'approved', signal });
    const second = await activities.recordApprovalOutcome({ approvalId: approval.id, outcome: 'approved', signal });
    expect(first.status).toBe('approved');
    expect(second).toEqual(first);
    const shown = await t.app.inject({ method: 'GET', url: `/api/v1/system/approvals/${approval.id}`, headers: t.adminHeaders });
    expect(shown.json()).toMatchObject({ status: 'approved', decisionComment: 'fine' });

    const late = await t.app.inject({ method: 'POST', url: `/api/v1/system/approvals/${approval.id}/decision`, headers: t.adminHeaders, payload: { decision: 'rejected' } });
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('SYSTEM_APPROVAL_ALREADY_DECIDED');

    const audit = await t.app.inject({ method: 'GET', url: `/api/v1/audit/records?subjectId=${approval.id}`, headers: t.adminHeaders });
    expect(audit.json().items.map((r: { action: string }) => r.action).sort()).toEqual(['system.approval.approved', 'system.approval.decision-sent', 'system.approval.requested']);
  });

  it('turns an unknown approval into a non-retryable activity failure', async () => {
    const activities = createApprovalActivities(activityDeps(t));
    await expect(activities.recordApprovalOutcome({ approvalId: '018f0000-0000-7000-8000-000000000000', outcome: 'expired', signal: null })).rejects.toMatchObject({
      nonRetryable: true,
      type: 'SYSTEM_APPROVAL_NOT_FOUND',
    });
  });
});
