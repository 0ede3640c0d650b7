import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type, createServiceRef, definePlugin } from '@laurel/plugin-sdk';
import { startLaurel, type LaurelTestApp } from './index.ts';

declare module '@laurel/plugin-sdk' {
  interface LaurelEvents {
    'harness-probe.ping.sent': { n: number };
  }
}

const probeRef = createServiceRef<{ seen: number[]; ticks: number }>('harness-probe.state');

/** A probe plugin: a flaky listener, a scheduled task, a route that echoes the caller and the query. */
function probe(failures: { left: number }) {
  const state = { seen: [] as number[], ticks: 0 };
  return definePlugin({
    id: 'harness-probe',
    version: '1.0.0',
    compatibility: '^0.1.0',
    setup(ctx) {
      ctx.provide(probeRef, state);
      ctx.on('harness-probe.ping.sent', (event) => {
        if (event.payload.n < 0) throw new Error('never');
        if (failures.left > 0) {
          failures.left -= 1;
          throw new Error('not yet');
        }
        state.seen.push(event.payload.n);
      }, { name: 'flaky', maxAttempts: 3 });
      ctx.every('tick', 3_600_000, async () => {
        state.ticks += 1;
        if (state.ticks > 1) throw new Error('second tick fails');
      });
      ctx.routes((router) => {
        router.get('/whoami', { config: { access: 'signed-in' }, schema: { querystring: Type.Object({ q: Type.Optional(Type.String()) }) } }, async (request) => ({
          kind: request.ctx.actor.kind,
          partnerId: request.ctx.actor.kind === 'user' ? request.ctx.actor.partnerId : null,
          locale: request.ctx.locale,
          q: request.query.q ?? null,
        }));
      });
    },
  });
}

describe('@laurel/testing', () => {
  let t: LaurelTestApp;
  const failures = { left: 2 };

  beforeAll(async () => {
    t = await startLaurel({ plugins: [probe(failures)] });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('drain waits out a listener’s retries and parks what keeps failing', async () => {
    await t.emit('harness-probe.ping.sent', { n: 1 });
    expect(await t.drain()).toEqual({ delivered: 1, retried: 2, dead: 0 });
    expect(t.service(probeRef).seen).toEqual([1]);
    await t.emit('harness-probe.ping.sent', { n: -1 });
    expect(await t.drain()).toEqual({ delivered: 0, retried: 2, dead: 1 });
    const parked = await t.get('/api/v1/system/dead-letters');
    expect(parked.body.items).toEqual([expect.objectContaining({ listener: 'harness-probe:flaky', attempts: 3 })]);
  });

  it('calls routes as the admin, a partner user (in their language), an API key or nobody, with a query', async () => {
    expect((await t.get('/api/v1/harness-probe/whoami', { query: { q: 'x y', unused: undefined } })).body).toEqual({ kind: 'user', partnerId: null, locale: 'en', q: 'x y' });
    const program = await t.createProgram();
    const partner = await t.createPartner(program.id, { nip: '5260250995' });
    const user = await t.signInAsPartner(partner.id, { locale: 'ru' });
    expect((await t.get('/api/v1/harness-probe/whoami', { as: user })).body).toMatchObject({ partnerId: partner.id, locale: 'ru' });
    expect((await t.get('/api/v1/harness-probe/whoami', { as: await t.apiKey(['partners:read']) })).body.kind).toBe('api-key');
    const anonymous = await t.get('/api/v1/harness-probe/whoami', { as: 'anonymous', locale: 'pl' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['content-type']).toContain('application/problem+json');
    expect(anonymous.body.title).toBeTruthy();
  });

  it('runs scheduled tasks now and reports a failing one', async () => {
    expect(await t.runScheduled('harness-probe:tick')).toEqual(['harness-probe:tick']);
    await expect(t.runScheduled('tick')).rejects.toThrow('second tick fails');
    expect(t.service(probeRef).ticks).toBe(2);
  });

  it('reads the database and refuses a real Temporal without an address', async () => {
    expect(await t.sql<{ n: number }>(`select count(*)::int as n from laurel_outbox_event where name = $1`, ['harness-probe.ping.sent'])).toEqual([{ n: 2 }]);
    expect(t.realTemporal).toBe(Boolean(process.env.TEMPORAL_ADDRESS));
    if (!process.env.TEMPORAL_ADDRESS) await expect(startLaurel({ plugins: [], temporal: 'real' })).rejects.toThrow(/TEMPORAL_ADDRESS/);
  });
});
