import { AppError, createServiceRef, type InferEntity, type Locale, type RequestContext } from '@laurel/plugin-sdk';
import { uuidv7 } from '../../platform/ids.ts';
import type { AuditService } from '../audit/index.ts';
import { Program, ProgramPointValue, type ExpiryPolicy, type LocalizedText, type ProgramStatus, type RepSplitPolicy } from './program.entity.ts';

export interface ProgramView {
  id: string;
  code: string;
  name: LocalizedText;
  currency: string;
  pointValueMinorPerThousand: number;
  timeZone: string;
  defaultLocale: Locale;
  status: ProgramStatus;
  pilotPartnerIds: string[];
  expiryPolicy: ExpiryPolicy;
  repSplitPolicy: RepSplitPolicy;
  createdAt: string;
  updatedAt: string;
}

/** The value of 1000 points in minor units of `currency`, from `validFrom` until the next change. */
export interface PointValue {
  minorPerThousand: number;
  currency: string;
  validFrom: string;
}

export interface ProgramInput {
  code: string;
  name: LocalizedText;
  currency: string;
  pointValueMinorPerThousand: number;
  timeZone?: string;
  defaultLocale?: Locale;
  expiryPolicy?: ExpiryPolicy;
  repSplitPolicy?: RepSplitPolicy;
}

const TRANSITIONS: Record<ProgramStatus, ProgramStatus[]> = {
  draft: ['pilot', 'live', 'closed'],
  pilot: ['live', 'closed'],
  live: ['closed'],
  closed: [],
};

const ZONES = new Set(Intl.supportedValuesOf('timeZone'));
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

function view(row: InferEntity<typeof Program>): ProgramView {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    currency: row.currency,
    pointValueMinorPerThousand: row.pointValueMinorPerThousand,
    timeZone: row.timeZone,
    defaultLocale: row.defaultLocale,
    status: row.status,
    pilotPartnerIds: row.pilotPartnerIds,
    expiryPolicy: row.expiryPolicy,
    repSplitPolicy: row.repSplitPolicy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function validate(input: Partial<ProgramInput>): void {
  if (input.timeZone !== undefined && !ZONES.has(input.timeZone) && input.timeZone !== 'UTC') {
    throw new AppError('PROGRAMS_TIME_ZONE_INVALID', 422, { params: { timeZone: input.timeZone }, fields: [{ field: '/body/timeZone', messageKey: 'errors.PROGRAMS_TIME_ZONE_INVALID', params: { timeZone: input.timeZone } }] });
  }
  if (input.currency !== undefined && !CURRENCIES.has(input.currency)) {
    throw new AppError('PROGRAMS_CURRENCY_INVALID', 422, { params: { currency: input.currency }, fields: [{ field: '/body/currency', messageKey: 'errors.PROGRAMS_CURRENCY_INVALID', params: { currency: input.currency } }] });
  }
}

/** Loyalty programs: one per brand or country; everything else belongs to one. */
export function createProgramService(audit: () => AuditService) {
  const service = {
    async list(ctx: RequestContext): Promise<ProgramView[]> {
      return (await ctx.em.find(Program, {}, { orderBy: { createdAt: 'asc', id: 'asc' } })).map(view);
    },

    async get(ctx: RequestContext, id: string): Promise<ProgramView> {
      const row = await ctx.em.findOne(Program, { id });
      if (!row) throw new AppError('PROGRAMS_NOT_FOUND', 404, { params: { id } });
      return view(row);
    },

    async findByCode(ctx: RequestContext, code: string): Promise<ProgramView | null> {
      const row = await ctx.em.findOne(Program, { code });
      return row ? view(row) : null;
    },

    async create(ctx: RequestContext, input: ProgramInput): Promise<ProgramView> {
      validate(input);
      if (await ctx.em.findOne(Program, { code: input.code }, { filters: false })) {
        throw new AppError('PROGRAMS_CODE_TAKEN', 409, { params: { code: input.code }, fields: [{ field: '/body/code', messageKey: 'errors.PROGRAMS_CODE_TAKEN', params: { code: input.code } }] });
      }
      const now = new Date();
      const row = ctx.em.create(Program, {
        id: uuidv7(),
        code: input.code,
        name: input.name,
        currency: input.currency,
        pointValueMinorPerThousand: input.pointValueMinorPerThousand,
        timeZone: input.timeZone ?? 'Europe/Warsaw',
        defaultLocale: input.defaultLocale ?? 'pl',
        status: 'draft',
        pilotPartnerIds: [],
        expiryPolicy: input.expiryPolicy ?? { kind: 'months-after-earning', months: 24 },
        repSplitPolicy: input.repSplitPolicy ?? { repPercent: 0 },
        createdAt: now,
        updatedAt: now,
      });
      ctx.em.persist(row);
      ctx.em.persist(ctx.em.create(ProgramPointValue, { programId: row.id, validFrom: now, minorPerThousand: row.pointValueMinorPerThousand, currency: row.currency }));
      audit().record(ctx, { action: 'programs.program.created', subjectType: 'program', subjectId: row.id, data: { after: view(row) } });
      await ctx.em.flush();
      return view(row);
    },

    async update(ctx: RequestContext, id: string, input: Partial<Omit<ProgramInput, 'code'>> & { pilotPartnerIds?: string[] }): Promise<ProgramView> {
      validate(input);
      const row = await ctx.em.findOne(Program, { id });
      if (!row) throw new AppError('PROGRAMS_NOT_FOUND', 404, { params: { id } });
      if (row.status === 'closed') throw new AppError('PROGRAMS_CLOSED', 409, { params: { id } });
      const before = view(row);
      if (input.name) row.name = input.name;
      if (input.currency && input.currency !== row.currency) {
        if (row.status !== 'draft') throw new AppError('PROGRAMS_CURRENCY_LOCKED', 409);
        row.currency = input.currency;
      }
      if (input.pointValueMinorPerThousand !== undefined) row.pointValueMinorPerThousand = input.pointValueMinorPerThousand;
      if (input.timeZone) row.timeZone = input.timeZone;
      if (input.defaultLocale) row.defaultLocale = input.defaultLocale;
      if (input.expiryPolicy) row.expiryPolicy = input.expiryPolicy;
      if (input.repSplitPolicy) row.repSplitPolicy = input.repSplitPolicy;
      if (input.pilotPartnerIds) row.pilotPartnerIds = [...new Set(input.pilotPartnerIds)];
      row.updatedAt = new Date();
      if (row.pointValueMinorPerThousand !== before.pointValueMinorPerThousand || row.currency !== before.currency) {
        // The value history: reports value points as of a date with the value valid then.
        ctx.em.persist(ctx.em.create(ProgramPointValue, { programId: id, validFrom: row.updatedAt, minorPerThousand: row.pointValueMinorPerThousand, currency: row.currency }));
      }
      audit().record(ctx, { action: 'programs.program.updated', subjectType: 'program', subjectId: id, data: { before, after: view(row) } });
      await ctx.em.flush();
      return view(row);
    },

    async changeStatus(ctx: RequestContext, id: string, input: { status: ProgramStatus; reason: string }): Promise<ProgramView> {
      const row = await ctx.em.findOne(Program, { id });
      if (!row) throw new AppError('PROGRAMS_NOT_FOUND', 404, { params: { id } });
      if (!TRANSITIONS[row.status].includes(input.status)) {
        throw new AppError('PROGRAMS_STATUS_TRANSITION', 409, { params: { from: row.status, to: input.status } });
      }
      const before = row.status;
      row.status = input.status;
      row.updatedAt = new Date();
      audit().record(ctx, { action: 'programs.program.status-changed', subjectType: 'program', subjectId: id, data: { before: { status: before }, after: { status: row.status }, reason: input.reason } });
      await ctx.em.flush();
      return view(row);
    },

    /**
     * The point value valid at an instant (a Date or an ISO 8601 string, kept to the microsecond): the latest change
     * at or before it; before the program existed, its first value.
     */
    async pointValueAsOf(ctx: RequestContext, programId: string, at: Date | string): Promise<PointValue> {
      const program = await ctx.em.findOne(Program, { id: programId });
      if (!program) throw new AppError('PROGRAMS_NOT_FOUND', 404, { params: { id: programId } });
      const rows = await ctx.em.execute<{ minor_per_thousand: string; currency: string; valid_from: Date }[]>(
        `select * from (
           (select minor_per_thousand::text, currency, valid_from, 0 as rank from programs_point_value where program_id = ? and valid_from <= ?::timestamptz order by valid_from desc limit 1)
           union all
           (select minor_per_thousand::text, currency, valid_from, 1 as rank from programs_point_value where program_id = ? order by valid_from limit 1)
         ) v order by rank limit 1`,
        [programId, at instanceof Date ? at.toISOString() : at, programId],
      );
      const row = rows[0];
      if (!row) return { minorPerThousand: program.pointValueMinorPerThousand, currency: program.currency, validFrom: program.createdAt.toISOString() };
      return { minorPerThousand: Number(row.minor_per_thousand), currency: row.currency.trim(), validFrom: new Date(row.valid_from).toISOString() };
    },

    /** Whether a partner may take part: live programs are open to all; pilots only to their cohort. */
    isOpenTo(program: ProgramView, partnerId: string | null): boolean {
      if (program.status === 'live') return true;
      if (program.status === 'pilot') return partnerId !== null && program.pilotPartnerIds.includes(partnerId);
      return false;
    },
  };
  return service;
}

export type ProgramService = ReturnType<typeof createProgramService>;
export const programServiceRef = createServiceRef<ProgramService>('programs.service');
