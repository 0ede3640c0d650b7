import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingTemporalGateway, startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';

type Json = Record<string, unknown>;

describe('catalogue: rewards restricted by tier and by segment', () => {
  let t: TestApp;
  let programId: string;
  let tiers: Record<string, string>;
  let gold: string;
  let silver: string;
  let goldUser: Record<string, string>;
  let silverUser: Record<string, string>;
  let silverUserPl: Record<string, string>;
  let n = 0;

  const inject = (method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
  const ok = async (method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, payload?: unknown) => {
    const res = await inject(method, url, payload);
    expect(res.statusCode, `${url}: ${res.body}`).toBeLessThan(300);
    return res.json() as Json & { id: string };
  };
  const text = (s: string) => ({ en: s, pl: `${s} (pl)`, ru: `${s} (ru)` });
  const reward = (body: Json) => {
    n += 1;
    return ok('POST', '/api/v1/catalogue/rewards', { programId, sku: `R-${n}`, type: 'service', name: text(`Reward ${n}`), description: text('d'), category: 'c', pricePoints: 10, status: 'active', ...body });
  };
  const offer = async (headers: Record<string, string>) => (await inject('GET', '/api/v1/catalogue/offer', undefined, headers)).json().items as { reward: { id: string; labels: string[] }; orderable: boolean; reasons: { code: string; message: string }[] }[];
  const order = (rewardId: string, headers: Record<string, string>) => inject('POST', '/api/v1/catalogue/orders', { rewardId, quantity: 1, idempotencyKey: `k-${Math.random()}` }, headers);
  const until = new Date(Date.now() + 90 * 86_400_000).toISOString();

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase(), temporal: recordingTemporalGateway() });
    programId = (await ok('POST', '/api/v1/programs', { code: 'tiered', name: text('Tiered'), currency: 'PLN', pointValueMinorPerThousand: 1000 })).id;
    await ok('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'test' });
    const track = await ok('POST', '/api/v1/tiers/tracks', { programId, code: 'resellers', name: { en: 'Resellers', pl: 'Resellerzy', ru: 'Реселлеры' }, partnerTypes: ['reseller'] });
    tiers = {};
    const defs = [
      ['basic', { en: 'Basic', pl: 'Podstawowy', ru: 'Базовый' }, { access: false, labels: [] }],
      ['silver', { en: 'Silver', pl: 'Srebrny', ru: 'Серебряный' }, { access: true, labels: [] }],
      ['gold', { en: 'Gold', pl: 'Złoty', ru: 'Золотой' }, { access: true, labels: ['gold-club'] }],
    ] as const;
    for (const [rank, [code, name, catalogue]] of defs.entries()) {
      tiers[code] = (await ok('POST', `/api/v1/tiers/tracks/${track.id}/tiers`, { code, name, rank: rank + 1, qualification: { mode: 'all', conditions: [{ metric: 'net-turnover', min: (rank + 1) * 1_000_000, window: 'rolling-12-months' }] }, benefits: { catalogue } })).id;
    }
    gold = (await ok('POST', '/api/v1/partners', { programId, legalName: 'Gold Co', nip: '5260250995', type: 'reseller', segments: ['enterprise'] })).id;
    silver = (await ok('POST', '/api/v1/partners', { programId, legalName: 'Silver Co', nip: '5250007738', type: 'reseller', segments: ['smb'] })).id;
    await ok('PUT', `/api/v1/tiers/partners/${gold}/override`, { tierId: tiers.gold, reason: 'test', until });
    await ok('PUT', `/api/v1/tiers/partners/${silver}/override`, { tierId: tiers.silver, reason: 'test', until });
    for (const id of [gold, silver]) await ok('POST', '/api/v1/ledger/adjustments', { partnerId: id, points: 500, reason: 'start', idempotencyKey: `start-${id}` });
    goldUser = await t.signInAs(['partner-user'], { partnerId: gold });
    silverUser = await t.signInAs(['partner-user'], { partnerId: silver });
    silverUserPl = await t.signInAs(['partner-user'], { partnerId: silver, locale: 'pl' });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('shows a tier-only reward to lower tiers with the tier that unlocks it, and refuses their order', async () => {
    const club = await reward({ labels: ['gold-club'] });
    const open = await reward({});
    const forGold = (await offer(goldUser)).find((i) => i.reward.id === club.id)!;
    expect(forGold).toMatchObject({ orderable: true, reasons: [] });
    const forSilver = (await offer(silverUserPl)).find((i) => i.reward.id === club.id)!;
    expect(forSilver.orderable).toBe(false);
    expect(forSilver.reasons).toEqual([{ code: 'tier-required', message: 'Dla poziomu Złoty.' }]);
    expect((await offer(silverUser)).find((i) => i.reward.id === open.id)!.orderable).toBe(true);

    const refused = await order(club.id, silverUserPl);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'CATALOGUE_TIER_REQUIRED', detail: 'Ta nagroda jest dla partnerów z poziomu Złoty.' });
    expect((await order(club.id, goldUser)).statusCode).toBe(201);
    expect((await inject('GET', `/api/v1/ledger/partners/${silver}/balances`)).json().reserved).toBe(0);
  });

  it('hides a reward meant for other segments, and refuses an order for it as not offered', async () => {
    const enterprise = await reward({ segments: ['enterprise'] });
    expect((await offer(goldUser)).some((i) => i.reward.id === enterprise.id)).toBe(true);
    expect((await offer(silverUser)).some((i) => i.reward.id === enterprise.id)).toBe(false);
    const refused = await order(enterprise.id, silverUser);
    expect(refused.json()).toMatchObject({ code: 'CATALOGUE_REWARD_NOT_ORDERABLE', errors: [{ field: '/body/rewardId' }] });
  });

  it('a tier without catalogue access sees the catalogue but may order nothing', async () => {
    const open = await reward({});
    await ok('PUT', `/api/v1/tiers/partners/${silver}/override`, { tierId: tiers.basic, reason: 'test', until });
    try {
      const item = (await offer(silverUser)).find((i) => i.reward.id === open.id)!;
      expect(item.orderable).toBe(false);
      expect(item.reasons.map((r) => r.code)).toEqual(['tier-no-access']);
      expect((await order(open.id, silverUser)).json()).toMatchObject({ status: 409, code: 'CATALOGUE_TIER_NO_ACCESS' });
    } finally {
      await ok('PUT', `/api/v1/tiers/partners/${silver}/override`, { tierId: tiers.silver, reason: 'test', until });
    }
  });

  it('keeps labels and segments on the reward, trimmed and without repeats; an empty one names its field', async () => {
    const r = await reward({ labels: [' gold-club ', 'gold-club'], segments: ['smb'] });
    expect(r).toMatchObject({ labels: ['gold-club'], segments: ['smb'] });
    const cleared = await ok('PATCH', `/api/v1/catalogue/rewards/${r.id}`, { labels: [], segments: [] });
    expect(cleared).toMatchObject({ labels: [], segments: [] });
    const blank = await inject('PATCH', `/api/v1/catalogue/rewards/${r.id}`, { segments: ['smb', ' '] });
    expect(blank.json()).toMatchObject({ status: 422, code: 'CATALOGUE_LABEL_EMPTY', errors: [{ field: '/body/segments/1' }] });
  });
});
