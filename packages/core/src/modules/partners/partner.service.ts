import { AppError, createServiceRef, type InferEntity, type Locale, type RequestContext } from '@laurel/plugin-sdk';
import { UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { uuidv7 } from '../../platform/ids.ts';
import type { AccessService, UserView } from '../access/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { ProgramService } from '../programs/index.ts';
import { validateEuVat, validateKrs, validateNip, validateRegon } from './identifiers.ts';
import { Partner, PartnerRelation, type Applicant, type PartnerStatus, type PartnerType } from './partner.entity.ts';

type PartnerRow = InferEntity<typeof Partner>;

export interface PartnerView {
  id: string;
  programId: string;
  partnerCode: string;
  legalName: string;
  country: string;
  nip: string | null;
  regon: string | null;
  euVat: string | null;
  krs: string | null;
  type: PartnerType;
  salesChannel: string | null;
  region: string | null;
  segments: string[];
  status: PartnerStatus;
  statusReason: string | null;
  accountManagerId: string | null;
  applicant: Applicant | null;
  createdAt: string;
  updatedAt: string;
}

export interface PartnerInput {
  programId: string;
  partnerCode?: string;
  legalName: string;
  country?: string;
  nip?: string | null;
  regon?: string | null;
  euVat?: string | null;
  krs?: string | null;
  type: PartnerType;
  salesChannel?: string | null;
  region?: string | null;
  segments?: string[];
  accountManagerId?: string | null;
}

export interface PartnerQuery {
  programId?: string;
  q?: string;
  type?: PartnerType;
  region?: string;
  status?: PartnerStatus;
  limit: number;
  cursor?: string;
}

const TRANSITIONS: Record<PartnerStatus, PartnerStatus[]> = {
  applied: ['active', 'closed'],
  active: ['suspended', 'closed'],
  suspended: ['active', 'closed'],
  closed: [],
};

export function partnerView(row: PartnerRow): PartnerView {
  return {
    id: row.id,
    programId: row.programId,
    partnerCode: row.partnerCode,
    legalName: row.legalName,
    country: row.country,
    nip: row.nip ?? null,
    regon: row.regon ?? null,
    euVat: row.euVat ?? null,
    krs: row.krs ?? null,
    type: row.type,
    salesChannel: row.salesChannel ?? null,
    region: row.region ?? null,
    segments: row.segments,
    status: row.status,
    statusReason: row.statusReason ?? null,
    accountManagerId: row.accountManagerId ?? null,
    applicant: row.applicant ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function invalid(code: string, field: string, params: Record<string, unknown> = {}): AppError {
  return new AppError(code, 422, { params, fields: [{ field, messageKey: `errors.${code}`, params }] });
}

/** Validate and normalize a partner's identifiers; throws 422 naming the field. `prefix` is the JSON path of the object. */
export function normalizeIdentifiers(input: { country?: string; nip?: string | null; regon?: string | null; euVat?: string | null; krs?: string | null }, prefix = '/body') {
  const out: { country: string; nip: string | null; regon: string | null; euVat: string | null; krs: string | null } = {
    country: (input.country ?? 'PL').toUpperCase(),
    nip: null,
    regon: null,
    euVat: null,
    krs: null,
  };
  if (input.nip) {
    const r = validateNip(input.nip);
    if (!r.ok) throw invalid(r.reason === 'checksum' ? 'PARTNERS_NIP_CHECKSUM' : 'PARTNERS_NIP_FORMAT', `${prefix}/nip`, { value: input.nip });
    out.nip = r.value;
  }
  if (input.regon) {
    const r = validateRegon(input.regon);
    if (!r.ok) throw invalid(r.reason === 'checksum' ? 'PARTNERS_REGON_CHECKSUM' : 'PARTNERS_REGON_FORMAT', `${prefix}/regon`, { value: input.regon });
    out.regon = r.value;
  }
  if (input.krs) {
    const r = validateKrs(input.krs);
    if (!r.ok) throw invalid('PARTNERS_KRS_FORMAT', `${prefix}/krs`, { value: input.krs });
    out.krs = r.value;
  }
  if (input.euVat) {
    const r = validateEuVat(input.euVat);
    if (!r.ok) throw invalid(`PARTNERS_EU_VAT_${r.reason.toUpperCase()}`, `${prefix}/euVat`, { value: input.euVat });
    out.euVat = r.value;
    if (out.nip && r.country === 'PL' && r.value !== `PL${out.nip}`) throw invalid('PARTNERS_EU_VAT_NIP_MISMATCH', `${prefix}/euVat`, { value: input.euVat });
  } else if (out.nip && out.country === 'PL') {
    out.euVat = `PL${out.nip}`;
  }
  if (out.country === 'PL' && !out.nip) throw invalid('PARTNERS_NIP_REQUIRED', `${prefix}/nip`);
  return out;
}

function encodeCursor(row: { legalName: string; id: string }): string {
  return Buffer.from(JSON.stringify([row.legalName, row.id])).toString('base64url');
}
function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    // fall through
  }
  throw invalid('PARTNERS_CURSOR_INVALID', '/querystring/cursor');
}

export interface PartnerDeps {
  audit: () => AuditService;
  access: () => AccessService;
  programs: () => ProgramService;
}

/** Partners: companies in a program, their identity, lifecycle and onboarding. */
export function createPartnerService(deps: PartnerDeps) {
  async function nextPartnerCode(ctx: RequestContext, programId: string): Promise<string> {
    const [row] = await ctx.em.execute<{ n: string }[]>(
      `select coalesce(max(substring(partner_code from '^P([0-9]+)$')::bigint), 0) + 1 as n from partners_partner where program_id = ?`,
      [programId],
    );
    return `P${String(row?.n ?? 1).padStart(6, '0')}`;
  }

  async function load(ctx: RequestContext, id: string): Promise<PartnerRow> {
    const row = await ctx.em.findOne(Partner, { id });
    if (!row) throw new AppError('PARTNERS_NOT_FOUND', 404, { params: { id } });
    return row;
  }

  async function ensureUnique(ctx: RequestContext, programId: string, nip: string | null, partnerCode: string | null, exceptId?: string): Promise<void> {
    if (nip) {
      const clash = await ctx.em.findOne(Partner, { programId, nip, ...(exceptId ? { id: { $ne: exceptId } } : {}) }, { filters: false });
      if (clash) throw new AppError('PARTNERS_NIP_TAKEN', 409, { params: { nip }, fields: [{ field: '/body/nip', messageKey: 'errors.PARTNERS_NIP_TAKEN', params: { nip } }] });
    }
    if (partnerCode) {
      const clash = await ctx.em.findOne(Partner, { programId, partnerCode, ...(exceptId ? { id: { $ne: exceptId } } : {}) }, { filters: false });
      if (clash) throw new AppError('PARTNERS_CODE_TAKEN', 409, { params: { partnerCode }, fields: [{ field: '/body/partnerCode', messageKey: 'errors.PARTNERS_CODE_TAKEN', params: { partnerCode } }] });
    }
  }

  async function checkAccountManager(ctx: RequestContext, id: string | null | undefined): Promise<void> {
    if (!id) return;
    if (!(await deps.access().staffContact(ctx, id))) throw invalid('PARTNERS_ACCOUNT_MANAGER_INVALID', '/body/accountManagerId', { id });
  }

  async function insert(ctx: RequestContext, input: PartnerInput, status: PartnerStatus, applicant: Applicant | null): Promise<PartnerRow> {
    await deps.programs().get(ctx, input.programId);
    const ids = normalizeIdentifiers(input);
    await ensureUnique(ctx, input.programId, ids.nip, input.partnerCode ?? null);
    await checkAccountManager(ctx, input.accountManagerId);
    const now = new Date();
    for (let attempt = 0; ; attempt += 1) {
      const row = ctx.em.create(Partner, {
        id: uuidv7(),
        programId: input.programId,
        partnerCode: input.partnerCode ?? (await nextPartnerCode(ctx, input.programId)),
        legalName: input.legalName.trim(),
        ...ids,
        type: input.type,
        salesChannel: input.salesChannel ?? null,
        region: input.region ?? null,
        segments: [...new Set(input.segments ?? [])],
        status,
        statusReason: null,
        accountManagerId: input.accountManagerId ?? null,
        applicant,
        createdAt: now,
        updatedAt: now,
      });
      ctx.em.persist(row);
      deps.audit().record(ctx, { action: status === 'applied' ? 'partners.partner.applied' : 'partners.partner.created', subjectType: 'partner', subjectId: row.id, data: { after: partnerView(row) } });
      try {
        await ctx.em.flush();
        return row;
      } catch (error) {
        ctx.em.clear();
        if (error instanceof UniqueConstraintViolationException) {
          if (String(error.message).includes('partners_partner_nip_uq')) {
            throw new AppError('PARTNERS_NIP_TAKEN', 409, { params: { nip: ids.nip }, fields: [{ field: '/body/nip', messageKey: 'errors.PARTNERS_NIP_TAKEN', params: { nip: ids.nip } }] });
          }
          if (!input.partnerCode && attempt < 3) continue; // two partners took the same generated code at once
        }
        throw error;
      }
    }
  }

  const service = {
    async create(ctx: RequestContext, input: PartnerInput): Promise<PartnerView> {
      return partnerView(await insert(ctx, input, 'active', null));
    },

    async get(ctx: RequestContext, id: string): Promise<PartnerView> {
      return partnerView(await load(ctx, id));
    },

    /**
     * The partner of a program named by one of its identifiers — as ERPs and CRMs name them on business events:
     * the PartnerID (partner code), NIP, REGON or EU VAT number (the first one given, in that order). Identifiers
     * are compared in their normalized form (digits only for NIP and REGON, upper case without separators for EU
     * VAT). Null when none matches; partner and program scope apply as for `get`.
     */
    async findByIdentifier(ctx: RequestContext, programId: string, id: { partnerCode?: string; nip?: string; regon?: string; euVat?: string }): Promise<PartnerView | null> {
      const where: Record<string, unknown> = { programId };
      if (id.partnerCode) where.partnerCode = id.partnerCode.trim();
      else if (id.nip) where.nip = id.nip.replace(/\D/g, '');
      else if (id.regon) where.regon = id.regon.replace(/\D/g, '');
      // Stored upper case with its country prefix; a Polish partner's is PL + NIP.
      else if (id.euVat) where.euVat = id.euVat.replace(/[\s.-]/g, '').toUpperCase();
      else return null;
      const row = await ctx.em.findOne(Partner, where);
      return row ? partnerView(row) : null;
    },

    /**
     * Many partners of a program at once, each named as `findByIdentifier` takes it (the same order and
     * normalization), in one query: the answers in input order, null where none matches. For event inboxes that
     * match many events together.
     */
    async findByIdentifiers(ctx: RequestContext, programId: string, ids: { partnerCode?: string; nip?: string; regon?: string; euVat?: string }[]): Promise<(PartnerView | null)[]> {
      const wanted = ids.map((id): ['partnerCode' | 'nip' | 'regon' | 'euVat', string] | null =>
        id.partnerCode ? ['partnerCode', id.partnerCode.trim()] : id.nip ? ['nip', id.nip.replace(/\D/g, '')] : id.regon ? ['regon', id.regon.replace(/\D/g, '')] : id.euVat ? ['euVat', id.euVat.replace(/[\s.-]/g, '').toUpperCase()] : null,
      );
      const or: Record<string, unknown>[] = [];
      for (const field of ['partnerCode', 'nip', 'regon', 'euVat'] as const) {
        const values = [...new Set(wanted.filter((w) => w?.[0] === field).map((w) => w![1]))];
        if (values.length) or.push({ [field]: { $in: values } });
      }
      if (or.length === 0) return ids.map(() => null);
      const rows = await ctx.em.find(Partner, { programId, $or: or });
      const by = new Map<string, PartnerView>();
      for (const row of rows) {
        const view = partnerView(row);
        by.set(`partnerCode\u0000${row.partnerCode}`, view);
        if (row.nip) by.set(`nip\u0000${row.nip}`, view);
        if (row.regon) by.set(`regon\u0000${row.regon}`, view);
        if (row.euVat) by.set(`euVat\u0000${row.euVat}`, view);
      }
      return wanted.map((w) => (w ? (by.get(`${w[0]}\u0000${w[1]}`) ?? null) : null));
    },

    /** Staff search with keyset pagination (stable under inserts; no OFFSET). */
    async list(ctx: RequestContext, query: PartnerQuery): Promise<{ items: PartnerView[]; nextCursor: string | null }> {
      const and: Record<string, unknown>[] = [];
      if (query.programId) and.push({ programId: query.programId });
      if (query.type) and.push({ type: query.type });
      if (query.region) and.push({ region: query.region });
      if (query.status) and.push({ status: query.status });
      if (query.q) {
        const q = query.q.trim();
        const digits = q.replace(/[\s-]/g, '');
        const or: Record<string, unknown>[] = [{ legalName: { $ilike: `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` } }, { partnerCode: q }];
        if (/^\d{10}$/.test(digits)) or.push({ nip: digits });
        and.push({ $or: or });
      }
      if (query.cursor) {
        const [name, id] = decodeCursor(query.cursor);
        and.push({ $or: [{ legalName: { $gt: name } }, { legalName: name, id: { $gt: id } }] });
      }
      const rows = await ctx.em.find(Partner, and.length ? { $and: and } : {}, { orderBy: { legalName: 'asc', id: 'asc' }, limit: query.limit + 1 });
      const page = rows.slice(0, query.limit);
      return { items: page.map(partnerView), nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!) : null };
    },

    async update(ctx: RequestContext, id: string, input: Partial<Omit<PartnerInput, 'programId'>>): Promise<PartnerView> {
      const row = await load(ctx, id);
      const before = partnerView(row);
      const ids = normalizeIdentifiers({
        country: input.country ?? row.country,
        nip: input.nip === undefined ? row.nip : input.nip,
        regon: input.regon === undefined ? row.regon : input.regon,
        euVat: input.euVat === undefined ? (input.nip !== undefined ? null : row.euVat) : input.euVat,
        krs: input.krs === undefined ? row.krs : input.krs,
      });
      await ensureUnique(ctx, row.programId, ids.nip, input.partnerCode ?? null, row.id);
      await checkAccountManager(ctx, input.accountManagerId);
      Object.assign(row, ids);
      if (input.partnerCode) row.partnerCode = input.partnerCode;
      if (input.legalName) row.legalName = input.legalName.trim();
      if (input.type) row.type = input.type;
      if (input.salesChannel !== undefined) row.salesChannel = input.salesChannel;
      if (input.region !== undefined) row.region = input.region;
      if (input.segments) row.segments = [...new Set(input.segments)];
      if (input.accountManagerId !== undefined) row.accountManagerId = input.accountManagerId;
      row.updatedAt = new Date();
      deps.audit().record(ctx, { action: 'partners.partner.updated', subjectType: 'partner', subjectId: id, data: { before, after: partnerView(row) } });
      await ctx.em.flush();
      return partnerView(row);
    },

    async changeStatus(ctx: RequestContext, id: string, input: { status: PartnerStatus; reason: string }): Promise<PartnerView> {
      const row = await load(ctx, id);
      if (!TRANSITIONS[row.status].includes(input.status)) throw new AppError('PARTNERS_STATUS_TRANSITION', 409, { params: { from: row.status, to: input.status } });
      const before = row.status;
      row.status = input.status;
      row.statusReason = input.reason;
      row.updatedAt = new Date();
      deps.audit().record(ctx, { action: 'partners.partner.status-changed', subjectType: 'partner', subjectId: id, data: { before: { status: before }, after: { status: row.status }, reason: input.reason } });
      await ctx.em.flush();
      return partnerView(row);
    },

    /** A company applies from the public portal; an admin approves or rejects. */
    async apply(
      ctx: RequestContext,
      input: Omit<PartnerInput, 'programId' | 'partnerCode' | 'accountManagerId' | 'segments'> & { programCode: string; applicant: { name: string; email: string; locale: Locale; phone?: string | null } },
    ): Promise<PartnerView> {
      const program = await deps.programs().findByCode(ctx, input.programCode);
      if (!program) throw invalid('PARTNERS_PROGRAM_UNKNOWN', '/body/programCode', { code: input.programCode });
      if (program.status !== 'live') throw new AppError('PARTNERS_PROGRAM_NOT_OPEN', 409, { params: { code: input.programCode } });
      const { programCode: _programCode, applicant, ...rest } = input;
      const row = await insert(ctx, { ...rest, programId: program.id }, 'applied', { ...applicant, email: applicant.email.trim().toLowerCase(), phone: applicant.phone ?? null });
      return partnerView(row);
    },

    /** Approve an application: the partner becomes active and its applicant is invited as partner admin. */
    async approve(ctx: RequestContext, id: string, input: { accountManagerId?: string | null; baseUrl: string }): Promise<{ partner: PartnerView; partnerAdmin: UserView }> {
      const row = await load(ctx, id);
      if (row.status !== 'applied' || !row.applicant) throw new AppError('PARTNERS_NOT_AN_APPLICATION', 409, { params: { id, status: row.status } });
      await checkAccountManager(ctx, input.accountManagerId);
      row.status = 'active';
      row.statusReason = null;
      if (input.accountManagerId !== undefined) row.accountManagerId = input.accountManagerId;
      row.updatedAt = new Date();
      deps.audit().record(ctx, { action: 'partners.application.approved', subjectType: 'partner', subjectId: id, data: { before: { status: 'applied' }, after: { status: 'active' } } });
      const program = await deps.programs().get(ctx, row.programId);
      const { user } = await deps.access().inviteUser(ctx, {
        programName: program.name[row.applicant.locale],
        email: row.applicant.email,
        displayName: row.applicant.name,
        kind: 'partner',
        partnerId: row.id,
        roles: ['partner-admin'],
        locale: row.applicant.locale,
        baseUrl: input.baseUrl,
      });
      return { partner: partnerView(row), partnerAdmin: user };
    },

    async reject(ctx: RequestContext, id: string, input: { reason: string }): Promise<PartnerView> {
      const row = await load(ctx, id);
      if (row.status !== 'applied') throw new AppError('PARTNERS_NOT_AN_APPLICATION', 409, { params: { id, status: row.status } });
      row.status = 'closed';
      row.statusReason = input.reason;
      row.updatedAt = new Date();
      deps.audit().record(ctx, { action: 'partners.application.rejected', subjectType: 'partner', subjectId: id, data: { before: { status: 'applied' }, after: { status: 'closed' }, reason: input.reason } });
      await ctx.em.flush();
      return partnerView(row);
    },

    /** What a partner user sees of their own company, with their account manager's contact. */
    async mine(ctx: RequestContext) {
      if (ctx.actor.kind !== 'user' || !ctx.actor.partnerId) throw new AppError('FORBIDDEN', 403);
      const row = await load(ctx, ctx.actor.partnerId);
      const program = await deps.programs().get(ctx, row.programId).catch(() => null);
      const accountManager = row.accountManagerId ? await deps.access().staffContact(ctx, row.accountManagerId) : null;
      return { partner: partnerView(row), programName: program?.name ?? null, accountManager };
    },

    async link(ctx: RequestContext, id: string, relatedId: string): Promise<void> {
      const a = await load(ctx, id);
      const b = await load(ctx, relatedId);
      if (a.id === b.id) throw invalid('PARTNERS_RELATION_SELF', '/body/relatedPartnerId');
      const now = new Date();
      for (const [x, y] of [[a.id, b.id], [b.id, a.id]] as const) {
        if (!(await ctx.em.findOne(PartnerRelation, { partnerId: x, relatedPartnerId: y }))) {
          ctx.em.persist(ctx.em.create(PartnerRelation, { partnerId: x, relatedPartnerId: y, kind: 'capital-group', createdAt: now }));
        }
      }
      deps.audit().record(ctx, { action: 'partners.relation.linked', subjectType: 'partner', subjectId: a.id, data: { relatedPartnerId: b.id } });
      await ctx.em.flush();
    },

    async related(ctx: RequestContext, id: string): Promise<PartnerView[]> {
      await load(ctx, id);
      const links = await ctx.em.find(PartnerRelation, { partnerId: id });
      if (links.length === 0) return [];
      return (await ctx.em.find(Partner, { id: { $in: links.map((l) => l.relatedPartnerId) } }, { orderBy: { legalName: 'asc' } })).map(partnerView);
    },
  };
  return service;
}

export type PartnerService = ReturnType<typeof createPartnerService>;
export const partnerServiceRef = createServiceRef<PartnerService>('partners.service');
