import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, Type, definePlugin, fulfilmentProvidersRef, type FulfilmentOrderLine } from '@laurel/plugin-sdk';
import { createRedemptionActivities } from '@laurel/workflows';
import { startLaurel, type LaurelTestApp } from './index.ts';

/**
 * A plugin's fulfilment provider: gift cards from an outside API, idempotent under the key Laurel passes (a retry gets
 * the card the first attempt issued). `FLAKY` products fail once (retryable); `GONE` ones for good.
 */
function giftcards() {
  const issued = new Map<string, string>();
  const calls: { line: FulfilmentOrderLine; key: string }[] = [];
  const failed = new Set<string>();
  const plugin = definePlugin({
    id: 'giftcards',
    version: '1.0.0',
    compatibility: '^0.1.0',
    dependsOn: ['catalogue'],
    setup(ctx) {
      ctx.inject(fulfilmentProvidersRef)().register({
        id: 'giftcards.api',
        label: { en: 'Gift cards (API)', pl: 'Karty podarunkowe (API)', ru: 'Подарочные карты (API)' },
        rewardTypes: ['voucher', 'service'],
        settings: Type.Object({ productCode: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
        async fulfil(_ctx, line, key) {
          calls.push({ line, key });
          const product = String(line.settings.productCode);
          if (product === 'GONE') throw new AppError('GIFTCARDS_PRODUCT_WITHDRAWN', 422, { retryable: false });
          if (product === 'FLAKY' && !failed.has(key)) {
            failed.add(key);
            return { status: 'failed', retryable: true, reason: 'gift card API busy' };
          }
          if (!issued.has(key)) issued.set(key, `GC-${issued.size + 1}`);
          return { status: 'delivered', reference: issued.get(key)! };
        },
      });
    },
  });
  return { plugin, calls, issued };
}

describe('a plugin fulfilment provider (fulfilmentProvidersRef) on the real app', () => {
  let t: LaurelTestApp;
  let programId: string;
  let partnerId: string;
  let partner: Awaited<ReturnType<LaurelTestApp['signInAsPartner']>>;
  const gc = giftcards();
  const text = (s: string) => ({ en: s, pl: s, ru: s });
  let managerPl: Awaited<ReturnType<LaurelTestApp['signInAs']>>;
  const reward = (body: Record<string, unknown>, locale?: 'pl') =>
    t.post('/api/v1/catalogue/rewards', { programId, type: 'voucher', name: text('Gift card'), description: text('A card'), category: 'cards', pricePoints: 300, status: 'active', fulfilment: 'giftcards.api', ...body }, locale ? { as: managerPl } : {});
  const order = async (rewardId: string) => {
    const res = await t.post('/api/v1/catalogue/orders', { rewardId, quantity: 1, idempotencyKey: `k-${Math.random()}` }, { as: partner });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string };
  };

  beforeAll(async () => {
    t = await startLaurel({ plugins: [gc.plugin] });
    programId = (await t.createProgram()).id;
    partnerId = (await t.createPartner(programId, { legalName: 'Acme Dystrybucja', nip: '5260250995' })).id;
    partner = await t.signInAsPartner(partnerId);
    managerPl = await t.signInAs(['program-manager'], { locale: 'pl' });
    expect((await t.post('/api/v1/ledger/adjustments', { partnerId, points: 5000, reason: 'start', idempotencyKey: 'start' })).status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is listed beside the built-in providers, labelled in the caller language', async () => {
    const listed = await t.get('/api/v1/catalogue/fulfilment-providers', { as: managerPl });
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.items.map((p: { id: string }) => p.id)).toEqual(['manual', 'voucher-pool', 'supplier', 'giftcards.api']);
    expect(listed.body.items[3]).toMatchObject({ label: 'Karty podarunkowe (API)', rewardTypes: ['voucher', 'service'], builtIn: false, settings: { required: ['productCode'] } });
    expect(listed.body.items[0]).toMatchObject({ id: 'manual', label: expect.stringContaining('Ręcznie'), builtIn: true });
  });

  it('a reward chooses it only for the types it serves and with valid settings, each problem at its field', async () => {
    const physical = await reward({ sku: 'GC-PHYS', type: 'physical', fulfilmentSettings: { productCode: 'X' } }, 'pl');
    expect(physical.status).toBe(422);
    expect(physical.body).toMatchObject({ code: 'CATALOGUE_FULFILMENT_TYPE', errors: [{ field: '/body/fulfilment', message: 'Karty podarunkowe (API) nie realizuje nagród typu produkt fizyczny.' }] });
    const noCode = await reward({ sku: 'GC-NOCODE' });
    expect(noCode.body).toMatchObject({ code: 'CATALOGUE_FULFILMENT_SETTINGS_INVALID', errors: [{ field: '/body/fulfilmentSettings/productCode' }] });
    const unknown = await reward({ sku: 'GC-UNKNOWN', fulfilment: 'giftcards.nope' });
    expect(unknown.body).toMatchObject({ code: 'CATALOGUE_FULFILMENT_UNKNOWN', errors: [{ field: '/body/fulfilment' }] });
    expect(unknown.body.errors[0].message).toContain('giftcards.api');
    const stray = await reward({ sku: 'GC-STRAY', fulfilment: 'manual', fulfilmentSettings: { productCode: 'X' } });
    expect(stray.body).toMatchObject({ code: 'CATALOGUE_FULFILMENT_SETTINGS_INVALID', errors: [{ field: '/body/fulfilmentSettings' }] });
  });

  it('an order of a reward using it is fulfilled by it through the redemption fulfil activity, once, and completes', async () => {
    const created = await reward({ sku: 'GC-100', fulfilmentSettings: { productCode: 'EMPIK-100' } });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ fulfilment: 'giftcards.api', fulfilmentSettings: { productCode: 'EMPIK-100' } });
    const placed = await order(created.body.id);
    await t.drain();

    const activities = createRedemptionActivities(t.activityDeps());
    // The workflow's fulfil step, and a retry of it (Temporal retried the activity): the same card, not a second one.
    expect(await activities.fulfilRedemption({ orderId: placed.id, attempt: 1 })).toEqual({ result: 'done' });
    expect(await activities.fulfilRedemption({ orderId: placed.id, attempt: 1 })).toEqual({ result: 'done' });
    const mine = gc.calls.filter((c) => c.line.orderId === placed.id);
    expect(mine).toHaveLength(2);
    expect(mine[0]!.key).toBe(`catalogue-order:${placed.id}:fulfil`);
    expect(mine[1]!.key).toBe(mine[0]!.key);
    expect(mine[0]!.line).toMatchObject({ sku: 'GC-100', rewardType: 'voucher', quantity: 1, points: 300, partner: { id: partnerId, name: 'Acme Dystrybucja' }, settings: { productCode: 'EMPIK-100' }, shipping: null, attempt: 1 });
    expect(gc.issued.size).toBe(1);

    expect(await activities.captureRedemption({ orderId: placed.id })).toEqual({ pointsState: 'captured' });
    await activities.recordRedemptionStatus({ orderId: placed.id, status: 'completed', note: null });
    const seen = await t.get(`/api/v1/catalogue/me/orders/${placed.id}`, { as: partner });
    expect(seen.body).toMatchObject({ status: 'completed', fulfilment: 'giftcards.api', pointsState: 'captured', stockState: 'consumed', supplierReference: 'GC-1' });
    expect((await t.get(`/api/v1/ledger/partners/${partnerId}/balances`)).body).toMatchObject({ available: 4700, reserved: 0 });
  });

  it('its failures reach the workflow as retryable or permanent, with its reason', async () => {
    const flaky = (await reward({ sku: 'GC-FLAKY', fulfilmentSettings: { productCode: 'FLAKY' } })).body;
    const first = await order(flaky.id);
    const activities = createRedemptionActivities(t.activityDeps());
    expect(await activities.fulfilRedemption({ orderId: first.id, attempt: 1 })).toEqual({ result: 'failed', retryable: true, reason: 'CATALOGUE_FULFILMENT_FAILED: gift card API busy' });
    expect(await activities.fulfilRedemption({ orderId: first.id, attempt: 2 })).toEqual({ result: 'done' });
    expect(gc.calls.filter((c) => c.line.orderId === first.id).map((c) => c.line.attempt)).toEqual([1, 2]);

    const gone = (await reward({ sku: 'GC-GONE', fulfilmentSettings: { productCode: 'GONE' } })).body;
    const second = await order(gone.id);
    expect(await activities.fulfilRedemption({ orderId: second.id, attempt: 1 })).toEqual({ result: 'failed', retryable: false, reason: 'GIFTCARDS_PRODUCT_WITHDRAWN' });
  });
});
