import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingTemporalGateway, startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';
import { catalogueServiceRef } from './catalogue.service.ts';

type Json = Record<string, unknown>;
const VOUCHER_KEY = 'a1'.repeat(32);

describe('catalogue: rewards, offer, orders, stock and voucher pools', () => {
  let t: TestApp;
  let programId: string;
  let partnerId: string;
  let other: string;
  let partner: Record<string, string>;
  let partnerPl: Record<string, string>;
  let otherUser: Record<string, string>;
  const temporal = recordingTemporalGateway();
  let n = 0;

  const inject = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
  const text = (s: string) => ({ en: s, pl: `${s} (pl)`, ru: `${s} (ru)` });
  const reward = async (body: Json) => {
    n += 1;
    const res = await inject('POST', '/api/v1/catalogue/rewards', { programId, sku: `SKU-${n}`, type: 'service', name: text(`Reward ${n}`), description: text('About it'), category: 'gadgets', pricePoints: 100, status: 'active', ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as Json & { id: string; sku: string };
  };
  const balances = async (id: string) => (await inject('GET', `/api/v1/ledger/partners/${id}/balances`)).json() as { available: number; reserved: number };
  const order = (body: Json, headers = partner) => inject('POST', '/api/v1/catalogue/orders', { quantity: 1, idempotencyKey: `k-${Math.random()}`, ...body }, headers);
  const service = () => t.host.service(catalogueServiceRef);
  const system = () => t.host.createContext({ requestId: 'test', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase(), temporal, env: { LAUREL_VOUCHER_KEY: VOUCHER_KEY } });
    const program = await inject('POST', '/api/v1/programs', { code: 'cat', name: text('Cat'), currency: 'PLN', pointValueMinorPerThousand: 1000 });
    programId = program.json().id;
    await inject('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'test' });
    partnerId = (await inject('POST', '/api/v1/partners', { programId, legalName: 'Orange', nip: '5260250995', type: 'dealer' })).json().id;
    other = (await inject('POST', '/api/v1/partners', { programId, legalName: 'Other', nip: '5250007738', type: 'dealer' })).json().id;
    partner = await t.signInAs(['partner-user'], { partnerId });
    partnerPl = await t.signInAs(['partner-admin'], { partnerId, locale: 'pl' });
    otherUser = await t.signInAs(['partner-user'], { partnerId: other });
    for (const id of [partnerId, other]) {
      const adj = await inject('POST', '/api/v1/ledger/adjustments', { partnerId: id, points: 1000, reason: 'start', idempotencyKey: `start-${id}` });
      expect(adj.statusCode, adj.body).toBe(201);
    }
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('names the field of bad input, in the caller language', async () => {
    const res = await inject('POST', '/api/v1/catalogue/rewards', { programId, sku: 'X-1', type: 'service', name: { en: 'A', pl: ' ', ru: 'A' }, description: text('d'), category: 'c', pricePoints: 10 }, partnerPl);
    expect(res.statusCode).toBe(403);
    const pl = await t.signInAs(['program-manager'], { locale: 'pl' });
    const blank = await inject('POST', '/api/v1/catalogue/rewards', { programId, sku: 'X-1', type: 'service', name: { en: 'A', pl: ' ', ru: 'A' }, description: text('d'), category: 'c', pricePoints: 10 }, pl);
    expect(blank.statusCode).toBe(422);
    expect(blank.headers['content-type']).toContain('application/problem+json');
    expect(blank.json()).toMatchObject({ code: 'CATALOGUE_TEXT_REQUIRED', errors: [{ field: '/body/name/pl', message: expect.stringContaining('Podaj tekst') }] });
    const negative = await inject('POST', '/api/v1/catalogue/rewards', { programId, sku: 'X-1', type: 'service', name: text('A'), description: text('d'), category: 'c', pricePoints: 1.5 }, pl);
    expect(negative.statusCode).toBe(400);
    expect(negative.json().errors.map((e: Json) => e.field)).toContain('/body/pricePoints');
    const window = await inject('POST', '/api/v1/catalogue/rewards', { programId, sku: 'X-2', type: 'service', name: text('A'), description: text('d'), category: 'c', pricePoints: 5, availableFrom: '2026-02-01T00:00:00Z', availableTo: '2026-01-01T00:00:00Z' });
    expect(window.json()).toMatchObject({ status: 422, code: 'CATALOGUE_WINDOW_INVALID', errors: [{ field: '/body/availableTo' }] });
  });

  it('takes null as sent: an explicit null stock is unlimited (not 0), an explicit null window end is open', async () => {
    const r = await reward({ stock: null, availableTo: null, limit: null });
    expect(r).toMatchObject({ stock: null, availableTo: null, limit: null });
    expect((await order({ rewardId: r.id })).statusCode).toBe(201);
    const patched = await inject('PATCH', `/api/v1/catalogue/rewards/${r.id}`, { stock: 5, availableTo: '2099-01-01T00:00:00Z' });
    expect(patched.json()).toMatchObject({ stock: 5, availableTo: '2099-01-01T00:00:00.000Z' });
    const cleared = await inject('PATCH', `/api/v1/catalogue/rewards/${r.id}`, { stock: null, availableTo: null });
    expect(cleared.statusCode, cleared.body).toBe(200);
    expect(cleared.json()).toMatchObject({ stock: null, availableTo: null });
    // A JSON body is not coerced: a number sent as text is refused, naming the field.
    const text = await inject('PATCH', `/api/v1/catalogue/rewards/${r.id}`, { pricePoints: '12' });
    expect(text.statusCode).toBe(400);
    expect(text.json().errors.map((e: Json) => e.field)).toContain('/body/pricePoints');
    // The query string still is: limit=2 arrives as a number.
    expect((await inject('GET', '/api/v1/catalogue/orders?limit=2')).json().items.length).toBeLessThanOrEqual(2);
  });

  it('places an order: points held and stock taken at once, the workflow asked for; a replay returns it, another body under the key is a 409', async () => {
    const r = await reward({ stock: 3, pricePoints: 150 });
    const before = await balances(partnerId);
    const res = await order({ rewardId: r.id, quantity: 2, idempotencyKey: 'order-1' });
    expect(res.statusCode, res.body).toBe(201);
    const placed = res.json();
    expect(placed).toMatchObject({ status: 'placed', points: 300, quantity: 2, pointsState: 'reserved', stockState: 'reserved', workflowId: `redemption-${placed.id}` });
    expect(await balances(partnerId)).toMatchObject({ available: before.available - 300, reserved: before.reserved + 300 });
    expect((await inject('GET', `/api/v1/catalogue/rewards/${r.id}`)).json().stock).toBe(1);

    const replay = await order({ rewardId: r.id, quantity: 2, idempotencyKey: 'order-1' });
    expect(replay.statusCode).toBe(200);
    expect(replay.json().id).toBe(placed.id);
    const conflict = await order({ rewardId: r.id, quantity: 1, idempotencyKey: 'order-1' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().code).toBe('CATALOGUE_ORDER_KEY_CONFLICT');
    expect(await balances(partnerId)).toMatchObject({ available: before.available - 300 });

    await t.outbox.drainUntilIdle();
    expect(temporal.starts.filter((s) => s.workflowId === `redemption-${placed.id}`)).toEqual([
      { workflowType: 'redemptionWorkflow', workflowId: `redemption-${placed.id}`, args: [expect.objectContaining({ orderId: placed.id, rewardType: 'service', fulfilment: 'manual', needsDelivery: false, approvalRequired: false })] },
    ]);

    const out = await order({ rewardId: r.id, quantity: 2 });
    expect(out.statusCode).toBe(409);
    expect(out.json().code).toBe('CATALOGUE_OUT_OF_STOCK');
    expect(await balances(partnerId)).toMatchObject({ available: before.available - 300 });
  });

  it('refuses an order the partner cannot pay for, and leaves stock and points as they were', async () => {
    const r = await reward({ stock: 5, pricePoints: 5000 });
    const before = await balances(partnerId);
    const res = await order({ rewardId: r.id }, partnerPl);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'CATALOGUE_NOT_ENOUGH_POINTS', detail: expect.stringContaining('Za mało punktów') });
    expect((await inject('GET', `/api/v1/catalogue/rewards/${r.id}`)).json().stock).toBe(5);
    expect(await balances(partnerId)).toEqual(before);
  });

  it('shows the partner what it may order and why not the rest, with filters and sorting', async () => {
    await inject('POST', '/api/v1/catalogue/rewards', { programId, sku: 'DRAFT-1', type: 'service', name: text('Hidden draft'), description: text('d'), category: 'zzz', pricePoints: 1 });
    const cheap = await reward({ pricePoints: 10, category: 'offer', name: text('Cheap mug') });
    const limited = await reward({ pricePoints: 20, category: 'offer', limit: { quantity: 1, period: 'month' }, name: text('Limited cap') });
    const soldOut = await reward({ pricePoints: 30, category: 'offer', stock: 0, name: text('Sold-out pen') });
    const later = await reward({ pricePoints: 40, category: 'offer', availableFrom: '2099-01-01T00:00:00Z', name: text('Future trip') });
    const pricey = await reward({ pricePoints: 100_000, category: 'offer', name: text('Yacht') });
    expect((await order({ rewardId: limited.id })).statusCode).toBe(201);
    const second = await order({ rewardId: limited.id });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ code: 'CATALOGUE_LIMIT_REACHED', detail: expect.stringContaining('1 per month') });

    const offer = await inject('GET', '/api/v1/catalogue/offer?category=offer', undefined, partner);
    expect(offer.statusCode, offer.body).toBe(200);
    const byId = new Map(offer.json().items.map((i: Json & { reward: { id: string } }) => [i.reward.id, i]));
    expect(offer.json().items.map((i: { reward: { pricePoints: number } }) => i.reward.pricePoints)).toEqual([10, 20, 30, 40, 100_000]);
    expect(byId.get(cheap.id)).toMatchObject({ orderable: true, reasons: [] });
    expect(byId.get(limited.id)).toMatchObject({ orderable: false, reasons: [{ code: 'limit-reached' }], remainingInPeriod: 0 });
    expect(byId.get(soldOut.id)).toMatchObject({ orderable: false, reasons: [{ code: 'out-of-stock', message: 'Out of stock.' }] });
    expect(byId.get(later.id)).toMatchObject({ orderable: false, reasons: [{ code: 'not-yet-available' }] });
    expect(byId.get(pricey.id)).toMatchObject({ orderable: false, reasons: [{ code: 'not-enough-points' }] });
    expect(offer.body).not.toContain('Hidden draft');

    const other = (await inject('GET', '/api/v1/catalogue/offer?category=offer', undefined, otherUser)).json();
    expect(other.items.find((i: { reward: { id: string } }) => i.reward.id === limited.id)).toMatchObject({ orderable: true, remainingInPeriod: 1 });

    const pl = (await inject('GET', '/api/v1/catalogue/offer?category=offer&orderableOnly=true&sort=price-desc', undefined, partnerPl)).json();
    expect(pl.items.map((i: { reward: { name: string } }) => i.reward.name)).toEqual(['Cheap mug (pl)']);
    const ru = await t.signInAs(['partner-user'], { partnerId, locale: 'ru' });
    const short = (await inject('GET', `/api/v1/catalogue/offer?q=yacht`, undefined, ru)).json();
    expect(short.items[0].reasons[0].message).toMatch(/^Не хватает \d+ баллов\.$/);
    const searched = (await inject('GET', '/api/v1/catalogue/offer?q=MUG', undefined, partner)).json();
    expect(searched.items.map((i: { reward: { id: string } }) => i.reward.id)).toEqual([cheap.id]);
  });

  it('checks out a cart: every line placed together or none, a replay returns the same orders, a problem names its line', async () => {
    const a = await reward({ pricePoints: 20, stock: 5 });
    const b = await reward({ pricePoints: 30, stock: 1 });
    const checkout = (body: Json, headers = partner) => inject('POST', '/api/v1/catalogue/checkout', body, headers);
    const stockOf = async (id: string) => (await inject('GET', `/api/v1/catalogue/rewards/${id}`)).json().stock as number;
    const before = await balances(partnerId);

    const done = await checkout({ items: [{ rewardId: a.id, quantity: 2 }, { rewardId: b.id, quantity: 1 }], idempotencyKey: 'cart-1' });
    expect(done.statusCode, done.body).toBe(201);
    const body = done.json();
    expect(body.points).toBe(70);
    expect(body.orders.map((o: Json) => [o.rewardId, o.quantity, o.status])).toEqual([
      [a.id, 2, 'placed'],
      [b.id, 1, 'placed'],
    ]);
    expect(await balances(partnerId)).toMatchObject({ available: before.available - 70, reserved: before.reserved + 70 });
    const again = await checkout({ items: [{ rewardId: a.id, quantity: 2 }, { rewardId: b.id, quantity: 1 }], idempotencyKey: 'cart-1' });
    expect(again.statusCode).toBe(200);
    expect(again.json().orders.map((o: Json) => o.id)).toEqual(body.orders.map((o: Json) => o.id));
    expect((await checkout({ items: [{ rewardId: a.id, quantity: 1 }, { rewardId: b.id, quantity: 1 }], idempotencyKey: 'cart-1' })).json()).toMatchObject({ status: 409, code: 'CATALOGUE_ORDER_KEY_CONFLICT' });

    // b is sold out now: the whole cart is refused, line 2 named, and line 1 reserved nothing.
    const stockA = await stockOf(a.id);
    const mid = await balances(partnerId);
    const sold = await checkout({ items: [{ rewardId: a.id, quantity: 1 }, { rewardId: b.id, quantity: 1 }], idempotencyKey: 'cart-2' }, partnerPl);
    expect(sold.statusCode).toBe(409);
    expect(sold.json()).toMatchObject({ code: 'CATALOGUE_OUT_OF_STOCK', errors: [{ field: '/body/items/1' }] });
    expect(await stockOf(a.id)).toBe(stockA);
    expect(await balances(partnerId)).toEqual(mid);
    expect((await inject('GET', '/api/v1/catalogue/me/orders', undefined, partner)).json().items.filter((o: Json) => o.rewardId === a.id)).toHaveLength(1);

    const twice = await checkout({ items: [{ rewardId: a.id, quantity: 1 }, { rewardId: a.id, quantity: 1 }], idempotencyKey: 'cart-3' }, partnerPl);
    expect(twice.json()).toMatchObject({ status: 422, code: 'CATALOGUE_CART_DUPLICATE', errors: [{ field: '/body/items/1/rewardId', message: expect.stringContaining('Pozycja 2') }] });
    const dear = await reward({ pricePoints: 100_000 });
    const broke = await checkout({ items: [{ rewardId: a.id, quantity: 1 }, { rewardId: dear.id, quantity: 1 }], idempotencyKey: 'cart-4' });
    expect(broke.json()).toMatchObject({ status: 409, code: 'CATALOGUE_CART_NOT_ENOUGH_POINTS' });
    expect(broke.json().detail).toMatch(/100[\s,.\u00a0\u202f]?020/);
    const goods = await reward({ type: 'physical', pricePoints: 5 });
    const unshipped = await checkout({ items: [{ rewardId: a.id, quantity: 1 }, { rewardId: goods.id, quantity: 1 }], idempotencyKey: 'cart-5' });
    expect(unshipped.json()).toMatchObject({ status: 422, code: 'CATALOGUE_SHIPPING_REQUIRED', errors: [{ field: '/body/items/1/shipping' }] });
    expect((await checkout({ items: [], idempotencyKey: 'cart-6' })).json().errors[0].field).toBe('/body/items');
    expect(await balances(partnerId)).toEqual(mid);
    // One address for the cart: every physical line carries it, the others none (nothing to deliver).
    const address = { name: 'Jan Kowalski', street: 'Prosta 1', postalCode: '00-001', city: 'Warszawa', country: 'PL' };
    const goods2 = await reward({ type: 'physical', pricePoints: 5 });
    const shipped = await checkout({ items: [{ rewardId: goods.id, quantity: 1 }, { rewardId: a.id, quantity: 1 }, { rewardId: goods2.id, quantity: 2 }], idempotencyKey: 'cart-7', shipping: address });
    expect(shipped.statusCode, shipped.body).toBe(201);
    expect(shipped.json().orders.map((o: Json) => o.shipping)).toEqual([address, null, address]);
    const replay = await checkout({ items: [{ rewardId: goods.id, quantity: 1 }, { rewardId: a.id, quantity: 1 }, { rewardId: goods2.id, quantity: 2 }], idempotencyKey: 'cart-7', shipping: address });
    expect(replay.json()).toMatchObject({ replayed: true });
  });

  it('keeps each partner to its own orders', async () => {
    const r = await reward({ pricePoints: 5 });
    const mine = (await order({ rewardId: r.id })).json();
    expect((await inject('GET', `/api/v1/catalogue/me/orders/${mine.id}`, undefined, otherUser)).statusCode).toBe(404);
    expect((await inject('POST', `/api/v1/catalogue/me/orders/${mine.id}/cancel`, {}, otherUser)).statusCode).toBe(404);
    const list = (await inject('GET', '/api/v1/catalogue/me/orders', undefined, otherUser)).json();
    expect(list.items.every((o: Json) => o.partnerId === other)).toBe(true);
    expect((await inject('GET', `/api/v1/catalogue/me/orders/${mine.id}`, undefined, partner)).json().id).toBe(mine.id);
  });

  it('imports voucher codes encrypted, gives each order its own code, and reveals it once', async () => {
    const v = await reward({ type: 'voucher', pricePoints: 50 });
    expect(v).toMatchObject({ fulfilment: 'voucher-pool', stock: 0 });
    const imported = await inject('POST', `/api/v1/catalogue/rewards/${v.id}/vouchers`, { codes: ['GIFT-AAA', 'GIFT-BBB', 'GIFT-AAA'] });
    expect(imported.json()).toEqual({ imported: 2, duplicates: 1, stock: 2 });
    expect((await inject('POST', `/api/v1/catalogue/rewards/${v.id}/vouchers`, { codes: ['GIFT-BBB', 'GIFT-CCC'] })).json()).toEqual({ imported: 1, duplicates: 1, stock: 3 });
    const [stored] = await t.orm.em.fork().execute<{ sealed: string }[]>(`select string_agg(sealed, ' ') as sealed from catalogue_voucher_code where reward_id = ?`, [v.id]);
    expect(stored!.sealed).not.toContain('GIFT');

    const placed = (await order({ rewardId: v.id })).json();
    const early = await inject('POST', `/api/v1/catalogue/me/orders/${placed.id}/voucher`, {}, partner);
    expect(early.json().code).toBe('CATALOGUE_VOUCHER_NOT_ALLOCATED');
    // The workflow's steps: fulfil from the pool (twice: a retry), capture.
    const first = await service().fulfil(system(), placed.id);
    const again = await service().fulfil(system(), placed.id);
    expect(first).toEqual({ result: 'done' });
    expect(again).toEqual(first);
    await service().capturePoints(system(), placed.id);

    expect((await inject('POST', `/api/v1/catalogue/me/orders/${placed.id}/voucher`, {}, otherUser)).statusCode).toBe(404);
    const shown = await inject('POST', `/api/v1/catalogue/me/orders/${placed.id}/voucher`, {}, partner);
    expect(shown.statusCode, shown.body).toBe(200);
    expect(shown.json().codes).toEqual(['GIFT-AAA']);
    const twice = await inject('POST', `/api/v1/catalogue/me/orders/${placed.id}/voucher`, {}, partnerPl);
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ code: 'CATALOGUE_VOUCHER_ALREADY_REVEALED', detail: expect.stringContaining('już raz pokazane') });
    expect((await inject('GET', `/api/v1/catalogue/rewards/${v.id}`)).json().stock).toBe(2);
  });

  it('refuses to set a voucher pool’s stock by hand, and stock changes do not race orders', async () => {
    const v = await reward({ type: 'voucher' });
    const res = await inject('PATCH', `/api/v1/catalogue/rewards/${v.id}`, { stock: 10 });
    expect(res.json()).toMatchObject({ code: 'CATALOGUE_VOUCHER_STOCK', errors: [{ field: '/body/stock' }] });
    const r = await reward({ stock: 1 });
    const patched = await inject('PATCH', `/api/v1/catalogue/rewards/${r.id}`, { stock: 4, pricePoints: 7, name: text('Renamed') });
    expect(patched.json()).toMatchObject({ stock: 4, pricePoints: 7, name: { en: 'Renamed' } });
  });
});
