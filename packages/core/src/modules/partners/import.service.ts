import { AppError, describeActor, isAppError, type RequestContext } from '@laurel/plugin-sdk';
import { uuidv7 } from '../../platform/ids.ts';
import type { AccessService } from '../access/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { ProgramService } from '../programs/index.ts';
import { parseCsv } from './csv.ts';
import { PartnerImport, type ImportProblem } from './import.entity.ts';
import { PARTNER_TYPES, Partner, type PartnerType } from './partner.entity.ts';
import { normalizeIdentifiers, type PartnerInput, type PartnerService } from './partner.service.ts';

export const IMPORT_COLUMNS = ['partnerCode', 'legalName', 'nip', 'regon', 'euVat', 'krs', 'country', 'type', 'region', 'salesChannel', 'segments', 'accountManagerEmail'] as const;
const REQUIRED = ['legalName', 'type'] as const;
const BATCH = 50;

export interface ImportView {
  id: string;
  programId: string;
  status: 'running' | 'done' | 'failed';
  total: number;
  processed: number;
  created: number;
  skipped: number;
  problems: ImportProblem[];
  createdAt: string;
  finishedAt: string | null;
}

export interface ImportReport {
  total: number;
  valid: number;
  alreadyPresent: number;
  problems: ImportProblem[];
}

function view(row: { id: string; programId: string; status: 'running' | 'done' | 'failed'; total: number; processed: number; created: number; skipped: number; problems: ImportProblem[]; createdAt: Date; finishedAt?: Date | null }): ImportView {
  return {
    id: row.id,
    programId: row.programId,
    status: row.status,
    total: row.total,
    processed: row.processed,
    created: row.created,
    skipped: row.skipped,
    problems: row.problems,
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt ? row.finishedAt.toISOString() : null,
  };
}

export interface ImportDeps {
  partners: () => PartnerService;
  programs: () => ProgramService;
  access: () => AccessService;
  audit: () => AuditService;
}

/**
 * Import partners from CSV. Every row is validated first and every bad row reported (line, column, reason in
 * the caller's language); nothing is imported while a row is bad unless the caller asks to import the good
 * ones. Rows whose NIP or PartnerID already exists in the program are skipped, so a file can be re-run.
 */
export function createImportService(deps: ImportDeps) {
  async function validate(ctx: RequestContext, programId: string, csv: string): Promise<{ report: ImportReport; rows: (PartnerInput & { line: number })[] }> {
    await deps.programs().get(ctx, programId);
    const { header, rows } = parseCsv(csv);
    const problems: ImportProblem[] = [];
    const problem = (line: number, column: string, code: string, params: Record<string, unknown> = {}) =>
      problems.push({ line, column, code, message: ctx.t(`errors.${code}`, { ...params, column }) });
    const unknown = header.filter((h) => !(IMPORT_COLUMNS as readonly string[]).includes(h));
    for (const column of unknown) problem(1, column, 'PARTNERS_IMPORT_UNKNOWN_COLUMN', { allowed: IMPORT_COLUMNS.join(', ') });
    for (const column of REQUIRED) if (!header.includes(column)) problem(1, column, 'PARTNERS_IMPORT_MISSING_COLUMN');
    if (rows.length === 0) problem(1, '', 'PARTNERS_IMPORT_EMPTY');
    if (problems.length > 0) return { report: { total: rows.length, valid: 0, alreadyPresent: 0, problems }, rows: [] };

    const existing = await ctx.em.find(Partner, { programId }, { fields: ['nip', 'partnerCode'], filters: false });
    const knownNips = new Set(existing.map((p) => p.nip).filter(Boolean));
    const knownCodes = new Set(existing.map((p) => p.partnerCode));
    const seenNips = new Map<string, number>();
    const managers = new Map<string, string | null>();
    const good: (PartnerInput & { line: number })[] = [];
    let alreadyPresent = 0;
    for (const row of rows) {
      const get = (column: string) => (row.values[header.indexOf(column)] ?? '').trim();
      const before = problems.length;
      const legalName = get('legalName');
      if (!legalName || legalName.length > 300) problem(row.line, 'legalName', 'PARTNERS_IMPORT_REQUIRED');
      const type = get('type').toLowerCase();
      if (!(PARTNER_TYPES as readonly string[]).includes(type)) problem(row.line, 'type', 'PARTNERS_IMPORT_TYPE', { allowed: PARTNER_TYPES.join(', ') });
      let ids: ReturnType<typeof normalizeIdentifiers> | null = null;
      try {
        ids = normalizeIdentifiers({ country: get('country') || undefined, nip: get('nip') || null, regon: get('regon') || null, euVat: get('euVat') || null, krs: get('krs') || null }, '');
      } catch (error) {
        if (!isAppError(error)) throw error;
        const field = error.fields[0]?.field.replace(/^\//, '') ?? 'nip';
        problems.push({ line: row.line, column: field, code: error.code, message: ctx.t(error.messageKey, { ...error.params, column: field }) });
      }
      const partnerCode = get('partnerCode');
      if (partnerCode && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/.test(partnerCode)) problem(row.line, 'partnerCode', 'PARTNERS_IMPORT_CODE_FORMAT');
      let accountManagerId: string | null = null;
      const managerEmail = get('accountManagerEmail').toLowerCase();
      if (managerEmail) {
        if (!managers.has(managerEmail)) {
          const user = await deps.access().findUserByEmail(ctx, managerEmail);
          managers.set(managerEmail, user && user.kind === 'admin' && user.status !== 'disabled' ? user.id : null);
        }
        accountManagerId = managers.get(managerEmail) ?? null;
        if (!accountManagerId) problem(row.line, 'accountManagerEmail', 'PARTNERS_IMPORT_MANAGER', { email: managerEmail });
      }
      if (ids?.nip) {
        const first = seenNips.get(ids.nip);
        if (first !== undefined) problem(row.line, 'nip', 'PARTNERS_IMPORT_DUPLICATE_NIP', { nip: ids.nip, first });
        else seenNips.set(ids.nip, row.line);
      }
      if (problems.length > before || !ids) continue;
      if ((ids.nip && knownNips.has(ids.nip)) || (partnerCode && knownCodes.has(partnerCode))) {
        alreadyPresent += 1;
        continue;
      }
      const segments = get('segments').split(/[;|]/).map((s) => s.trim()).filter(Boolean);
      good.push({
        line: row.line,
        programId,
        ...(partnerCode ? { partnerCode } : {}),
        legalName,
        ...ids,
        type: type as PartnerType,
        region: get('region') || null,
        salesChannel: get('salesChannel') || null,
        segments,
        accountManagerId,
      });
    }
    return { report: { total: rows.length, valid: good.length, alreadyPresent, problems }, rows: good };
  }

  return {
    validate,

    /** Validate, then (unless a row is bad and `importGood` is false) start the import in the background. */
    async start(ctx: RequestContext, input: { programId: string; csv: string; importGood: boolean; dryRun: boolean }): Promise<{ report: ImportReport; import: ImportView | null }> {
      const { report, rows } = await validate(ctx, input.programId, input.csv);
      if (report.problems.length > 0 && !input.importGood) {
        throw new AppError('PARTNERS_IMPORT_INVALID', 422, {
          params: { count: report.problems.length },
          fields: report.problems.slice(0, 500).map((p) => ({ field: `/csv/${p.line}/${p.column}`, messageKey: 'errors.PARTNERS_IMPORT_ROW', params: { line: p.line, column: p.column, reason: p.message } })),
        });
      }
      if (input.dryRun || rows.length === 0) return { report, import: null };
      const now = new Date();
      const job = ctx.em.create(PartnerImport, {
        id: uuidv7(),
        programId: input.programId,
        status: 'running',
        total: rows.length,
        processed: 0,
        created: 0,
        skipped: 0,
        rows,
        problems: report.problems,
        createdBy: describeActor(ctx.actor),
        createdAt: now,
        updatedAt: now,
        finishedAt: null,
        failure: null,
      });
      ctx.em.persist(job);
      ctx.emit('partners.import.requested', { importId: job.id });
      deps.audit().record(ctx, { action: 'partners.import.started', subjectType: 'partner-import', subjectId: job.id, data: { total: rows.length, skippedAsPresent: report.alreadyPresent, badRows: report.problems.length } });
      await ctx.em.flush();
      return { report, import: view(job) };
    },

    async get(ctx: RequestContext, id: string): Promise<ImportView> {
      const job = await ctx.em.findOne(PartnerImport, { id });
      if (!job) throw new AppError('PARTNERS_IMPORT_NOT_FOUND', 404, { params: { id } });
      return view(job);
    },

    /** Outbox listener: create the partners in batches, recording progress; a redelivery resumes safely. */
    async run(ctx: RequestContext, importId: string): Promise<void> {
      const job = await ctx.em.findOne(PartnerImport, { id: importId }, { filters: false });
      if (!job || job.status !== 'running') return;
      const rows = job.rows.slice(job.processed);
      for (let i = 0; i < rows.length; i += BATCH) {
        for (const row of rows.slice(i, i + BATCH)) {
          const { line: _line, ...input } = row;
          const present = await ctx.em.count(Partner, { programId: job.programId, $or: [...(input.nip ? [{ nip: input.nip }] : []), ...(input.partnerCode ? [{ partnerCode: input.partnerCode }] : [])] }, { filters: false });
          if (present > 0 && (input.nip || input.partnerCode)) job.skipped += 1;
          else {
            await deps.partners().create(ctx, input);
            job.created += 1;
          }
          job.processed += 1;
        }
        job.updatedAt = new Date();
        await ctx.em.flush();
      }
      job.status = 'done';
      job.finishedAt = new Date();
      deps.audit().record(ctx, { action: 'partners.import.finished', subjectType: 'partner-import', subjectId: job.id, data: { created: job.created, skipped: job.skipped } });
      await ctx.em.flush();
    },
  };
}

export type ImportService = ReturnType<typeof createImportService>;
