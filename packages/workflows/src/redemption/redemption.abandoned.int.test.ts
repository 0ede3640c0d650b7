import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingTemporalGateway, startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../test/database.ts';
import { activityDeps } from '../worker.ts';
import { createRedemptionActivities } from './redemption.activities.ts';

type Json = Record<string, unknown>;

/**
 * Orders no workflow ever picked up (Temporal unreachable: the start waits in the outbox, or was parked as a dead
 * letter). The catalogue's scheduled task `compensate-abandoned` gives their points and stock back once they are
 * older than `abandonedOrderHours`, marks them failed and audits it; a workflow that starts after that changes nothing.
 */
describe('the sweep of orders without a workflow, on real PostgreSQL', () => {
  let t: TestApp;
  let programId: string;
  let partnerId: string;
  let partner: Record<string, string>;
  let n = 0;
  const temporal = recordingTemporalGateway();
  temporal.reachable = false;

  const inject = (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
  const text = (s: string) => ({ en: s, pl: s, ru: s });
  const reward = async (body: Json) => {
    n += 1;
    const res = await inject('POST', '/api/v1/catalogue/rewards', { programId, sku: `AB-${n}`, type: 'service', name: text(`Reward ${n}`), description: text('d'), category: 'c', pricePoints: 100, status: 'active', ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string };
  };
  const place = async (rewardId: string) => {
    const res = await inject('POST', '/api/v1/catalogue/orders', { rewardId, quantity: 2, idempotencyKey: `k-${Math.random()}` }, partner);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; holdId: number };
  };
  const balances = async () => {
    const b = (await inject('GET', `/api/v1/ledger/partners/${partnerId}/balances`)).json() as { available: number; reserved: number };
    return { available: b.available, reserved: b.reserved };
  };
  const stock = async (id: string) => (await inject('GET', `/api/v1/catalogue/rewards/${id}`)).json().stock as number;
  const orderOf = async (id: string) => (await inject('GET', `/api/v1/catalogue/orders/${id}`)).json();
  const age = (orderId: string, hours: number) => t.orm.em.fork().getConnection().execute(`update catalogue_order set created_at = now() - make_interval(hours => ?) where id = ?`, [hours, orderId]);
  const sweep = async () => {
    const task = t.host.periodicTasks.find((p) => p.pluginId === 'catalogue' && p.name === 'compensate-abandoned');
    expect(task, 'the catalogue schedules the sweep').toBeDefined();
    await task!.task(activityDeps(t).systemContext('catalogue:compensate-abandoned'));
  };
  const audits = async () => ((await inject('GET', '/api/v1/audit/records?action=catalogue.order.abandoned')).json().items as Json[]).map((r) => r.subjectId);

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase(), temporal, pluginConfig: { catalogue: { enabled: true, options: { abandonedOrderHours: 6 } } } });
    programId = (await inject('POST', '/api/v1/programs', { code: 'aband', name: text('A'), currency: 'PLN', pointValueMinorPerThousand: 1000 })).json().id;
    await inject('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'test' });
    partnerId = (await inject('POST', '/api/v1/partners', { programId, legalName: 'Orange', nip: '5260250995', type: 'dealer' })).json().id;
    partner = await t.signInAs(['partner-user'], { partnerId });
    await inject('POST', '/api/v1/ledger/adjustments', { partnerId, points: 10_000, reason: 'start', idempotencyKey: 'start' });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('gives back points and stock of old placed orders once, marks them failed and audits it; leaves the rest alone', async () => {
    const stocked = await reward({ stock: 10, pricePoints: 150 });
    const unlimited = await reward({ pricePoints: 200 });
    const before = await balances();
    temporal.reachable = false;
    const stuck = await place(stocked.id);
    const expiredHold = await place(unlimited.id);
    const recent = await place(stocked.id);
    const running = await place(stocked.id);
    // Temporal is down: the starts wait in the outbox; nothing moved the orders.
    await t.outbox.drainUntilIdle();
    expect(temporal.starts).toHaveLength(0);
    expect(await stock(stocked.id)).toBe(4);
    await age(stuck.id, 7);
    await age(expiredHold.id, 7);
    await age(recent.id, 5);
    await age(running.id, 30);
    // A workflow did pick this one up (it waits for approval): the sweep is not for it.
    await createRedemptionActivities(activityDeps(t)).recordRedemptionStatus({ orderId: running.id, status: 'awaiting-approval', note: null });
    // The ledger's hold-expiry sweep released one hold first.
    await t.orm.em.fork().getConnection().execute(`update ledger_hold set expires_at = now() - interval '1 minute' where reserve_entry_id = ?`, [expiredHold.holdId]);
    const ledgerSweep = t.host.periodicTasks.find((p) => p.pluginId === 'ledger' && p.name === 'expire-holds')!;
    await ledgerSweep.task(activityDeps(t).systemContext('ledger:expire-holds'));

    await sweep();
    for (const id of [stuck.id, expiredHold.id]) {
      expect(await orderOf(id)).toMatchObject({ status: 'failed', pointsState: 'released', reason: expect.stringContaining('6 h') });
    }
    expect((await orderOf(stuck.id)).stockState).toBe('released');
    expect(await orderOf(recent.id)).toMatchObject({ status: 'placed', pointsState: 'reserved', stockState: 'reserved' });
    expect(await orderOf(running.id)).toMatchObject({ status: 'awaiting-approval', pointsState: 'reserved' });
    expect(await stock(stocked.id)).toBe(6);
    // The two swept orders' points are back; the two others still hold theirs.
    expect(await balances()).toEqual({ available: before.available - 600, reserved: before.reserved + 600 });
    expect((await audits()).sort()).toEqual([stuck.id, expiredHold.id].sort());

    // Again: nothing more moves, nothing is audited twice.
    await sweep();
    expect(await stock(stocked.id)).toBe(6);
    expect(await balances()).toEqual({ available: before.available - 600, reserved: before.reserved + 600 });
    expect(await audits()).toHaveLength(2);
    expect((await orderOf(stuck.id)).history.filter((h: Json) => h.status === 'failed')).toHaveLength(1);
  });

  it('compensates an order whose workflow ended without finishing, once Temporal can say so; leaves running, handed-over and unknown ones', async () => {
    const r = await reward({ stock: 10, pricePoints: 50 });
    const a = createRedemptionActivities(activityDeps(t));
    const before = await balances();
    temporal.reachable = true;
    const terminated = await place(r.id);
    const running = await place(r.id);
    const handedOver = await place(r.id);
    const recent = await place(r.id);
    await t.outbox.drainUntilIdle();
    for (const o of [terminated, running, handedOver, recent]) await a.recordRedemptionStatus({ orderId: o.id, status: 'fulfilling', note: null });
    // The voucher-less stand-in for a hand-over: an admin's shipment consumed this order's units.
    await t.orm.em.fork().getConnection().execute(`update catalogue_order set stock_state = 'consumed' where id = ?`, [handedOver.id]);
    const old = (id: string) => t.orm.em.fork().getConnection().execute(`update catalogue_order set updated_at = now() - interval '7 hours', created_at = now() - interval '7 hours' where id = ?`, [id]);
    for (const o of [terminated, running, handedOver]) await old(o.id);
    temporal.ended.set(`redemption-${terminated.id}`, 'terminated');
    temporal.ended.set(`redemption-${handedOver.id}`, 'terminated');
    temporal.ended.set(`redemption-${recent.id}`, 'terminated');
    expect(await stock(r.id)).toBe(2);

    // Temporal cannot be asked: nothing is told, nothing moves.
    temporal.reachable = false;
    await sweep();
    expect((await orderOf(terminated.id)).status).toBe('fulfilling');
    temporal.reachable = true;
    await sweep();
    expect(await orderOf(terminated.id)).toMatchObject({ status: 'failed', pointsState: 'released', stockState: 'released', reason: 'its workflow ended (terminated) without finishing: points and stock given back' });
    expect(await orderOf(running.id)).toMatchObject({ status: 'fulfilling', pointsState: 'reserved' });
    expect(await orderOf(handedOver.id)).toMatchObject({ status: 'fulfilling', pointsState: 'reserved', stockState: 'consumed' });
    expect(await orderOf(recent.id)).toMatchObject({ status: 'fulfilling', pointsState: 'reserved' });
    // 2 units back: the terminated order's.
    expect(await stock(r.id)).toBe(4);
    expect(await balances()).toEqual({ available: before.available - 6 * 50, reserved: before.reserved + 6 * 50 });
    const records = ((await inject('GET', `/api/v1/audit/records?subjectId=${terminated.id}`)).json().items as Json[]).filter((x) => x.action === 'catalogue.order.abandoned');
    expect(records).toHaveLength(1);
    expect(records[0]!.data).toMatchObject({ workflow: 'terminated', statusBefore: 'fulfilling', pointsBefore: 'reserved', stockState: 'released' });
    await sweep();
    expect(await stock(r.id)).toBe(4);
  });

  it('a workflow that starts after the sweep finds the order compensated and gives nothing back twice', async () => {
    const r = await reward({ stock: 3, pricePoints: 120 });
    const before = await balances();
    const order = await place(r.id);
    await age(order.id, 8);
    await sweep();
    expect(await stock(r.id)).toBe(3);
    const a = createRedemptionActivities(activityDeps(t));
    // Temporal is back and the outbox starts the workflow: its reserve step refuses for good, so it compensates.
    await expect(a.reserveRedemption({ orderId: order.id })).rejects.toMatchObject({ nonRetryable: true, type: 'CATALOGUE_ORDER_POINTS_NOT_RESERVED' });
    expect(await a.releaseRedemptionPoints({ orderId: order.id })).toEqual({ pointsState: 'released' });
    expect(await a.restockRedemption({ orderId: order.id })).toEqual({ stockState: 'released' });
    expect((await a.recordRedemptionStatus({ orderId: order.id, status: 'failed', note: 'late' })).reason).toContain('no workflow ran');
    expect(await stock(r.id)).toBe(3);
    expect(await balances()).toEqual(before);
  });
});
