import { createHash } from 'node:crypto';
import type { RequestContext } from '@laurel/plugin-sdk';
import { DEMO_PROGRAM_CODE } from '../demo.ts';
import type { PartnerService } from '../partners/index.ts';
import type { ProgramService } from '../programs/index.ts';
import type { TierInput, TiersService } from './tiers.service.ts';

const ZL = 100; // minor units per złoty

/** A stable uuid from a name (so seeding again finds the same demo events). */
function demoUuid(name: string): string {
  const h = createHash('sha256').update(`laurel-demo-tiers:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const privilege = (code: string, en: string, pl: string, ru: string) => ({ code, name: { en, pl, ru } });
const SILVER = { en: 'Silver', pl: 'Srebrny', ru: 'Серебряный' };
const GOLD = { en: 'Gold', pl: 'Złoty', ru: 'Золотой' };
const PLATINUM = { en: 'Platinum', pl: 'Platynowy', ru: 'Платиновый' };

const RESELLER_TIERS: (TierInput & { code: string })[] = [
  { code: 'silver', name: SILVER, rank: 1, qualification: { mode: 'all', conditions: [{ metric: 'net-turnover', min: 50_000 * ZL, window: 'rolling-12-months' }] }, benefits: { multiplier: 1.1, privileges: [] } },
  {
    code: 'gold', name: GOLD, rank: 2,
    qualification: { mode: 'all', conditions: [{ metric: 'net-turnover', min: 200_000 * ZL, window: 'rolling-12-months' }, { metric: 'active-months', min: 6, window: 'rolling-12-months' }] },
    benefits: { multiplier: 1.25, privileges: [privilege('priority-orders', 'Priority order handling', 'Priorytetowa realizacja zamówień', 'Приоритетная обработка заказов')] },
  },
  {
    code: 'platinum', name: PLATINUM, rank: 3,
    qualification: { mode: 'all', conditions: [{ metric: 'net-turnover', min: 500_000 * ZL, window: 'rolling-12-months' }, { metric: 'strategic-share', min: 20, window: 'rolling-12-months' }, { metric: 'paid-invoices', min: 12, window: 'rolling-12-months' }] },
    benefits: {
      multiplier: 1.5,
      privileges: [
        privilege('priority-orders', 'Priority order handling', 'Priorytetowa realizacja zamówień', 'Приоритетная обработка заказов'),
        privilege('dedicated-advisor', 'A dedicated advisor', 'Dedykowany opiekun', 'Персональный менеджер'),
        privilege('scarce-products', 'Access to scarce products', 'Dostęp do produktów deficytowych', 'Доступ к дефицитным товарам'),
      ],
      catalogue: { access: true, labels: ['platinum'] },
    },
  },
];

const INTEGRATOR_TIERS: (TierInput & { code: string })[] = [
  { code: 'silver', name: SILVER, rank: 1, qualification: { mode: 'any', conditions: [{ metric: 'net-turnover', min: 30_000 * ZL, window: 'program-year' }, { metric: 'points-earned', min: 2_000, window: 'program-year' }] }, benefits: { multiplier: 1.1 } },
  { code: 'gold', name: GOLD, rank: 2, qualification: { mode: 'all', conditions: [{ metric: 'net-turnover', min: 120_000 * ZL, window: 'rolling-12-months' }, { metric: 'active-months', min: 4, window: 'rolling-12-months' }] }, benefits: { multiplier: 1.2, privileges: [privilege('pre-sales', 'Pre-sales engineering support', 'Wsparcie inżynierów pre-sales', 'Поддержка пресейл-инженеров')] } },
  {
    code: 'platinum', name: PLATINUM, rank: 3,
    qualification: { mode: 'all', conditions: [{ metric: 'net-turnover', min: 300_000 * ZL, window: 'rolling-12-months' }, { metric: 'strategic-share', min: 30, window: 'rolling-12-months' }] },
    benefits: { multiplier: 1.4, privileges: [privilege('pre-sales', 'Pre-sales engineering support', 'Wsparcie inżynierów pre-sales', 'Поддержка пресейл-инженеров'), privilege('dedicated-advisor', 'A dedicated advisor', 'Dedykowany opiekun', 'Персональный менеджер')], catalogue: { access: true, labels: ['platinum'] } },
  },
];

/** Monthly net turnover (zł) of the demo partners, by their position in the demo list: spread over every tier. */
const MONTHLY = [60_000, 25_000, 14_000, 2_500, 9_000, 45_000, 4_000, 1_000, 18_000, 500];

/**
 * Demo tiers: a resellers track (distributors, wholesalers, resellers, dealers) and an integrators track, each Silver,
 * Gold and Platinum; a year of demo invoices per demo partner, recorded as earning would report them, so the
 * partners are spread over the tiers by the same evaluation as live events. Idempotent.
 */
export async function seedTiers(ctx: RequestContext, deps: { tiers: TiersService; programs: ProgramService; partners: PartnerService }): Promise<void> {
  const program = await deps.programs.findByCode(ctx, DEMO_PROGRAM_CODE);
  if (!program) return;
  const existing = await deps.tiers.listTracks(ctx, program.id);
  const tracks = [
    { code: 'resellers', name: { en: 'Resellers', pl: 'Resellerzy', ru: 'Реселлеры' }, partnerTypes: ['distributor', 'wholesaler', 'reseller', 'dealer'] as const, position: 0, tiers: RESELLER_TIERS },
    { code: 'integrators', name: { en: 'Integrators', pl: 'Integratorzy', ru: 'Интеграторы' }, partnerTypes: ['integrator'] as const, position: 1, tiers: INTEGRATOR_TIERS },
  ];
  for (const t of tracks) {
    if (existing.some((e) => e.code === t.code)) continue;
    const track = await deps.tiers.createTrack(ctx, {
      programId: program.id, code: t.code, name: t.name, partnerTypes: [...t.partnerTypes], position: t.position,
      review: { every: 'quarter', graceMonths: 3, maxDowngradeSteps: 1, yearStartMonth: 1 }, strategic: { skus: [], categories: ['heat-pumps', 'pv'] },
    });
    for (const tier of t.tiers) await deps.tiers.createTier(ctx, track.id, tier);
  }
  const partners = (await deps.partners.list(ctx, { programId: program.id, limit: 50 })).items.sort((a, b) => a.partnerCode.localeCompare(b.partnerCode));
  const now = Date.now();
  for (const [i, partner] of partners.entries()) {
    const monthly = MONTHLY[i % MONTHLY.length]! * ZL;
    for (let m = 11; m >= 0; m -= 1) {
      const at = new Date(now - (m * 30 + 5) * 86_400_000).toISOString();
      const invoiceId = demoUuid(`${partner.id}:${m}:invoice`);
      const strategic = Math.round(monthly * (i % 3 === 0 ? 0.35 : 0.1));
      const lines = [{ sku: 'HP-200', category: 'heat-pumps', netAmount: strategic }, { sku: 'CABLE-5', category: 'cables', netAmount: monthly - strategic }];
      const base = { programId: program.id, partnerId: partner.id, occurredAt: at, invoiceEventId: invoiceId };
      await deps.tiers.recordActivity(ctx, { id: invoiceId, name: 'earning.event.processed', occurredAt: new Date(at), attempt: 1, payload: { ...base, eventId: invoiceId, type: 'invoice.issued', points: Math.floor(monthly / 1000), netTotal: monthly, lines } });
      const paidId = demoUuid(`${partner.id}:${m}:paid`);
      await deps.tiers.recordActivity(ctx, { id: paidId, name: 'earning.event.processed', occurredAt: new Date(at), attempt: 1, payload: { ...base, eventId: paidId, type: 'invoice.paid', points: 0, netTotal: null, lines: null } });
    }
  }
}
