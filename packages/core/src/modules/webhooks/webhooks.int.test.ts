import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';
import { verify } from '../../platform/standard-webhooks.ts';
import { webhookServiceRef } from './webhooks.service.ts';

type Json = Record<string, unknown>;
interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/** A receiver on loopback: each path answers as its handler says (200 by default) and every request is kept. */
function startReceiver() {
  const received: Received[] = [];
  const handlers = new Map<string, (req: IncomingMessage, res: ServerResponse, n: number) => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const n = received.filter((r) => r.path === path).length;
      const handler = handlers.get(path);
      if (handler) handler(req, res, n);
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
    });
  });
  return {
    received,
    handlers,
    server,
    url: '' as string,
    async listen() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    at(path: string) {
      return received.filter((r) => r.path === path);
    },
  };
}

describe('webhooks: signed deliveries from the outbox to a real receiver', () => {
  let t: TestApp;
  const receiver = startReceiver();
  const inject = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
  const system = () => t.host.createContext({ requestId: 'test', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
  const service = () => t.host.service(webhookServiceRef);
  const sql = <T = Json>(text: string, params: unknown[] = []) => t.orm.em.fork().getConnection().execute(text, params) as Promise<T[]>;
  let n = 0;

  const subscribe = async (path: string, body: Json = {}) => {
    const res = await inject('POST', '/api/v1/webhooks/subscriptions', { url: `${receiver.url}${path}`, eventTypes: ['earning.event.processed'], description: `receiver ${path}`, ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { subscription: { id: string } & Json; secret: string };
  };
  /** Emit a domain event the way a module does: in the outbox, committed with the unit of work. */
  const emit = async (name: 'earning.event.processed' | 'webhooks.subscription.disabled' = 'earning.event.processed') => {
    n += 1;
    const ctx = system();
    if (name === 'earning.event.processed') {
      ctx.emit(name, { eventId: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`, type: 'invoice.issued', programId: '00000000-0000-7000-8000-000000000001', partnerId: '00000000-0000-7000-8000-000000000002', occurredAt: new Date().toISOString(), points: 10 * n, invoiceEventId: null, netTotal: 1000, lines: null });
    } else {
      ctx.emit(name, { subscriptionId: '00000000-0000-7000-8000-000000000009', url: 'https://example.test', reason: 'failing', consecutiveFailures: 1, failingSince: new Date().toISOString() });
    }
    await ctx.em.flush();
    const [row] = await sql<{ id: string }>(`select id from laurel_outbox_event where name = ? order by id desc limit 1`, [name]);
    return row!.id;
  };
  /** What the server's loops do: fan events out, then send until nothing is due. */
  const run = async () => {
    await t.outbox.drainUntilIdle();
    for (let i = 0; i < 400; i += 1) {
      const r = await service().deliverDue(system());
      if (r.delivered + r.retried + r.failed === 0) {
        const [due] = await sql<{ n: number }>(`select count(*)::int as n from webhook_delivery d join webhook_subscription s on s.id = d.subscription_id where d.status = 'pending' and s.enabled`);
        if (due!.n === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    throw new Error('deliveries did not settle');
  };
  const deliveriesOf = async (subscriptionId: string) => {
    const res = await inject('GET', `/api/v1/webhooks/deliveries?subscriptionId=${subscriptionId}`);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { items: (Json & { id: string; status: string })[] }).items;
  };
  const detail = async (id: string) => (await inject('GET', `/api/v1/webhooks/deliveries/${id}`)).json() as Json & { attemptLog: Json[]; status: string; body: string };

  beforeAll(async () => {
    await receiver.listen();
    t = await startTestApp({
      databaseUrl: await createTestDatabase(),
      pluginConfig: { webhooks: { options: { allowPrivateTargets: true, retryBaseMs: 1, retryMaxMs: 5, maxAttempts: 4, timeoutMs: 300, disableAfterFailures: 3, disableAfterHours: 24 } } },
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    receiver.server.closeAllConnections();
    await new Promise((resolve) => receiver.server.close(resolve));
  });
  beforeEach(async () => {
    // Each test starts with the other tests' subscriptions off, so only its own receive.
    await sql(`update webhook_subscription set enabled = false, disabled_reason = 'manual'`);
  });

  it('refuses unknown event types and insecure URLs, naming the field in the caller language', async () => {
    const pl = await t.signInAs(['admin'], { locale: 'pl' });
    const unknown = await inject('POST', '/api/v1/webhooks/subscriptions', { url: `${receiver.url}/x`, eventTypes: ['earning.event.processed', 'ledger.nothing.happened'] }, pl);
    expect(unknown.statusCode).toBe(400);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    expect(unknown.json()).toMatchObject({ code: 'WEBHOOKS_EVENT_TYPE_UNKNOWN', errors: [{ field: '/body/eventTypes/1', message: expect.stringContaining('nie jest typem zdarzenia') }] });
    const insecure = await inject('POST', '/api/v1/webhooks/subscriptions', { url: 'http://hooks.example.com/laurel', eventTypes: ['earning.event.processed'] });
    expect(insecure.json()).toMatchObject({ status: 400, code: 'WEBHOOKS_URL_INSECURE', errors: [{ field: '/body/url' }] });
    const credentials = await inject('POST', '/api/v1/webhooks/subscriptions', { url: 'https://user:pw@hooks.example.com/', eventTypes: ['earning.event.processed'] });
    expect(credentials.json()).toMatchObject({ status: 400, code: 'WEBHOOKS_URL_INVALID', errors: [{ field: '/body/url' }] });
    const manager = await t.signInAs(['program-manager']);
    expect((await inject('GET', '/api/v1/webhooks/subscriptions', undefined, manager)).statusCode).toBe(403);
    // An admin limited to some programs would see the others' events through webhooks: refused.
    const program = (await inject('POST', '/api/v1/programs', { code: 'hooks', name: { en: 'H', pl: 'H', ru: 'H' }, currency: 'PLN', pointValueMinorPerThousand: 1000 })).json() as { id: string };
    const scoped = await t.signInAs(['admin'], { locale: 'ru' });
    expect((await inject('PATCH', `/api/v1/access/users/${scoped.userId}`, { programIds: [program.id] })).statusCode).toBe(200);
    const limited = await inject('GET', '/api/v1/webhooks/deliveries', undefined, scoped);
    expect(limited.statusCode).toBe(403);
    expect(limited.json()).toMatchObject({ code: 'WEBHOOKS_ALL_PROGRAMS_ONLY', detail: expect.stringContaining('всех программ') });
    const types = (await inject('GET', '/api/v1/webhooks/event-types', undefined, pl)).json() as { items: { type: string; description: string }[] };
    expect(types.items.map((i) => i.type)).toContain('earning.event.processed');
    expect(types.items[0]!.description).toMatch(/partnera/);
  });

  it('delivers a matching event once, signed so the receiver can verify it, and logs the answer', async () => {
    const { subscription, secret } = await subscribe('/ok');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(JSON.stringify((await inject('GET', `/api/v1/webhooks/subscriptions/${subscription.id}`)).json())).not.toContain(secret);
    const eventId = await emit();
    await run();
    const [got] = receiver.at('/ok');
    expect(got).toBeDefined();
    expect(verify(secret, got!.headers, got!.body)).toBe(true);
    expect(verify(secret, got!.headers, `${got!.body} `)).toBe(false);
    expect(got!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(JSON.parse(got!.body)).toMatchObject({ type: 'earning.event.processed', eventId, data: { points: expect.any(Number), type: 'invoice.issued' } });
    const [delivery] = await deliveriesOf(subscription.id);
    expect(delivery).toMatchObject({ id: got!.headers['webhook-id'], eventId, status: 'delivered', lastStatusCode: 200, attempts: 1 });
    const log = await detail(delivery!.id);
    expect(log.attemptLog).toEqual([expect.objectContaining({ number: 1, trigger: 'automatic', statusCode: 200, ok: true, responseBody: 'thanks', error: null })]);
    const audit = (await inject('GET', `/api/v1/audit/records?subjectId=${subscription.id}`)).json() as { items: { action: string }[] };
    expect(audit.items.map((a) => a.action)).toContain('webhooks.subscription.created');
  });

  it('sends a test message on request, signed and logged like any delivery', async () => {
    const { subscription, secret } = await subscribe('/ping');
    const queued = await inject('POST', `/api/v1/webhooks/subscriptions/${subscription.id}/test`, {});
    expect(queued.statusCode, queued.body).toBe(202);
    expect(queued.json()).toMatchObject({ eventType: 'webhooks.test', status: 'pending', subscriptionId: subscription.id });
    await run();
    const [got] = receiver.at('/ping');
    expect(verify(secret, got!.headers, got!.body)).toBe(true);
    expect(JSON.parse(got!.body)).toMatchObject({ type: 'webhooks.test', data: { subscriptionId: subscription.id } });
    expect(await deliveriesOf(subscription.id)).toEqual([expect.objectContaining({ eventType: 'webhooks.test', status: 'delivered', lastStatusCode: 200 })]);
    const audit = (await inject('GET', `/api/v1/audit/records?subjectId=${subscription.id}`)).json() as { items: { action: string }[] };
    expect(audit.items.map((a) => a.action)).toContain('webhooks.subscription.test-sent');
    await inject('PATCH', `/api/v1/webhooks/subscriptions/${subscription.id}`, { enabled: false });
    expect((await inject('POST', `/api/v1/webhooks/subscriptions/${subscription.id}/test`, {})).json()).toMatchObject({ status: 409, code: 'WEBHOOKS_SUBSCRIPTION_DISABLED' });
  });

  it('retries after 500s with backoff, then succeeds', async () => {
    receiver.handlers.set('/flaky', (_req, res, i) => (i <= 2 ? res.writeHead(500).end('x'.repeat(5000)) : res.writeHead(204).end()));
    const { subscription, secret } = await subscribe('/flaky');
    await emit();
    await run();
    const calls = receiver.at('/flaky');
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((c) => c.headers['webhook-id'])).size).toBe(1);
    for (const c of calls) expect(verify(secret, c.headers, c.body)).toBe(true);
    const [delivery] = await deliveriesOf(subscription.id);
    const log = await detail(delivery!.id);
    expect(log).toMatchObject({ status: 'delivered', lastStatusCode: 204 });
    expect(log.attemptLog.map((a) => a.statusCode)).toEqual([500, 500, 204]);
    expect((log.attemptLog[0]!.responseBody as string).length).toBe(2048);
    const sub = (await inject('GET', `/api/v1/webhooks/subscriptions/${subscription.id}`)).json();
    expect(sub).toMatchObject({ enabled: true, consecutiveFailures: 0, failingSince: null });
  });

  it('counts a timeout as a failure; after the last attempt the delivery fails, and a replay sends it again', async () => {
    let slow = true;
    receiver.handlers.set('/slow', (_req, res) => {
      if (slow) setTimeout(() => res.writeHead(200).end('late'), 1500).unref();
      else res.writeHead(200).end('fast now');
    });
    const { subscription } = await subscribe('/slow');
    await emit();
    await run();
    const [delivery] = await deliveriesOf(subscription.id);
    const log = await detail(delivery!.id);
    expect(log).toMatchObject({ status: 'failed', lastError: 'timeout', attempts: 4 });
    expect(log.attemptLog.map((a) => [a.error, a.ok])).toEqual(Array(4).fill(['timeout', false]));
    for (const a of log.attemptLog) expect(a.durationMs as number).toBeGreaterThanOrEqual(280);
    // Four failures within a day: still on.
    expect((await inject('GET', `/api/v1/webhooks/subscriptions/${subscription.id}`)).json()).toMatchObject({ enabled: true, consecutiveFailures: 4 });

    slow = false;
    const replay = await inject('POST', `/api/v1/webhooks/deliveries/${delivery!.id}/replay`, {});
    expect(replay.statusCode, replay.body).toBe(202);
    expect(replay.json()).toMatchObject({ status: 'pending', replays: 1, attempts: 0 });
    await run();
    const after = await detail(delivery!.id);
    expect(after).toMatchObject({ status: 'delivered', lastStatusCode: 200 });
    expect(after.attemptLog.at(-1)).toMatchObject({ number: 5, trigger: 'replay', statusCode: 200, responseBody: 'fast now' });
    const calls = receiver.at('/slow');
    expect(calls.at(-1)!.headers['webhook-id']).toBe(delivery!.id);
    const audit = (await inject('GET', `/api/v1/audit/records?subjectId=${delivery!.id}`)).json() as { items: { action: string }[] };
    expect(audit.items.map((a) => a.action)).toEqual(['webhooks.delivery.replayed']);
    expect((await inject('GET', `/api/v1/webhooks/subscriptions/${subscription.id}`)).json()).toMatchObject({ consecutiveFailures: 0 });
  });

  it('turns a subscription off after persistent failure (N failed attempts over a day), tells the admins and sends it nothing more', async () => {
    receiver.handlers.set('/down', (_req, res) => res.writeHead(503).end('maintenance'));
    const { subscription } = await subscribe('/down');
    await emit();
    await run();
    expect((await inject('GET', `/api/v1/webhooks/subscriptions/${subscription.id}`)).json()).toMatchObject({ enabled: true, consecutiveFailures: 4 });
    // A day later it still fails.
    await sql(`update webhook_subscription set failing_since = now() - interval '25 hours' where id = ?`, [subscription.id]);
    await emit();
    await run();
    const sub = (await inject('GET', `/api/v1/webhooks/subscriptions/${subscription.id}`)).json();
    expect(sub).toMatchObject({ enabled: false, disabledReason: 'failing', consecutiveFailures: 5 });
    const audit = (await inject('GET', `/api/v1/audit/records?subjectId=${subscription.id}`)).json() as { items: { action: string; data: Json }[] };
    expect(audit.items[0]).toMatchObject({ action: 'webhooks.subscription.auto-disabled', data: { consecutiveFailures: 5, rule: { failures: 3, hours: 24 } } });
    const mails = await sql<{ to: string; template: string }>(`select payload->>'to' as to, payload->>'template' as template from laurel_outbox_event where name = 'mail.message.requested' and payload->'params'->>'url' = ?`, [`${receiver.url}/down`]);
    expect(mails.length).toBeGreaterThan(0);
    expect(mails.every((m) => m.template === 'webhooks:subscriptionDisabled')).toBe(true);
    const announced = await sql(`select 1 from laurel_outbox_event where name = 'webhooks.subscription.disabled' and payload->>'subscriptionId' = ?`, [subscription.id]);
    expect(announced).toHaveLength(1);

    const before = receiver.at('/down').length;
    await emit();
    await run();
    expect(receiver.at('/down').length).toBe(before);
    expect(await deliveriesOf(subscription.id)).toHaveLength(2);
    // Replaying into a disabled subscription is refused until it is on again.
    const [last] = await deliveriesOf(subscription.id);
    expect((await inject('POST', `/api/v1/webhooks/deliveries/${last!.id}/replay`, {})).json()).toMatchObject({ status: 409, code: 'WEBHOOKS_SUBSCRIPTION_DISABLED' });
    const on = await inject('PATCH', `/api/v1/webhooks/subscriptions/${subscription.id}`, { enabled: true });
    expect(on.json()).toMatchObject({ enabled: true, disabledReason: null, consecutiveFailures: 0 });
  });

  it('rotates the secret: during the overlap both secrets sign, after it only the new one', async () => {
    const { subscription, secret: first } = await subscribe('/rotate');
    const rotated = await inject('POST', `/api/v1/webhooks/subscriptions/${subscription.id}/rotate-secret`, { overlapHours: 2 });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const { secret: second, subscription: view } = rotated.json() as { secret: string; subscription: { previousSecretExpiresAt: string } };
    expect(second).not.toBe(first);
    expect(Date.parse(view.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(3_500_000 * 2 - 60_000);
    await emit();
    await run();
    const during = receiver.at('/rotate').at(-1)!;
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verify(first, during.headers, during.body)).toBe(true);
    expect(verify(second, during.headers, during.body)).toBe(true);

    const third = ((await inject('POST', `/api/v1/webhooks/subscriptions/${subscription.id}/rotate-secret`, { overlapHours: 0 })).json() as { secret: string }).secret;
    await emit();
    await run();
    const after = receiver.at('/rotate').at(-1)!;
    expect(verify(third, after.headers, after.body)).toBe(true);
    expect(verify(second, after.headers, after.body)).toBe(false);
    expect(verify(first, after.headers, after.body)).toBe(false);
    const bad = await inject('POST', `/api/v1/webhooks/subscriptions/${subscription.id}/rotate-secret`, { overlapHours: 500 });
    expect(bad.json()).toMatchObject({ status: 400, errors: [{ field: '/body/overlapHours' }] });
    const audit = (await inject('GET', `/api/v1/audit/records?subjectId=${subscription.id}`)).json() as { items: { action: string; data: Json }[] };
    expect(audit.items.filter((a) => a.action === 'webhooks.subscription.secret-rotated')).toHaveLength(2);
    expect(JSON.stringify(audit.items)).not.toContain(third);
  });

  it('sends nothing to disabled subscriptions or for other event types', async () => {
    const { subscription: off } = await subscribe('/off', { enabled: false });
    const { subscription: earning } = await subscribe('/earning-only');
    const { subscription: paused } = await subscribe('/paused');
    expect((await inject('PATCH', `/api/v1/webhooks/subscriptions/${paused.id}`, { enabled: false })).json()).toMatchObject({ enabled: false, disabledReason: 'manual' });
    await emit('webhooks.subscription.disabled');
    await emit();
    await run();
    expect(receiver.at('/off')).toHaveLength(0);
    expect(receiver.at('/paused')).toHaveLength(0);
    expect(await deliveriesOf(off.id)).toHaveLength(0);
    expect(await deliveriesOf(paused.id)).toHaveLength(0);
    const earningCalls = receiver.at('/earning-only');
    expect(earningCalls).toHaveLength(1);
    expect(JSON.parse(earningCalls[0]!.body).type).toBe('earning.event.processed');
    expect((await deliveriesOf(earning.id)).map((d) => d.eventType)).toEqual(['earning.event.processed']);
  });

  it('removes delivered and failed deliveries past the retention with their attempts, never pending ones', async () => {
    receiver.handlers.set('/old', (_req, res) => res.writeHead(200).end('ok'));
    const { subscription } = await subscribe('/old');
    await emit();
    await emit();
    await emit();
    await run();
    const [kept, aged, pending] = await deliveriesOf(subscription.id);
    await sql(`update webhook_delivery set created_at = now() - interval '91 days' where id in (?, ?)`, [aged!.id, pending!.id]);
    await sql(`update webhook_delivery set status = 'pending', next_attempt_at = now() + interval '1 hour' where id = ?`, [pending!.id]);
    expect(await service().prune(system(), 1)).toBe(1);
    expect((await deliveriesOf(subscription.id)).map((d) => d.id).sort()).toEqual([kept!.id, pending!.id].sort());
    expect(await sql(`select 1 from webhook_attempt where delivery_id = ?`, [aged!.id])).toHaveLength(0);
    expect((await inject('GET', `/api/v1/webhooks/deliveries/${aged!.id}`)).statusCode).toBe(404);
  });

  it('is idempotent: an outbox event delivered again to the fan-out makes one delivery per subscription', async () => {
    const { subscription } = await subscribe('/once');
    const eventId = await emit();
    await t.outbox.drainUntilIdle();
    // The outbox redelivers (at least once): the listener runs again for the same event.
    await sql(`update laurel_outbox_delivery set status = 'pending', available_at = now() where event_id = ? and listener like 'webhooks:%'`, [eventId]);
    await t.outbox.drainUntilIdle();
    const [event] = await sql<{ name: string; payload: unknown; occurred_at: Date }>(`select name, payload, occurred_at from laurel_outbox_event where id = ?`, [eventId]);
    expect(await service().fanOut(system(), { id: eventId, name: event!.name as 'earning.event.processed', payload: event!.payload as never, occurredAt: new Date(event!.occurred_at), attempt: 3 })).toBe(0);
    await run();
    expect(await deliveriesOf(subscription.id)).toHaveLength(1);
    expect(receiver.at('/once')).toHaveLength(1);
  });
});
