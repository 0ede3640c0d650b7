import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '@laurel/plugin-sdk';
import { recordingTemporalGateway, startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';
import { catalogueServiceRef } from './catalogue.service.ts';

type Json = Record<string, unknown>;
const VOUCHER_KEY = 'b2'.repeat(32);

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A supplier on loopback: answers with what the test queued, and keeps what it received. */
function startSupplier(): Promise<{ server: Server; url: string; received: Received[]; answers: { status: number; body?: string; delayMs?: number }[] }> {
  const received: Received[] = [];
  const answers: { status: number; body?: string; delayMs?: number }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const answer = answers.shift() ?? { status: 200, body: '{}' };
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body ?? '');
      }, answer.delayMs ?? 0);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`, received, answers })));
}

/** What a supplier does with the secret it was given (Standard Webhooks). */
function verify(secret: string, r: Received): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${String(r.headers['webhook-id'])}.${String(r.headers['webhook-timestamp'])}.${r.body}`).digest('base64');
  return String(r.headers['webhook-signature']).split(' ').includes(`v1,${expected}`);
}

describe('catalogue: fulfilment by an outside supplier over signed HTTP', () => {
  let t: TestApp;
  let programId: string;
  let partnerId: string;
  let partner: Record<string, string>;
  let supplier: Awaited<ReturnType<typeof startSupplier>>;
  let n = 0;

  const inject = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
  const text = (s: string) => ({ en: s, pl: `${s} (pl)`, ru: `${s} (ru)` });
  const service = () => t.host.service(catalogueServiceRef);
  const system = () => t.host.createContext({ requestId: 'test', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
  const addSupplier = async (body: Json = {}) => {
    n += 1;
    const res = await inject('POST', '/api/v1/catalogue/suppliers', { programId, name: `Supplier ${n}`, url: supplier.url, ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; secret: string };
  };
  const rewardOf = async (supplierId: string, type = 'service') => {
    n += 1;
    const res = await inject('POST', '/api/v1/catalogue/rewards', { programId, sku: `SUP-${n}`, type, name: text(`Reward ${n}`), description: text('d'), category: 'c', pricePoints: 10, status: 'active', fulfilment: 'supplier', supplierId });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string };
  };
  const placeOrder = async (rewardId: string, extra: Json = {}) => {
    const res = await inject('POST', '/api/v1/catalogue/orders', { rewardId, quantity: 1, idempotencyKey: `k-${Math.random()}`, ...extra }, partner);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string };
  };
  const fulfil = (orderId: string) => service().fulfil(system(), orderId);
  const failure = async (orderId: string) => {
    try {
      await fulfil(orderId);
    } catch (error) {
      if (isAppError(error)) return error;
      throw error;
    }
    throw new Error('fulfilment did not fail');
  };

  beforeAll(async () => {
    supplier = await startSupplier();
    t = await startTestApp({ databaseUrl: await createTestDatabase(), temporal: recordingTemporalGateway(), env: { LAUREL_VOUCHER_KEY: VOUCHER_KEY } });
    programId = (await inject('POST', '/api/v1/programs', { code: 'sup', name: text('Sup'), currency: 'PLN', pointValueMinorPerThousand: 1000 })).json().id;
    await inject('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'test' });
    partnerId = (await inject('POST', '/api/v1/partners', { programId, legalName: 'Orange Sp. z o.o.', nip: '5260250995', type: 'dealer' })).json().id;
    partner = await t.signInAs(['partner-user'], { partnerId });
    await inject('POST', '/api/v1/ledger/adjustments', { partnerId, points: 1000, reason: 'start', idempotencyKey: `start-${partnerId}` });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    supplier?.server.close();
  });

  it('refuses unusable suppliers and rewards without one, naming the field in the caller language', async () => {
    const pl = await t.signInAs(['program-manager'], { locale: 'pl' });
    const plain = await inject('POST', '/api/v1/catalogue/suppliers', { programId, name: 'X', url: 'http://supplier.example.com/orders' }, pl);
    expect(plain.statusCode).toBe(422);
    expect(plain.json()).toMatchObject({ code: 'CATALOGUE_SUPPLIER_URL_INVALID', errors: [{ field: '/body/url', message: expect.stringContaining('https://') }] });
    // The problem names the address given, not the request's own path.
    expect(plain.json().detail).toMatch(/^http:\/\/supplier\.example\.com\/orders nie jest adresem dostawcy/);
    expect((await inject('POST', '/api/v1/catalogue/suppliers', { programId, name: 'X', url: 'https://user:pw@supplier.example.com/' })).json().errors[0].field).toBe('/body/url');
    const first = await addSupplier({ name: 'Giftco' });
    expect(first.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect((await inject('POST', '/api/v1/catalogue/suppliers', { programId, name: 'Giftco', url: supplier.url })).statusCode).toBe(409);
    const listed = (await inject('GET', `/api/v1/catalogue/suppliers?programId=${programId}`)).json().items;
    expect(listed.find((s: Json) => s.id === first.id)).toMatchObject({ name: 'Giftco', status: 'active', timeoutMs: 10000 });
    expect(JSON.stringify(listed)).not.toContain('whsec_');

    const none = await inject('POST', '/api/v1/catalogue/rewards', { programId, sku: 'NOSUP', type: 'service', name: text('A'), description: text('d'), category: 'c', pricePoints: 5, fulfilment: 'supplier' }, pl);
    expect(none.json()).toMatchObject({ code: 'CATALOGUE_SUPPLIER_REQUIRED', errors: [{ field: '/body/supplierId', message: expect.stringContaining('dostawcę') }] });
    const stray = await inject('POST', '/api/v1/catalogue/rewards', { programId, sku: 'STRAY', type: 'service', name: text('A'), description: text('d'), category: 'c', pricePoints: 5, supplierId: first.id });
    expect(stray.json()).toMatchObject({ code: 'CATALOGUE_SUPPLIER_NOT_EXPECTED', errors: [{ field: '/body/supplierId' }] });
    const audit = (await inject('GET', '/api/v1/audit/records?action=catalogue.supplier.')).json().items.map((r: Json) => `${String(r.action)}:${String(r.subjectId)}`);
    expect(audit).toContain(`catalogue.supplier.created:${first.id}`);
  });

  it('sends the order signed; a 503 is retried, the retry carries the same id and is fulfilled with the supplier reference', async () => {
    const s = await addSupplier();
    const r = await rewardOf(s.id);
    const placed = await placeOrder(r.id);
    supplier.received.length = 0;
    supplier.answers.push({ status: 503, body: 'busy' }, { status: 200, body: JSON.stringify({ status: 'fulfilled', reference: 'GC-991' }) });

    const busy = await failure(placed.id);
    expect(busy).toMatchObject({ code: 'CATALOGUE_SUPPLIER_UNAVAILABLE', retryable: true });
    expect(await fulfil(placed.id)).toEqual({ result: 'done' });

    expect(supplier.received).toHaveLength(2);
    const [a, b] = supplier.received as [Received, Received];
    expect(verify(s.secret, a) && verify(s.secret, b)).toBe(true);
    expect(verify('whsec_' + Buffer.alloc(24).toString('base64'), a)).toBe(false);
    expect(a.headers['webhook-id']).toBe(placed.id);
    expect(b.headers['webhook-id']).toBe(placed.id);
    expect(a.headers['idempotency-key']).toBe(placed.id);
    expect(JSON.parse(a.body)).toMatchObject({ type: 'laurel.redemption.order', order: { id: placed.id, quantity: 1, points: 10, partner: { id: partnerId, name: 'Orange Sp. z o.o.' } } });

    const order = (await inject('GET', `/api/v1/catalogue/orders/${placed.id}`)).json();
    expect(order.supplierReference).toBe('GC-991');
    const calls = (await inject('GET', `/api/v1/catalogue/orders/${placed.id}/supplier-calls`)).json().items;
    expect(calls.map((c: Json) => [c.attempt, c.statusCode, c.outcome])).toEqual([
      [1, 503, 'failed'],
      [2, 200, 'fulfilled'],
    ]);
    expect(calls[0].detail).toBe('busy');
  });

  it('physical goods are accepted and wait for the shipment; a 4xx is refused for good; a timeout is retried', async () => {
    const s = await addSupplier({ timeoutMs: 1000 });
    const physical = await rewardOf(s.id, 'physical');
    const shipped = await placeOrder(physical.id, { shipping: { name: 'Jan Kowalski', street: 'Prosta 1', postalCode: '00-001', city: 'Warszawa', country: 'PL' } });
    supplier.answers.push({ status: 202, body: JSON.stringify({ reference: 'SHIP-7' }) });
    expect(await fulfil(shipped.id)).toEqual({ result: 'pending' });
    expect(JSON.parse(supplier.received.at(-1)!.body).order.shipping).toMatchObject({ city: 'Warszawa' });

    const service = await rewardOf(s.id);
    const refused = await placeOrder(service.id);
    supplier.answers.push({ status: 400, body: JSON.stringify({ error: 'unknown sku' }) });
    expect(await failure(refused.id)).toMatchObject({ code: 'CATALOGUE_SUPPLIER_REFUSED', retryable: false, params: { status: 400 } });

    const slow = await placeOrder(service.id);
    supplier.answers.push({ status: 200, body: '{}', delayMs: 1500 });
    expect(await failure(slow.id)).toMatchObject({ code: 'CATALOGUE_SUPPLIER_UNAVAILABLE', retryable: true, params: { status: 'timeout' } });
    const calls = (await inject('GET', `/api/v1/catalogue/orders/${slow.id}/supplier-calls`)).json().items;
    expect(calls).toMatchObject([{ attempt: 1, statusCode: null, outcome: 'failed', detail: 'no answer within 1000 ms' }]);
  });

  it('a disabled supplier gets nothing; a rotated secret signs from then on', async () => {
    const s = await addSupplier();
    const r = await rewardOf(s.id);
    const placed = await placeOrder(r.id);
    expect((await inject('PATCH', `/api/v1/catalogue/suppliers/${s.id}`, { status: 'disabled' })).json().status).toBe('disabled');
    const before = supplier.received.length;
    expect(await failure(placed.id)).toMatchObject({ code: 'CATALOGUE_SUPPLIER_DISABLED', retryable: false });
    expect(supplier.received).toHaveLength(before);

    await inject('PATCH', `/api/v1/catalogue/suppliers/${s.id}`, { status: 'active' });
    const rotated = (await inject('POST', `/api/v1/catalogue/suppliers/${s.id}/secret`, {})).json();
    expect(rotated.secret).not.toBe(s.secret);
    expect(await fulfil(placed.id)).toEqual({ result: 'done' });
    const last = supplier.received.at(-1)!;
    expect(verify(rotated.secret, last)).toBe(true);
    expect(verify(s.secret, last)).toBe(false);
  });
});
