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
import { redemptionStatusQuery } from '../definitions.ts';

type Json = Record<string, unknown>;

/**
 * End to end on a real Temporal: runs when TEMPORAL_ADDRESS is set or a `temporal` binary is found
 * (TEMPORAL_CLI_PATH, then PATH). Elsewhere these tests are reported as skipped, by name.
 */
const source = findTemporal(process.env);
const available = source.kind !== 'none';
if (!available) console.log('[temporal] no TEMPORAL_ADDRESS and no temporal binary: skipping the real-server redemption tests');

describe.skipIf(!available)('redemption workflow on a real Temporal server', () => {
  let dev: TemporalDevServer | null = null;
  let address = '';
  let t: TestApp;
  let programId: string;
  let partnerId: string;
  let partner: Record<string, string>;
  let n = 0;
  let stopWorker: () => Promise<void> = async () => {};
  const taskQueue = `laurel-redemption-${Date.now()}`;

  const inject = (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
  const text = (s: string) => ({ en: s, pl: s, ru: s });
  const reward = async (body: Json) => {
    n += 1;
    return (await inject('POST', '/api/v1/catalogue/rewards', { programId, sku: `T-${n}`, type: 'service', name: text('R'), description: text('d'), category: 'c', pricePoints: 100, status: 'active', ...body })).json() as { id: string };
  };
  const place = async (rewardId: string, body: Json = {}) =>
    (await inject('POST', '/api/v1/catalogue/orders', { rewardId, quantity: 1, idempotencyKey: `k-${Math.random()}`, ...body }, partner)).json() as { id: string; workflowId: string };
  async function waitForStatus(id: string, status: string): Promise<Json> {
    for (let i = 0; i < 300; i += 1) {
      await t.outbox.drainUntilIdle();
      const res = (await inject('GET', `/api/v1/catalogue/orders/${id}`)).json();
      if (res.status === status) return res;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`order ${id} never reached ${status}`);
  }

  beforeAll(async () => {
    if (source.kind === 'address') address = source.address;
    if (source.kind === 'binary') {
      dev = await startTemporalDevServer({ binary: source.path, dbFile: join(mkdtempSync(join(tmpdir(), 'laurel-temporal-')), 'temporal.db') });
      address = dev.address;
    }
    const env = { TEMPORAL_ADDRESS: address, LAUREL_TASK_QUEUE: taskQueue, LAUREL_VOUCHER_KEY: 'c3'.repeat(32) };
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env, temporal: createTemporalGateway({ address, namespace: 'default', taskQueue }, { info() {}, warn() {}, error() {}, debug() {} }) });
    const { worker, connection } = await createLaurelWorker(t, { address, namespace: 'default', taskQueue });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      await connection.close();
    };
    programId = (await inject('POST', '/api/v1/programs', { code: 'tmp', name: text('T'), currency: 'PLN', pointValueMinorPerThousand: 1000 })).json().id;
    await inject('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'test' });
    partnerId = (await inject('POST', '/api/v1/partners', { programId, legalName: 'Orange', nip: '5260250995', type: 'dealer' })).json().id;
    partner = await t.signInAs(['partner-user'], { partnerId });
    await inject('POST', '/api/v1/ledger/adjustments', { partnerId, points: 10_000, reason: 'start', idempotencyKey: 'start' });
  }, 180_000);

  afterAll(async () => {
    await stopWorker();
    await t?.close();
    await dev?.stop();
  });

  it('voucher: the order completes on its own, the code is revealed once', async () => {
    const v = await reward({ type: 'voucher' });
    await inject('POST', `/api/v1/catalogue/rewards/${v.id}/vouchers`, { codes: ['TEMPORAL-1'] });
    const order = await place(v.id);
    expect(await waitForStatus(order.id, 'completed')).toMatchObject({ pointsState: 'captured', stockState: 'consumed' });
    expect((await inject('POST', `/api/v1/catalogue/me/orders/${order.id}/voucher`, {}, partner)).json().codes).toEqual(['TEMPORAL-1']);
  }, 60_000);

  it('physical: awaits shipment, then delivery, then captures; the status query follows', async () => {
    const r = await reward({ type: 'physical', stock: 2 });
    const order = await place(r.id, { shipping: { name: 'A', street: 'B 1', postalCode: '00-001', city: 'C', country: 'PL' } });
    await waitForStatus(order.id, 'awaiting-shipment');
    const connection = await Connection.connect({ address });
    const handle = new WorkflowClient({ connection }).getHandle(order.workflowId);
    expect((await handle.query(redemptionStatusQuery)).phase).toBe('awaiting-shipment');
    await inject('POST', `/api/v1/catalogue/orders/${order.id}/ship`, { trackingNumber: 'PL1' });
    await waitForStatus(order.id, 'shipped');
    await inject('POST', `/api/v1/catalogue/me/orders/${order.id}/confirm-delivery`, {}, partner);
    expect(await waitForStatus(order.id, 'completed')).toMatchObject({ pointsState: 'captured' });
    expect(await handle.result()).toBe('completed');
    await connection.close();
  }, 60_000);

  it('approval required: a rejection gives the points and the stock back', async () => {
    const r = await reward({ approvalRequired: true, stock: 1 });
    const order = await place(r.id);
    await waitForStatus(order.id, 'awaiting-approval');
    await inject('POST', `/api/v1/catalogue/orders/${order.id}/reject`, { comment: 'no' });
    expect(await waitForStatus(order.id, 'rejected')).toMatchObject({ pointsState: 'released', stockState: 'released', reason: 'no' });
    expect((await inject('GET', `/api/v1/catalogue/rewards/${r.id}`)).json().stock).toBe(1);
  }, 60_000);

  it('cancellation by the partner while awaiting approval compensates; a double start starts nothing', async () => {
    const r = await reward({ approvalRequired: true });
    const order = await place(r.id);
    await waitForStatus(order.id, 'awaiting-approval');
    const again = await t.temporal.startWorkflow({ workflowType: 'redemptionWorkflow', workflowId: order.workflowId, args: [{ orderId: order.id }] });
    expect(again.started).toBe(false);
    await inject('POST', `/api/v1/catalogue/me/orders/${order.id}/cancel`, {}, partner);
    expect(await waitForStatus(order.id, 'cancelled')).toMatchObject({ pointsState: 'released' });
  }, 60_000);

  it('a cancelled workflow still compensates', async () => {
    const r = await reward({ approvalRequired: true, stock: 3 });
    const order = await place(r.id);
    await waitForStatus(order.id, 'awaiting-approval');
    const connection = await Connection.connect({ address });
    await new WorkflowClient({ connection }).getHandle(order.workflowId).cancel();
    expect(await waitForStatus(order.id, 'cancelled')).toMatchObject({ pointsState: 'released', stockState: 'released' });
    await connection.close();
  }, 60_000);
});
