import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { AppError, Type, defineEntity, definePlugin, p, type PluginDefinition } from '@laurel/plugin-sdk';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../test/database.ts';

declare module '@laurel/plugin-sdk' {
  interface LaurelEvents {
    'greetings.greeting.created': { greetingId: string; text: string };
  }
  interface LaurelFilters {
    'greetings.greeting.validate': { value: { text: string } };
  }
}

const Greeting = defineEntity({
  name: 'Greeting',
  tableName: 'greetings_greeting',
  properties: {
    id: p.integer().primary().autoincrement(),
    text: p.string(),
    echoedAt: p.datetime().nullable(),
  },
});

/** A small plugin written in the test: entity + migration + route + filter + listener. */
function greetingsPlugin(listenerBehaviour: { failuresLeft: number; calls: number; seen: string[] }): PluginDefinition {
  return definePlugin({
    id: 'greetings',
    version: '1.0.0',
    compatibility: '^0.1.0',
    config: Type.Object({ shout: Type.Boolean({ default: false }) }, { additionalProperties: false }),
    entities: [Greeting],
    migrations: [
      { name: '0001_greeting', up: 'create table greetings_greeting (id serial primary key, text text not null, echoed_at timestamptz)' },
    ],
    setup(ctx) {
      ctx.filter('greetings.greeting.validate', (value) => {
        if (value.text.toLowerCase().includes('spam')) throw new AppError('GREETINGS_SPAM', 422);
        return { text: ctx.config.shout ? value.text.toUpperCase() : value.text };
      });
      ctx.on(
        'greetings.greeting.created',
        async (event, listenerCtx) => {
          listenerBehaviour.calls += 1;
          if (listenerBehaviour.failuresLeft > 0) {
            listenerBehaviour.failuresLeft -= 1;
            throw new Error('downstream not ready');
          }
          listenerBehaviour.seen.push(`${event.payload.text}@${event.attempt}`);
          const row = await listenerCtx.em.findOneOrFail(Greeting, { id: Number(event.payload.greetingId) });
          row.echoedAt = new Date();
          await listenerCtx.em.flush();
        },
        { name: 'echo', maxAttempts: 5 },
      );
      ctx.routes((router) => {
        router.post(
          '/greetings',
          {
            config: { access: 'public' },
            schema: {
              summary: 'Create a greeting',
              body: Type.Object({ text: Type.String({ minLength: 1, maxLength: 50 }) }, { additionalProperties: false }),
              response: { 201: Type.Object({ id: Type.Integer(), text: Type.String() }) },
            },
          },
          async (request, reply) => {
            const c = request.ctx;
            const value = await c.applyFilter('greetings.greeting.validate', { text: request.body.text });
            const row = await c.em.transactional(async (em) => {
              const g = em.create(Greeting, { text: value.text, echoedAt: null });
              await em.flush();
              c.emit('greetings.greeting.created', { greetingId: String(g.id), text: g.text });
              return g;
            });
            return reply.status(201).send({ id: row.id, text: row.text });
          },
        );
        router.get('/boom', { config: { access: 'public' } }, async () => {
          throw new Error('secret database password is hunter2');
        });
      });
    },
  });
}

describe('plugin host with a plugin written in the test', () => {
  let t: TestApp;
  let databaseUrl: string;
  const behaviour = { failuresLeft: 2, calls: 0, seen: [] as string[] };

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    t = await startTestApp({ databaseUrl, plugins: [greetingsPlugin(behaviour)], pluginConfig: { greetings: { options: { shout: true } } } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('mounts the routes under /api/v1/<id>, runs the filter and commits the row with its event', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/greetings/greetings', payload: { text: 'hello' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ text: 'HELLO' });
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const { rows } = await db.query(`select e.name, d.listener, d.status from laurel_outbox_event e join laurel_outbox_delivery d on d.event_id = e.id`);
    await db.end();
    expect(rows).toEqual([{ name: 'greetings.greeting.created', listener: 'greetings:echo', status: 'pending' }]);
  });

  it('a filter veto rolls nothing in and answers with the plugin error code', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/greetings/greetings', payload: { text: 'buy spam now' } });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'GREETINGS_SPAM', status: 422 });
  });

  it('retries a listener that fails twice, then delivers it once', async () => {
    const first = await t.outbox.drainOnce();
    expect(first).toEqual({ delivered: 0, retried: 1, dead: 0 });
    await new Promise((r) => setTimeout(r, 20));
    expect(await t.outbox.drainOnce()).toEqual({ delivered: 0, retried: 1, dead: 0 });
    await new Promise((r) => setTimeout(r, 20));
    expect(await t.outbox.drainOnce()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    expect(behaviour.calls).toBe(3);
    expect(behaviour.seen).toEqual(['HELLO@3']);
    expect(await t.outbox.drainUntilIdle()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const { rows } = await db.query(`select echoed_at is not null as echoed from greetings_greeting`);
    const deliveries = await db.query(`select status, attempts from laurel_outbox_delivery`);
    await db.end();
    expect(rows).toEqual([{ echoed: true }]);
    expect(deliveries.rows).toEqual([{ status: 'delivered', attempts: 3 }]);
  });

  it('parks a delivery that keeps failing, lists it for an admin, and replays it with an audit record', async () => {
    behaviour.failuresLeft = 100;
    await t.app.inject({ method: 'POST', url: '/api/v1/greetings/greetings', payload: { text: 'again' } });
    for (let i = 0; i < 10; i += 1) {
      await t.outbox.drainOnce();
      await new Promise((r) => setTimeout(r, 10));
    }
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/v1/system/dead-letters' });
    expect(anonymous.statusCode).toBe(401);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/system/dead-letters', headers: t.adminHeaders });
    expect(list.statusCode).toBe(200);
    const items = list.json().items as { id: string; listener: string; attempts: number; lastError: string; event: string }[];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ listener: 'greetings:echo', attempts: 5, event: 'greetings.greeting.created' });
    expect(items[0]!.lastError).toContain('downstream not ready');

    behaviour.failuresLeft = 0;
    const replay = await t.app.inject({ method: 'POST', url: `/api/v1/system/dead-letters/${items[0]!.id}/replay`, headers: t.adminHeaders });
    expect(replay.statusCode).toBe(202);
    expect(await t.outbox.drainUntilIdle()).toMatchObject({ delivered: 1 });
    const again = await t.app.inject({ method: 'POST', url: `/api/v1/system/dead-letters/${items[0]!.id}/replay`, headers: t.adminHeaders });
    expect(again.statusCode).toBe(409);
    const audit = await t.app.inject({ method: 'GET', url: `/api/v1/audit/records?subjectId=${items[0]!.id}`, headers: t.adminHeaders });
    expect(audit.json().items.map((r: { action: string }) => r.action)).toEqual(['system.dead-letter.replayed']);
  });

  it('puts plugin routes in the OpenAPI document', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/v1/greetings/greetings');
    expect(doc.paths['/health/ready'].get).toBeDefined();
  });

  it('never reveals a 5xx message or stack', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/greetings/boom', headers: { 'accept-language': 'pl' } });
    expect(res.statusCode).toBe(500);
    const body = res.json();
    expect(body.code).toBe('INTERNAL_ERROR');
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toContain('at ');
    expect(body.detail).toContain(body.requestId);
    expect(body.title).toBe('Wewnętrzny błąd serwera');
  });
});

describe('a disabled plugin', () => {
  it('adds no routes or listeners and keeps its tables', async () => {
    const databaseUrl = await createTestDatabase();
    const behaviour = { failuresLeft: 0, calls: 0, seen: [] as string[] };
    const enabled = await startTestApp({ databaseUrl, plugins: [greetingsPlugin(behaviour)] });
    expect((await enabled.app.inject({ method: 'POST', url: '/api/v1/greetings/greetings', payload: { text: 'hi' } })).statusCode).toBe(201);
    await enabled.close();

    const disabled = await startTestApp({ databaseUrl, plugins: [greetingsPlugin(behaviour)], pluginConfig: { greetings: { enabled: false } } });
    const res = await disabled.app.inject({ method: 'POST', url: '/api/v1/greetings/greetings', payload: { text: 'hi' } });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('NOT_FOUND');
    expect(disabled.host.listenerKeys()).not.toContain('greetings:echo');
    const doc = (await disabled.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(Object.keys(doc.paths)).not.toContain('/api/v1/greetings/greetings');
    // the undelivered event waits for the plugin to come back instead of being dropped
    expect(await disabled.outbox.drainUntilIdle()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    await disabled.close();
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const { rows } = await db.query(`select count(*)::int as n from greetings_greeting`);
    const pending = await db.query(`select count(*)::int as n from laurel_outbox_delivery where status = 'pending'`);
    await db.end();
    expect(rows[0].n).toBe(1);
    expect(pending.rows[0].n).toBe(1);
  });
});
