import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerServiceRef, orderLedgerKey } from '@laurel/core';
import { recordingTemporalGateway, startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../test/database.ts';
import { activityDeps } from '../worker.ts';
import { createRedemptionActivities, type RedemptionActivities } from './redemption.activities.ts';

type Json = Record<string, unknown>;

describe('redemption activities on real PostgreSQL: idempotent, and safe to retry after a crash', () => {
  let t: TestApp;
  let a: RedemptionActivities;
  let programId: string;
  let partnerId: string;
  let partner: Record<string, string>;
  let n = 0;
  const temporal = recordingTemporalGateway();

  const inject = (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
  const text = (s: string) => ({ en: s, pl: s, ru: s });
  const reward = async (body: Json) => {
    n += 1;
    const res = await inject('POST', '/api/v1/catalogue/rewards', { programId, sku: `R-${n}`, type: 'service', name: text(`Reward ${n}`), description: text('d'), category: 'c', pricePoints: 100, status: 'active', ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string };
  };
  const place = async (rewardId: string, body: Json = {}) => {
    const res = await inject('POST', '/api/v1/catalogue/orders', { rewardId, quantity: 1, idempotencyKey: `k-${Math.random()}`, ...body }, partner);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; holdId: number };
  };
  const balances = async () => {
    const b = (await inject('GET', `/api/v1/ledger/partners/${partnerId}/balances`)).json() as { available: number; reserved: number };
    return { available: b.available, reserved: b.reserved };
  };
  const stock = async (id: string) => (await inject('GET', `/api/v1/catalogue/rewards/${id}`)).json().stock as number;
  const orderOf = async (id: string) => (await inject('GET', `/api/v1/catalogue/orders/${id}`)).json();

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase(), temporal, env: { LAUREL_VOUCHER_KEY: 'b2'.repeat(32) } });
    a = createRedemptionActivities(activityDeps(t));
    programId = (await inject('POST', '/api/v1/programs', { code: 'red', name: text('R'), currency: 'PLN', pointValueMinorPerThousand: 1000 })).json().id;
    await inject('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'test' });
    partnerId = (await inject('POST', '/api/v1/partners', { programId, legalName: 'Orange', nip: '5260250995', type: 'dealer' })).json().id;
    partner = await t.signInAs(['partner-user'], { partnerId });
    await inject('POST', '/api/v1/ledger/adjustments', { partnerId, points: 10_000, reason: 'start', idempotencyKey: 'start' });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('voucher: reserve, fulfil (allocate), capture and record status — each twice, with the same effect as once', async () => {
    const v = await reward({ type: 'voucher', pricePoints: 250 });
    await inject('POST', `/api/v1/catalogue/rewards/${v.id}/vouchers`, { codes: ['V-1', 'V-2', 'V-3'] });
    const before = await balances();
    const order = await place(v.id);
    expect(await a.reserveRedemption({ orderId: order.id })).toEqual({ holdId: order.holdId });
    expect(await a.reserveRedemption({ orderId: order.id })).toEqual({ holdId: order.holdId });
    expect(await a.fulfilRedemption({ orderId: order.id })).toEqual({ result: 'done' });
    expect(await a.fulfilRedemption({ orderId: order.id })).toEqual({ result: 'done' });
    const codes = await a.allocateRedemptionVouchers({ orderId: order.id });
    expect(await a.allocateRedemptionVouchers({ orderId: order.id })).toEqual(codes);
    expect(codes.codeIds).toHaveLength(1);
    expect(await a.captureRedemption({ orderId: order.id })).toEqual({ pointsState: 'captured' });
    expect(await a.captureRedemption({ orderId: order.id })).toEqual({ pointsState: 'captured' });
    await a.recordRedemptionStatus({ orderId: order.id, status: 'completed', note: null });
    await a.recordRedemptionStatus({ orderId: order.id, status: 'completed', note: null });
    expect(await balances()).toEqual({ available: before.available - 250, reserved: before.reserved });
    expect(await orderOf(order.id)).toMatchObject({ status: 'completed', pointsState: 'captured', stockState: 'consumed' });
    expect((await orderOf(order.id)).history.filter((h: { status: string }) => h.status === 'completed')).toHaveLength(1);
    expect(await stock(v.id)).toBe(2);
    // A compensation after the capture is refused for good (not retried): the points stay redeemed.
    await expect(a.releaseRedemptionPoints({ orderId: order.id })).rejects.toMatchObject({ nonRetryable: true, type: 'CATALOGUE_ORDER_ALREADY_CAPTURED' });
    // A status after the end is ignored.
    expect((await a.recordRedemptionStatus({ orderId: order.id, status: 'cancelled', note: 'late' })).status).toBe('completed');
  });

  it('compensation: release and restock twice give back the points and the stock once', async () => {
    const r = await reward({ stock: 4, pricePoints: 300 });
    const before = await balances();
    const order = await place(r.id);
    expect(await stock(r.id)).toBe(3);
    for (let i = 0; i < 2; i += 1) {
      expect(await a.releaseRedemptionPoints({ orderId: order.id })).toEqual({ pointsState: 'released' });
      expect(await a.restockRedemption({ orderId: order.id })).toEqual({ stockState: 'released' });
    }
    expect(await stock(r.id)).toBe(4);
    expect(await balances()).toEqual(before);
    await expect(a.captureRedemption({ orderId: order.id })).rejects.toMatchObject({ nonRetryable: true, type: 'CATALOGUE_ORDER_ALREADY_RELEASED' });
  });

  it('a crash between the ledger posting and the order update, then a retry: released once, the order catches up', async () => {
    const r = await reward({ stock: 2, pricePoints: 120 });
    const before = await balances();
    const order = await place(r.id);
    // The activity's first run posted the release and died before writing the order row.
    const ledger = t.host.service(ledgerServiceRef);
    const ctx = activityDeps(t).systemContext('crash');
    await ledger.releaseHold(ctx, { holdId: order.holdId, idempotencyKey: orderLedgerKey.release(order.id), explanation: { rule: 'redemption-compensation', order: order.id } });
    expect(await orderOf(order.id)).toMatchObject({ pointsState: 'reserved' });
    // Temporal retries it; the next step (restock) runs after.
    expect(await a.releaseRedemptionPoints({ orderId: order.id })).toEqual({ pointsState: 'released' });
    expect(await a.restockRedemption({ orderId: order.id })).toEqual({ stockState: 'released' });
    expect(await balances()).toEqual(before);
    expect(await stock(r.id)).toBe(2);
    const hold = await ledger.hold(ctx, order.holdId);
    expect(hold.state).toBe('released');
  });

  it('a crash between capture and the status record: the retry captures nothing more', async () => {
    const r = await reward({ pricePoints: 90 });
    const before = await balances();
    const order = await place(r.id);
    const ledger = t.host.service(ledgerServiceRef);
    const ctx = activityDeps(t).systemContext('crash');
    await ledger.capture(ctx, { holdId: order.holdId, idempotencyKey: orderLedgerKey.capture(order.id), explanation: { rule: 'redemption', order: order.id, sku: `R-${n}` } });
    expect(await a.captureRedemption({ orderId: order.id })).toEqual({ pointsState: 'captured' });
    await a.recordRedemptionStatus({ orderId: order.id, status: 'completed', note: null });
    expect(await balances()).toEqual({ available: before.available - 90, reserved: before.reserved });
    expect(await orderOf(order.id)).toMatchObject({ status: 'completed', pointsState: 'captured' });
  });

  it('manual fulfilment waits for an admin; shipping consumes the stock so a later compensation does not restock it', async () => {
    const r = await reward({ type: 'physical', stock: 5, pricePoints: 200 });
    const order = await place(r.id, { shipping: { name: 'Jan Kowalski', street: 'Prosta 1', postalCode: '00-001', city: 'Warszawa', country: 'PL' } });
    expect(await a.fulfilRedemption({ orderId: order.id })).toEqual({ result: 'pending' });
    await a.recordRedemptionStatus({ orderId: order.id, status: 'awaiting-shipment', note: null });
    const noTracking = await inject('POST', `/api/v1/catalogue/orders/${order.id}/ship`, {});
    expect(noTracking.json()).toMatchObject({ code: 'CATALOGUE_TRACKING_REQUIRED', errors: [{ field: '/body/trackingNumber' }] });
    const shipped = await inject('POST', `/api/v1/catalogue/orders/${order.id}/ship`, { trackingNumber: 'PL123', carrier: 'InPost' });
    expect(shipped.statusCode, shipped.body).toBe(202);
    await t.outbox.drainUntilIdle();
    expect(temporal.signals.filter((s) => s.workflowId === `redemption-${order.id}`)).toEqual([{ workflowId: `redemption-${order.id}`, signal: 'shipped', args: [{ trackingNumber: 'PL123', carrier: 'InPost' }] }]);
    // An operator cancels the workflow after the parcel left: points back, stock stays consumed.
    await a.releaseRedemptionPoints({ orderId: order.id });
    expect(await a.restockRedemption({ orderId: order.id })).toEqual({ stockState: 'consumed' });
    expect(await stock(r.id)).toBe(4);
  });
});
