import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';

describe('tiers demo data', () => {
  let t: TestApp;
  const seed = async () => {
    for (const { pluginId, seed } of t.host.seeders) {
      const ctx = t.host.createContext({ requestId: `seed-${pluginId}`, locale: 'en', actor: { kind: 'system', name: 'seed' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
      await seed(ctx);
      await ctx.em.flush();
    }
  };
  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase() });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('seeds a resellers and an integrators track, Silver to Platinum, with demo partners spread over the tiers, idempotently', async () => {
    await seed();
    await seed();
    const programs = (await t.app.inject({ method: 'GET', url: '/api/v1/programs', headers: t.adminHeaders })).json().items as { id: string; code: string }[];
    const demo = programs.find((p) => p.code === 'demo')!;
    const distribution = (await t.app.inject({ method: 'GET', url: `/api/v1/tiers/distribution?programId=${demo.id}`, headers: t.adminHeaders })).json();
    expect(distribution.tracks.map((x: { code: string }) => x.code)).toEqual(['resellers', 'integrators']);
    const counts = Object.fromEntries(distribution.tracks[0].tiers.map((x: { tier: { code: string } | null; partners: number }) => [x.tier?.code ?? 'none', x.partners]));
    expect(counts).toMatchObject({ silver: expect.any(Number), gold: expect.any(Number), platinum: expect.any(Number) });
    expect(counts.silver + counts.gold + counts.platinum).toBeGreaterThanOrEqual(3);
    expect(counts.platinum).toBeGreaterThanOrEqual(1);
    expect(counts.gold).toBeGreaterThanOrEqual(1);
    const history = (await t.orm.em.fork().execute(`select count(*)::int as n from tiers_history`)) as { n: number }[];
    const again = history[0]!.n;
    await seed();
    expect(((await t.orm.em.fork().execute(`select count(*)::int as n from tiers_history`)) as { n: number }[])[0]!.n).toBe(again);
  });
});
