import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, WorkflowClient } from '@temporalio/client';
import { createTemporalGateway } from '@laurel/core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../test/database.ts';
import { findTemporal } from '../temporal-discovery.ts';
import { startTemporalDevServer, type TemporalDevServer } from '../temporal-dev-server.ts';
import { createLaurelWorker } from '../worker.ts';
import { approvalStatusQuery } from '../definitions.ts';

/**
 * End to end on a real Temporal: runs when TEMPORAL_ADDRESS is set or a `temporal` binary is found
 * (TEMPORAL_CLI_PATH, then PATH). Elsewhere these tests are reported as skipped, by name.
 */
const source = findTemporal(process.env);
const available = source.kind !== 'none';
if (!available) console.log('[temporal] no TEMPORAL_ADDRESS and no temporal binary: skipping the real-server approval tests');

describe.skipIf(!available)('approval workflow on a real Temporal server', () => {
  let dev: TemporalDevServer | null = null;
  let address = '';
  let t: TestApp;
  let stopWorker: () => Promise<void> = async () => {};
  const taskQueue = `laurel-test-${Date.now()}`;

  beforeAll(async () => {
    if (source.kind === 'address') address = source.address;
    if (source.kind === 'binary') {
      dev = await startTemporalDevServer({ binary: source.path, dbFile: join(mkdtempSync(join(tmpdir(), 'laurel-temporal-')), 'temporal.db') });
      address = dev.address;
    }
    const env = { TEMPORAL_ADDRESS: address, LAUREL_TASK_QUEUE: taskQueue };
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env, temporal: createTemporalGateway({ address, namespace: 'default', taskQueue }, { info() {}, warn() {}, error() {}, debug() {} }) });
    const { worker, connection } = await createLaurelWorker(t, { address, namespace: 'default', taskQueue });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      await connection.close();
    };
  }, 180_000);

  afterAll(async () => {
    await stopWorker();
    await t?.close();
    await dev?.stop();
  });

  async function waitForStatus(id: string, status: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 200; i += 1) {
      await t.outbox.drainUntilIdle();
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/system/approvals/${id}`, headers: t.adminHeaders });
      if (res.json().status === status) return res.json();
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`approval ${id} never reached ${status}`);
  }

  it('approves through a signal and records the outcome in PostgreSQL', async () => {
    const created = (await t.app.inject({ method: 'POST', url: '/api/v1/system/approvals', headers: t.adminHeaders, payload: { subject: 'Rebate Q3', timeoutSeconds: 600 } })).json();
    await t.outbox.drainUntilIdle();
    const connection = await Connection.connect({ address });
    const client = new WorkflowClient({ connection });
    const handle = client.getHandle(created.workflowId);
    expect((await handle.query(approvalStatusQuery)).phase).toBe('waiting');
    await t.app.inject({ method: 'POST', url: `/api/v1/system/approvals/${created.id}/decision`, headers: t.adminHeaders, payload: { decision: 'approved' } });
    expect(await waitForStatus(created.id, 'approved')).toMatchObject({ status: 'approved' });
    expect(await handle.result()).toBe('approved');
    await connection.close();
  }, 60_000);

  it('expires when nobody decides before the deadline', async () => {
    const created = (await t.app.inject({ method: 'POST', url: '/api/v1/system/approvals', headers: t.adminHeaders, payload: { subject: 'Lead 42', timeoutSeconds: 2 } })).json();
    expect(await waitForStatus(created.id, 'expired')).toMatchObject({ status: 'expired' });
  }, 60_000);

  it('starts one workflow per approval even when the start is delivered twice', async () => {
    const created = (await t.app.inject({ method: 'POST', url: '/api/v1/system/approvals', headers: t.adminHeaders, payload: { subject: 'Order 7', timeoutSeconds: 600 } })).json();
    await t.outbox.drainUntilIdle();
    const again = await t.temporal.startWorkflow({ workflowType: 'approvalWorkflow', workflowId: created.workflowId, args: [{ approvalId: created.id, timeoutSeconds: 600 }] });
    expect(again.started).toBe(false);
  }, 60_000);
});
