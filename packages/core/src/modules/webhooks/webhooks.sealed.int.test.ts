import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';
import { createSecretBox } from './webhooks.crypto.ts';
import { webhookServiceRef } from './webhooks.service.ts';
import { verify } from '../../platform/standard-webhooks.ts';

const KEY = 'b2'.repeat(32);

describe('webhooks: secrets sealed at rest under a configured key', () => {
  let t: TestApp;
  const received: { headers: Record<string, string>; body: string }[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => t.orm.em.fork().getConnection().execute(text, params) as Promise<T[]>;
  const system = () => t.host.createContext({ requestId: 'test', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    t = await startTestApp({ databaseUrl: await createTestDatabase(), pluginConfig: { webhooks: { options: { allowPrivateTargets: true, secretKey: KEY } } } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('keeps only sealed secrets in the database and still signs with them, the previous one too during the overlap', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/sealed`;
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/webhooks/subscriptions', headers: t.adminHeaders, payload: { url, eventTypes: ['webhooks.subscription.disabled'] } });
    expect(created.statusCode, created.body).toBe(201);
    const { subscription, secret } = created.json() as { subscription: { id: string; secretHint: string }; secret: string };
    expect(subscription.secretHint).toBe(`${secret.slice(0, 10)}…`);
    const rotated = await t.app.inject({ method: 'POST', url: `/api/v1/webhooks/subscriptions/${subscription.id}/rotate-secret`, headers: t.adminHeaders, payload: { overlapHours: 1 } });
    const second = (rotated.json() as { secret: string }).secret;
    const [row] = await sql<{ secret: string; previous_secret: string }>(`select secret, previous_secret from webhook_subscription where id = ?`, [subscription.id]);
    for (const stored of [row!.secret, row!.previous_secret]) {
      expect(stored).toMatch(/^sealed\.v1\./);
      expect(stored).not.toContain(secret.slice(6));
      expect(stored).not.toContain(second.slice(6));
    }
    // Bound to its subscription: the same sealed text does not open for another id.
    expect(() => createSecretBox(KEY).open('00000000-0000-7000-8000-000000000000', row!.secret)).toThrow();
    expect(createSecretBox(KEY).open(subscription.id, row!.secret)).toBe(second);

    const ctx = system();
    ctx.emit('webhooks.subscription.disabled', { subscriptionId: subscription.id, url, reason: 'failing', consecutiveFailures: 1, failingSince: new Date().toISOString() });
    await ctx.em.flush();
    await t.outbox.drainUntilIdle();
    await t.host.service(webhookServiceRef).deliverDue(system());
    expect(received).toHaveLength(1);
    expect(verify(second, received[0]!.headers, received[0]!.body)).toBe(true);
    expect(verify(secret, received[0]!.headers, received[0]!.body)).toBe(true);
  });
});
