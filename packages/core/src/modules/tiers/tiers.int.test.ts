import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, tierMetricsRef } from '@laurel/plugin-sdk';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';
import { tiersServiceRef } from './index.ts';

type Json = Record<string, unknown>;
const DAY = 86_400_000;
const ZL = 100;

/** A plugin's metric: active certifications per partner, kept in memory by the test. */
const certificates = new Map<string, number>();
const certificationsPlugin = definePlugin({
  id: 'certs',
  version: '1.0.0',
  compatibility: '^0.1.0',
  dependsOn: ['tiers'],
  setup(ctx) {
    const metrics = ctx.inject(tierMetricsRef);
    ctx.onReady(() =>
      metrics().register({
        code: 'certs.active',
        name: { en: 'Active certifications', pl: 'Aktywne certyfikacje', ru: 'Действующие сертификации' },
        unit: 'count',
        compute: (_ctx, { partnerIds }) => new Map(partnerIds.map((id) => [id, certificates.get(id) ?? 0])),
      }),
    );
  },
});

describe('tiers: tracks, upgrade on event, reviews with grace, overrides, plugin metrics, progress, multiplier', () => {
  let t: TestApp;
  let key: { authorization: string };
  let n = 0;
  const inject = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
  const ok = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, headers?: Record<string, string>) => {
    const res = await inject(method, url, payload, headers);
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json();
  };
  const count = async (sql: string, params: unknown[] = []) => Number(((await t.orm.em.fork().execute(sql, params)) as { n: string }[])[0]!.n);
  const promotedEvents = (partnerId: string) => count(`select count(*) as n from laurel_outbox_event where name = 'tiers.partner.promoted' and payload->>'partnerId' = ?`, [partnerId]);

  const program = async (code: string, names: string[], type = 'reseller') => {
    const created = await ok('POST', '/api/v1/programs', { code, name: { en: code, pl: code, ru: code }, currency: 'PLN', pointValueMinorPerThousand: 1000, timeZone: 'Europe/Warsaw' });
    await ok('POST', `/api/v1/programs/${created.id}/status`, { status: 'live', reason: 'test' });
    const partners: Record<string, string> = {};
    for (const name of names) partners[name] = (await ok('POST', '/api/v1/partners', { programId: created.id, legalName: `${code} ${name}`, type, country: 'DE' })).id;
    const rule = await ok('POST', '/api/v1/earning/rules', { programId: created.id, code: 'base', name: 'Base', priority: 0, eventTypes: ['invoice.issued'], validFrom: '2020-01-01T00:00:00Z', condition: true, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' } });
    await ok('POST', `/api/v1/earning/rules/${rule.id}/activate`, {});
    return { programId: created.id as string, partners };
  };
  /** Silver 1,000 zł, Gold 5,000 zł, Platinum 20,000 zł net turnover in the last 12 months. */
  const track = async (programId: string, code: string, review: Json = {}) => {
    const created = await ok('POST', '/api/v1/tiers/tracks', { programId, code, name: { en: 'Resellers', pl: 'Resellerzy', ru: 'Реселлеры' }, partnerTypes: ['reseller'], review: { every: 'quarter', graceMonths: 3, maxDowngradeSteps: 1, yearStartMonth: 1, ...review } });
    const tiers: Record<string, string> = {};
    for (const [rank, tier, min, multiplier] of [[1, 'silver', 1_000, 1.1], [2, 'gold', 5_000, 1.5], [3, 'platinum', 20_000, 2]] as const) {
      const name = { silver: { en: 'Silver', pl: 'Srebrny', ru: 'Серебряный' }, gold: { en: 'Gold', pl: 'Złoty', ru: 'Золотой' }, platinum: { en: 'Platinum', pl: 'Platynowy', ru: 'Платиновый' } }[tier];
      tiers[tier] = (await ok('POST', `/api/v1/tiers/tracks/${created.id}/tiers`, { code: tier, name, rank, qualification: { mode: 'all', conditions: [{ metric: 'net-turnover', min: min * ZL, window: 'rolling-12-months' }] }, benefits: { multiplier } })).id;
    }
    return { trackId: created.id as string, tiers };
  };
  const invoice = async (programId: string, partnerId: string, zl: number, daysAgo = 2, externalId = `T-${(n += 1)}`) => {
    const res = await inject('POST', '/api/v1/earning/events', { type: 'invoice.issued', source: 'erp', externalId, occurredAt: new Date((Math.floor(Date.now() / DAY) - daysAgo) * DAY).toISOString(), programId, partner: { partnerId }, number: `FV/${externalId}`, currency: 'PLN', lines: [{ sku: 'A', quantity: 1, netAmount: zl * ZL }] }, key);
    expect(res.statusCode, res.body).toBeLessThan(300);
    await t.outbox.drainUntilIdle();
    return res.json() as { points: number; replayed: boolean };
  };
  const tierOf = async (partnerId: string) => (await ok('GET', `/api/v1/tiers/partners/${partnerId}`)) as { tier: { code: string } | null; earnedTier: { code: string } | null; graceUntil: string | null; benefits: { multiplier: number } };

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase(), plugins: [certificationsPlugin], env: { LOG_LEVEL: process.env.TIERS_LOG ?? 'silent' } });
    key = await t.apiKeyHeaders(['events:write']);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('promotes as soon as a qualifying invoice lands (several steps at once), once on a replay, and the new multiplier earns more', async () => {
    const { programId, partners } = await program('t-event', ['a']);
    const { tiers } = await track(programId, 'resellers');
    const a = partners.a!;
    expect((await invoice(programId, a, 600)).points).toBe(600);
    expect((await tierOf(a)).tier).toBeNull();
    await invoice(programId, a, 5_000, 1, 'BIG');
    const gold = await tierOf(a);
    expect(gold.tier?.code).toBe('gold');
    expect(gold.benefits.multiplier).toBe(1.5);
    const history = (await ok('GET', `/api/v1/tiers/partners/${a}/history`)).items;
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ change: 'promoted', from: null, to: { id: tiers.gold, code: 'gold' }, metrics: { 'rolling-12-months': { 'net-turnover': 560_000 } } });
    expect(await promotedEvents(a)).toBe(1);
    // The same invoice again (a replay) and the same outbox event delivered again: nothing more.
    expect((await invoice(programId, a, 5_000, 1, 'BIG')).replayed).toBe(true);
    const [delivered] = (await t.orm.em.fork().execute(`select id, payload, occurred_at from laurel_outbox_event where name = 'earning.event.processed' and payload->>'partnerId' = ? order by id desc limit 1`, [a])) as { id: string; payload: never; occurred_at: Date }[];
    const again = await t.host.service(tiersServiceRef).recordActivity(t.host.createContext({ requestId: 'replay', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork() as never, log: t.app.log }), { id: delivered!.id, name: 'earning.event.processed', payload: delivered!.payload, occurredAt: delivered!.occurred_at, attempt: 2 });
    expect(again).toEqual({ recorded: false, promoted: false });
    expect(await promotedEvents(a)).toBe(1);
    expect((await ok('GET', `/api/v1/tiers/partners/${a}/history`)).items).toHaveLength(1);
    // Gold earns 1.5 × what the rule gives: 1,000 zł → 1,500 points (600 zł earned 600 before the promotion).
    expect((await invoice(programId, a, 1_000)).points).toBe(1_500);
  });

  it('reviews: a failing partner is protected through the grace period, then demoted one step; without grace straight down', async () => {
    const { programId, partners } = await program('t-review', ['p', 'q', 'r']);
    await track(programId, 'resellers');
    await invoice(programId, partners.p!, 25_000);
    await invoice(programId, partners.q!, 25_000);
    await invoice(programId, partners.r!, 2_000);
    expect((await tierOf(partners.p!)).tier?.code).toBe('platinum');
    // Review dates after the invoices left the 12-month window: nothing qualifies any more.
    const first = new Date(Date.now() + 400 * DAY).toISOString();
    const job = await ok('POST', '/api/v1/tiers/reviews', { programId, reviewDate: first });
    expect(job).toMatchObject({ status: 'running', total: 3, done: 0 });
    await t.outbox.drainUntilIdle();
    expect(await ok('GET', `/api/v1/tiers/reviews/${job.id}`)).toMatchObject({ status: 'done', total: 3, done: 3, protected: 3, demoted: 0 });
    const protectedP = await tierOf(partners.p!);
    expect(protectedP.tier?.code).toBe('platinum');
    expect(protectedP.graceUntil).not.toBeNull();
    // Asking again for the same date changes nothing.
    const repeated = await t.host.service(tiersServiceRef).review(t.host.createContext({ requestId: 'again', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork() as never, log: t.app.log }), { programId, reviewDate: first });
    expect(repeated).toMatchObject({ id: job.id, done: 3, protected: 3 });
    // The review after the grace period: one step down (platinum → gold, silver → none).
    const second = new Date(new Date(protectedP.graceUntil!).getTime()).toISOString();
    const done = await t.host.service(tiersServiceRef).review(t.host.createContext({ requestId: 'review-2', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork() as never, log: t.app.log }), { programId, reviewDate: second });
    expect(done).toMatchObject({ status: 'done', demoted: 3, protected: 0 });
    expect((await tierOf(partners.p!)).tier?.code).toBe('gold');
    expect((await tierOf(partners.r!)).tier).toBeNull();
    const history = (await ok('GET', `/api/v1/tiers/partners/${partners.p}/history`)).items;
    expect(history.map((h: Json) => h.change)).toEqual(['demoted', 'protected', 'promoted']);
    expect(history[0]).toMatchObject({ from: { code: 'platinum' }, to: { code: 'gold' }, metrics: { 'rolling-12-months': { 'net-turnover': 0 } }, cause: { review: { reviewDate: second } } });
    expect(await count(`select count(*) as n from laurel_outbox_event where name = 'tiers.partner.demoted' and payload->>'partnerId' = ?`, [partners.p])).toBe(1);

    const other = await program('t-nograce', ['x']);
    await track(other.programId, 'resellers', { graceMonths: 0, maxDowngradeSteps: null });
    await invoice(other.programId, other.partners.x!, 25_000);
    await t.host.service(tiersServiceRef).review(t.host.createContext({ requestId: 'review-3', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork() as never, log: t.app.log }), { programId: other.programId, reviewDate: first });
    expect((await tierOf(other.partners.x!)).tier).toBeNull();
  });

  it('the schedule runs each track\'s due review date once, and only for that track\'s partners', async () => {
    const { programId, partners } = await program('t-schedule', ['s']);
    const { trackId } = await track(programId, 'resellers');
    const other = await ok('POST', '/api/v1/tiers/tracks', { programId, code: 'yearly', name: { en: 'Y', pl: 'Y', ru: 'Y' }, partnerTypes: ['integrator'], review: { every: 'year', graceMonths: 0, maxDowngradeSteps: null, yearStartMonth: 1 } });
    await invoice(programId, partners.s!, 2_000);
    const service = t.host.service(tiersServiceRef);
    const ctx = () => t.host.createContext({ requestId: 'schedule', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork() as never, log: t.app.log });
    // Nothing is due for tracks created after their latest review date.
    expect((await service.dueReviews(ctx())).filter((d) => d.programId === programId)).toEqual([]);
    // The quarterly track as if created a year ago: its latest quarter start is due, once.
    await t.orm.em.fork().execute(`update tiers_track set created_at = now() - interval '1 year' where id = ?`, [trackId]);
    const due = (await service.dueReviews(ctx())).filter((d) => d.programId === programId);
    expect(due).toEqual([{ programId, reviewDate: expect.any(String), trackIds: [trackId] }]);
    expect(due[0]!.trackIds).not.toContain(other.id);
    const jobs = (await service.runDueReviews(ctx())).filter((j) => j.programId === programId);
    expect(jobs).toMatchObject([{ status: 'done', total: 1, done: 1 }]);
    expect((await service.dueReviews(ctx())).filter((d) => d.programId === programId)).toEqual([]);
  });

  it('an override sets the tier in force until its end date, with a reason, audited; ending it brings the earned tier back', async () => {
    const { programId, partners } = await program('t-override', ['o']);
    const { tiers } = await track(programId, 'resellers');
    const o = partners.o!;
    await invoice(programId, o, 6_000);
    const until = new Date(Date.now() + 30 * DAY).toISOString();
    const set = await ok('PUT', `/api/v1/tiers/partners/${o}/override`, { tierId: tiers.platinum, reason: 'Strategic account, signed contract', until });
    expect(set).toMatchObject({ tier: { code: 'platinum' }, earnedTier: { code: 'gold' }, benefits: { multiplier: 2 }, override: { reason: 'Strategic account, signed contract', until } });
    expect((await invoice(programId, o, 100)).points).toBe(200);
    const audit = await ok('GET', `/api/v1/audit/records?subjectType=partner&subjectId=${o}`);
    expect(audit.items.map((i: Json) => i.action)).toContain('tiers.override.set');
    const ended = await ok('POST', `/api/v1/tiers/partners/${o}/override/end`, { reason: 'Contract ended' });
    expect(ended).toMatchObject({ tier: { code: 'gold' }, override: null });
    const history = (await ok('GET', `/api/v1/tiers/partners/${o}/history`)).items;
    expect(history.map((h: Json) => h.change)).toEqual(['override-ended', 'override', 'promoted']);
    expect(await count(`select count(*) as n from laurel_outbox_event where name = 'tiers.partner.demoted' and payload->>'partnerId' = ? and payload->>'reason' = 'override-ended'`, [o])).toBe(1);
  });

  it('bad input is a 400/422 problem naming the field, in the caller\'s language', async () => {
    const { programId, partners } = await program('t-bad', ['b']);
    const { trackId, tiers } = await track(programId, 'resellers');
    const pl = await t.signInAs(['admin'], { locale: 'pl' });
    const rank = await inject('POST', `/api/v1/tiers/tracks/${trackId}/tiers`, { code: 'diamond', name: { en: 'D', pl: 'D', ru: 'D' }, rank: 0, qualification: { mode: 'all', conditions: [] } }, pl);
    expect(rank.statusCode).toBe(400);
    expect(rank.headers['content-type']).toContain('application/problem+json');
    expect(rank.json().errors[0].field).toBe('/body/rank');
    const metric = await inject('POST', `/api/v1/tiers/tracks/${trackId}/tiers`, { code: 'diamond', name: { en: 'D', pl: 'D', ru: 'D' }, rank: 4, qualification: { mode: 'all', conditions: [{ metric: 'nps', min: 50, window: 'rolling-12-months' }] } }, pl);
    expect(metric.statusCode).toBe(422);
    expect(metric.json().errors).toEqual([{ field: '/body/qualification/conditions/0/metric', message: expect.stringContaining('nie jest znaną miarą') }]);
    const past = await inject('PUT', `/api/v1/tiers/partners/${partners.b}/override`, { tierId: tiers.gold, reason: 'x', until: '2020-01-01T00:00:00Z' }, pl);
    expect(past.statusCode).toBe(422);
    expect(past.json().errors[0]).toMatchObject({ field: '/body/until', message: expect.stringContaining('już minęło') });
    const taken = await inject('POST', `/api/v1/tiers/tracks/${trackId}/tiers`, { code: 'gold2', name: { en: 'G', pl: 'G', ru: 'G' }, rank: 2, qualification: { mode: 'all', conditions: [] } });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().errors[0].field).toBe('/body/rank');
  });

  it("a plugin's metric qualifies: two active certifications make an integrator Gold", async () => {
    const { programId, partners } = await program('t-plugin', ['i'], 'integrator');
    const track = await ok('POST', '/api/v1/tiers/tracks', { programId, code: 'integrators', name: { en: 'Integrators', pl: 'Integratorzy', ru: 'Интеграторы' }, partnerTypes: ['integrator'] });
    await ok('POST', `/api/v1/tiers/tracks/${track.id}/tiers`, { code: 'gold', name: { en: 'Gold', pl: 'Złoty', ru: 'Золотой' }, rank: 1, qualification: { mode: 'all', conditions: [{ metric: 'certs.active', min: 2, window: 'rolling-12-months' }] } });
    expect((await ok('GET', '/api/v1/tiers/metrics')).items).toContainEqual({ code: 'certs.active', name: 'Active certifications', unit: 'count' });
    const i = partners.i!;
    certificates.set(i, 1);
    expect((await ok('POST', `/api/v1/tiers/partners/${i}/evaluate`)).tier).toBeNull();
    const ru = await t.signInAs(['admin'], { locale: 'ru' });
    const progress = await ok('GET', `/api/v1/tiers/partners/${i}/progress`, undefined, ru);
    expect(progress.next.conditions[0]).toMatchObject({ metric: 'certs.active', metricName: 'Действующие сертификации', current: 1, missing: 1 });
    certificates.set(i, 2);
    expect((await ok('POST', `/api/v1/tiers/partners/${i}/evaluate`)).tier.code).toBe('gold');
    expect((await ok('GET', `/api/v1/tiers/partners/${i}/history`)).items[0]).toMatchObject({ change: 'promoted', metrics: { 'rolling-12-months': { 'certs.active': 2 } } });
  });

  it('measures turnover after corrections, strategic share, points, payments, active months and the quarter in the program time zone', async () => {
    const { programId, partners } = await program('t-metrics', ['m']);
    const created = await ok('POST', '/api/v1/tiers/tracks', { programId, code: 'm', name: { en: 'M', pl: 'M', ru: 'M' }, partnerTypes: ['reseller'], strategic: { categories: ['pv'] } });
    const huge = 1e12;
    await ok('POST', `/api/v1/tiers/tracks/${created.id}/tiers`, {
      code: 'top', name: { en: 'Top', pl: 'Top', ru: 'Top' }, rank: 1,
      qualification: { mode: 'all', conditions: [
        { metric: 'net-turnover', min: huge, window: 'rolling-12-months' }, { metric: 'net-turnover', min: huge, window: 'calendar-quarter' },
        { metric: 'strategic-share', min: 100, window: 'rolling-12-months' }, { metric: 'points-earned', min: huge, window: 'rolling-12-months' },
        { metric: 'paid-invoices', min: huge, window: 'program-year' }, { metric: 'active-months', min: 12, window: 'rolling-12-months' },
      ] },
    });
    const m = partners.m!;
    const key = await t.apiKeyHeaders(['events:write']);
    const send = async (event: Json) => {
      const res = await inject('POST', '/api/v1/earning/events', { source: 'erp-m', programId, ...event }, key);
      expect(res.statusCode, res.body).toBeLessThan(300);
    };
    // Events count from when they happened: all of these are in the past (an hour and more ago).
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY - 3_600_000).toISOString();
    // A: 1,000 zł (400 zł strategic), paid, then corrected to 800 zł; B: 500 zł 40 days ago; C: 300 zł 400 days ago (outside).
    await send({ type: 'invoice.issued', externalId: 'A', occurredAt: day(1), partner: { partnerId: m }, number: 'FV/A', currency: 'PLN', lines: [{ sku: 'PV-1', category: 'pv', quantity: 1, netAmount: 40_000 }, { sku: 'C-1', quantity: 1, netAmount: 60_000 }] });
    await send({ type: 'invoice.paid', externalId: 'A-paid', occurredAt: day(0), invoiceExternalId: 'A' });
    await send({ type: 'invoice.corrected', externalId: 'A-kor', occurredAt: day(0), originalExternalId: 'A', number: 'KOR/A', lines: [{ sku: 'C-1', netAmount: 40_000 }] });
    await send({ type: 'invoice.issued', externalId: 'B', occurredAt: day(40), partner: { partnerId: m }, number: 'FV/B', currency: 'PLN', lines: [{ sku: 'C-1', quantity: 1, netAmount: 50_000 }] });
    await send({ type: 'invoice.issued', externalId: 'C', occurredAt: day(400), partner: { partnerId: m }, number: 'FV/C', currency: 'PLN', lines: [{ sku: 'C-1', quantity: 1, netAmount: 30_000 }] });
    await t.outbox.drainUntilIdle();
    const progress = await ok('GET', `/api/v1/tiers/partners/${m}/progress`);
    const value = (metric: string, window: string) => progress.next.conditions.find((c: Json) => c.metric === metric && c.window === window).current;
    expect(value('net-turnover', 'rolling-12-months')).toBe(130_000);
    expect(value('strategic-share', 'rolling-12-months')).toBe(30.77); // 400 zł of 1,300 zł
    expect(value('points-earned', 'rolling-12-months')).toBe(1_300); // 1,000 − 200 + 500
    expect(value('paid-invoices', 'program-year')).toBe(1);
    const warsaw = (iso: string) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Warsaw', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
    const months = new Set([warsaw(day(1)), warsaw(day(0)), warsaw(day(40))].map((d) => d.slice(0, 7)));
    expect(value('active-months', 'rolling-12-months')).toBe(new Set([warsaw(day(1)).slice(0, 7), warsaw(day(40)).slice(0, 7)]).size);
    expect(months.size).toBeGreaterThanOrEqual(2);
    // The calendar quarter (Warsaw) holds A, and B only when B's day falls in this quarter.
    const today = warsaw(new Date().toISOString());
    const quarterStart = `${today.slice(0, 4)}-${String(Math.floor((Number(today.slice(5, 7)) - 1) / 3) * 3 + 1).padStart(2, '0')}-01`;
    expect(value('net-turnover', 'calendar-quarter')).toBe((warsaw(day(1)) >= quarterStart ? 80_000 : 0) + (warsaw(day(40)) >= quarterStart ? 50_000 : 0));
  });

  it('progress says what is missing for the next tier and for keeping this one, in en, pl and ru, and the partner sees it', async () => {
    const { programId, partners } = await program('t-progress', ['g']);
    await track(programId, 'resellers');
    const g = partners.g!;
    await invoice(programId, g, 5_600);
    const sentence = async (headers: Record<string, string>) => {
      const p = await ok('GET', `/api/v1/tiers/partners/${g}/progress`, undefined, headers);
      return { p, text: String(p.next.text).replace(/[\u00a0\u202f]/g, ' ') };
    };
    const en = await sentence(t.adminHeaders);
    expect(en.p).toMatchObject({ tier: { code: 'gold' }, next: { tier: { code: 'platinum' }, met: false, percent: 28, conditions: [{ metric: 'net-turnover', current: 560_000, missing: 1_440_000 }] }, keep: { tier: { code: 'gold' }, met: true, text: null } });
    expect(en.text).toMatch(/^PLN 14,400 more net turnover by \d{1,2} [A-Z][a-z]+ \d{4}$/);
    expect((await sentence(await t.signInAs(['admin'], { locale: 'pl' }))).text).toMatch(/^Jeszcze 14 400 zł obrotu netto do \d{1,2} [a-ząćęłńóśźż]+ \d{4}$/);
    expect((await sentence(await t.signInAs(['admin'], { locale: 'ru' }))).text).toMatch(/^Ещё 14 400 PLN чистого оборота до \d{1,2} [а-я]+ \d{4}/);
    const partnerUser = await t.signInAs(['partner-user'], { partnerId: g, locale: 'pl' });
    const mine = await ok('GET', '/api/v1/tiers/me', undefined, partnerUser);
    expect(mine).toMatchObject({ tier: { code: 'gold', name: { pl: 'Złoty' } }, benefits: { multiplier: 1.5 } });
    expect((await ok('GET', '/api/v1/tiers/me/progress', undefined, partnerUser)).next.text).toContain('obrotu netto');
    expect((await inject('GET', `/api/v1/tiers/partners/${g}`, undefined, partnerUser)).statusCode).toBe(403);
    // The distribution counts partners per tier in force.
    const distribution = await ok('GET', `/api/v1/tiers/distribution?programId=${programId}`);
    expect(distribution.tracks[0].tiers.map((x: Json) => [(x.tier as Json | null)?.code ?? null, x.partners])).toEqual([[null, 0], ['silver', 0], ['gold', 1], ['platinum', 0]]);
  });
});
