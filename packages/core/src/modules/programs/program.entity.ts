import { defineEntity, p, programScoped, type Locale } from '@laurel/plugin-sdk';

export type ProgramStatus = 'draft' | 'pilot' | 'live' | 'closed';
export type LocalizedText = Record<Locale, string>;
/**
 * When earned points expire: never, N months after earning, or with the Nth quarter after the earning quarter.
 * The ledger gives each lot its expiry from this policy (see ledger.expiry.ts).
 */
export type ExpiryPolicy = { kind: 'never' } | { kind: 'months-after-earning'; months: number } | { kind: 'end-of-quarter-after'; quarters: number };
/** Share of each earning credited to the selling rep's own wallet (0 = all to the company). */
export type RepSplitPolicy = { repPercent: number };

export const Program = defineEntity({
  name: 'Program',
  tableName: 'programs_program',
  filters: programScoped('id'),
  properties: {
    id: p.uuid().primary(),
    code: p.string(),
    name: p.json<LocalizedText>(),
    currency: p.string(),
    pointValueMinorPerThousand: p.bigint('number'),
    timeZone: p.string(),
    defaultLocale: p.string().$type<Locale>(),
    status: p.string().$type<ProgramStatus>(),
    pilotPartnerIds: p.json<string[]>(),
    expiryPolicy: p.json<ExpiryPolicy>(),
    repSplitPolicy: p.json<RepSplitPolicy>(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});

/** A program's point value from `validFrom` until the next row (see migration 0002). */
export const ProgramPointValue = defineEntity({
  name: 'ProgramPointValue',
  tableName: 'programs_point_value',
  filters: programScoped('programId'),
  properties: {
    programId: p.uuid().primary(),
    validFrom: p.datetime().primary(),
    minorPerThousand: p.bigint('number'),
    currency: p.string(),
  },
});
