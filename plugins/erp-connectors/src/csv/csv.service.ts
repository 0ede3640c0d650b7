import { createHash } from 'node:crypto';
import { AppError, describeActor, type AuditTrail, type EarningInbox, type FieldProblem, type RequestContext } from '@laurel/plugin-sdk';
import { checkMapping, type CsvMapping } from './mapping.ts';
import { checkHeader, countRows, decodesAs, readCsv, type ImportKind, type RowProblem } from './reader.ts';

/*
 * CSV sources and imports. A source (per program) keeps the column mapping its files are read with; creating or
 * changing one is checked field by field and audited. An uploaded file becomes an import: stored with the mapping of
 * the moment, then worked through in the background (`runPending`, a scheduled task) — rows counted, read and
 * checked, the valid invoices' events sent to the earning inbox in batches — with its progress kept on the import row
 * as it goes, so any request (on any replica) can follow it. The inbox's (source, externalId) keys make every step
 * safe to repeat: an import taken over after a crash starts again, and re-uploading a file posts nothing twice.
 */

export const MAX_CSV_BYTES = 32 * 1024 * 1024;
/** Events per call of the inbox. */
export const BATCH = 500;
/** How long a runner holds an import without showing progress before another may take it over. */
const LEASE_SECONDS = 120;
const MAX_ATTEMPTS = 3;
const SOURCE_CODE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

export type ImportStatus = 'queued' | 'reading' | 'posting' | 'done' | 'failed';

interface SourceRow {
  id: string;
  program_id: string;
  code: string;
  name: string;
  mapping: CsvMapping;
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
}

interface ImportRow {
  id: string;
  source_id: string;
  source_code: string;
  program_id: string;
  kind: ImportKind;
  status: ImportStatus;
  file_name: string | null;
  raw_sha256: string;
  bytes: number;
  rows_total: number | null;
  rows_read: number;
  rows_rejected: number;
  invoices_valid: number;
  invoices_rejected: number;
  events_total: number;
  events_sent: number;
  events_posted: number;
  events_replayed: number;
  events_refused: number;
  problems: number;
  failure: { code: string; message: string } | null;
  attempts: number;
  uploaded_by: Record<string, unknown>;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

export interface SourceView {
  id: string;
  programId: string;
  code: string;
  name: string;
  mapping: CsvMapping;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface ImportView {
  id: string;
  sourceId: string;
  sourceCode: string;
  programId: string;
  kind: ImportKind;
  status: ImportStatus;
  fileName: string | null;
  bytes: number;
  rawSha256: string;
  progress: {
    /** Rows of the file past its header; null until counted. */
    rowsTotal: number | null;
    rowsRead: number;
    rowsRejected: number;
    invoicesValid: number;
    invoicesRejected: number;
    eventsTotal: number;
    eventsSent: number;
    /** Taken by the inbox for the first time (processed, unmatched or held for review). */
    eventsPosted: number;
    /** Already taken from an earlier upload: posted nothing again. */
    eventsReplayed: number;
    eventsRefused: number;
    problems: number;
    /** 0–100: reading is the first half, sending the second. */
    percent: number;
  };
  failure: { code: string; message: string } | null;
  attempts: number;
  uploadedBy: Record<string, unknown>;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ReportItem {
  row: number | null;
  column: string | null;
  columnNumber: number | null;
  invoiceNumber: string | null;
  code: string;
  /** In the caller's language. */
  message: string;
}

const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();
const isoOrNull = (d: Date | string | null) => (d === null ? null : iso(d));

function sourceView(r: SourceRow): SourceView {
  return { id: r.id, programId: r.program_id, code: r.code, name: r.name, mapping: r.mapping, version: r.version, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at) };
}

function percentOf(r: ImportRow): number {
  if (r.status === 'done') return 100;
  if (r.status === 'queued' || r.status === 'failed') return r.status === 'failed' ? 0 : 0;
  if (r.status === 'reading') return r.rows_total ? Math.min(50, Math.floor((r.rows_read / Math.max(1, r.rows_total)) * 50)) : 0;
  return 50 + (r.events_total ? Math.min(49, Math.floor((r.events_sent / r.events_total) * 50)) : 49);
}

function importView(r: ImportRow): ImportView {
  return {
    id: r.id,
    sourceId: r.source_id,
    sourceCode: r.source_code,
    programId: r.program_id,
    kind: r.kind,
    status: r.status,
    fileName: r.file_name,
    bytes: r.bytes,
    rawSha256: r.raw_sha256,
    progress: {
      rowsTotal: r.rows_total,
      rowsRead: r.rows_read,
      rowsRejected: r.rows_rejected,
      invoicesValid: r.invoices_valid,
      invoicesRejected: r.invoices_rejected,
      eventsTotal: r.events_total,
      eventsSent: r.events_sent,
      eventsPosted: r.events_posted,
      eventsReplayed: r.events_replayed,
      eventsRefused: r.events_refused,
      problems: r.problems,
      percent: percentOf(r),
    },
    failure: r.failure,
    attempts: r.attempts,
    uploadedBy: r.uploaded_by,
    startedAt: isoOrNull(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

const IMPORT_COLUMNS = `i.id, i.source_id, s.code as source_code, i.program_id, i.kind, i.status, i.file_name, i.raw_sha256, i.bytes, i.rows_total, i.rows_read, i.rows_rejected,
  i.invoices_valid, i.invoices_rejected, i.events_total, i.events_sent, i.events_posted, i.events_replayed, i.events_refused, i.problems, i.failure, i.attempts,
  i.uploaded_by, i.started_at, i.finished_at, i.created_at, i.updated_at`;

/** Programs the caller is limited to (null: every program). */
function scopeOf(ctx: RequestContext): string[] | null {
  const a = ctx.actor;
  if (a.kind === 'user') return a.programIds;
  if (a.kind === 'api-key') return a.programId ? [a.programId] : null;
  return null;
}

/** A scope as a query parameter: a JSON array of program ids (null: every program). */
const scopeParam = (scope: string[] | null) => (scope ? JSON.stringify(scope) : null);

/** JSON PostgreSQL's jsonb can store (no NUL characters). */
function json(value: unknown): string {
  return JSON.stringify(value).replaceAll('\\u0000', '');
}

function bad(code: string, status: number, fields: FieldProblem[], params: Record<string, unknown> = {}): AppError {
  return new AppError(code, status, { params, fields });
}

export interface SourceInput {
  programId?: unknown;
  code?: unknown;
  name?: unknown;
  mapping?: unknown;
  version?: unknown;
}

export interface UploadInput {
  bytes: Buffer;
  kind: ImportKind;
  fileName?: string;
  /** Where the file was sent in the request, for problems: `/body/file` (multipart) or `/body`. */
  fileField: string;
}

export interface CsvService {
  listSources(ctx: RequestContext, query: { programId?: string }): Promise<SourceView[]>;
  getSource(ctx: RequestContext, id: string): Promise<SourceView>;
  createSource(ctx: RequestContext, input: SourceInput): Promise<SourceView>;
  updateSource(ctx: RequestContext, id: string, input: SourceInput): Promise<SourceView>;
  upload(ctx: RequestContext, sourceId: string, input: UploadInput): Promise<ImportView>;
  listImports(ctx: RequestContext, query: { sourceId?: string; programId?: string; limit: number; before?: string }): Promise<{ items: ImportView[]; nextBefore: string | null }>;
  getImport(ctx: RequestContext, id: string): Promise<ImportView>;
  report(ctx: RequestContext, id: string, query: { limit: number; after?: number }): Promise<{ items: ReportItem[]; nextAfter: number | null; total: number }>;
  /** Work through the imports waiting (queued, or abandoned by a runner that stopped); returns their ids. */
  runPending(ctx: RequestContext): Promise<string[]>;
}

export function createCsvService(deps: { inbox: () => EarningInbox; audit: () => AuditTrail }): CsvService {
  async function sourceById(ctx: RequestContext, id: string): Promise<SourceRow> {
    const scope = scopeParam(scopeOf(ctx));
    const [row] = await ctx.em.execute<SourceRow[]>(`select * from erp_csv_source where id = ? and (?::jsonb is null or jsonb_exists(?::jsonb, program_id::text))`, [id, scope, scope]);
    if (!row) throw new AppError('ERP_CSV_SOURCE_NOT_FOUND', 404, { params: { id } });
    return row;
  }

  async function importById(ctx: RequestContext, id: string): Promise<ImportRow> {
    const scope = scopeParam(scopeOf(ctx));
    const [row] = await ctx.em.execute<ImportRow[]>(`select ${IMPORT_COLUMNS} from erp_csv_import i join erp_csv_source s on s.id = i.source_id where i.id = ? and (?::jsonb is null or jsonb_exists(?::jsonb, i.program_id::text))`, [id, scope, scope]);
    if (!row) throw new AppError('ERP_CSV_IMPORT_NOT_FOUND', 404, { params: { id } });
    return row;
  }

  /** The mapping as sent, or a 400 naming each field that is wrong. */
  function mappingOf(value: unknown): CsvMapping {
    const checked = checkMapping(value);
    if (checked.ok) return checked.mapping;
    throw bad(
      'ERP_CSV_MAPPING_INVALID',
      400,
      checked.problems.map((p) => ({ field: `/body/mapping${p.field}`, messageKey: `erp-connectors:${p.key}`, params: p.params ?? {} })),
      { count: checked.problems.length },
    );
  }

  function nameOf(value: unknown): string {
    if (typeof value !== 'string' || value.trim() === '' || value.length > 200) throw bad('ERP_CSV_NAME_INVALID', 400, [{ field: '/body/name', messageKey: 'errors.ERP_CSV_NAME_INVALID' }]);
    return value.trim();
  }

  async function saveImportProblems(ctx: RequestContext, importId: string, from: number, problems: RowProblem[]): Promise<void> {
    for (let at = 0; at < problems.length; at += 1000) {
      const part = problems.slice(at, at + 1000);
      await ctx.em.execute(
        `insert into erp_csv_import_problem (import_id, seq, row_number, column_name, column_number, invoice_number, code, params)
         select ?::uuid, x.* from jsonb_to_recordset(?::jsonb) as x(seq int, row_number int, column_name text, column_number int, invoice_number text, code text, params jsonb)`,
        [importId, json(part.map((p, i) => ({ seq: from + at + i + 1, row_number: p.row, column_name: p.column, column_number: p.columnNumber, invoice_number: p.invoiceNumber, code: p.code, params: p.params })))],
      );
    }
  }

  async function setProgress(ctx: RequestContext, id: string, values: Record<string, unknown>): Promise<void> {
    const names = Object.keys(values);
    await ctx.em.execute(
      `update erp_csv_import set ${names.map((n) => `${n} = ?${n === 'failure' ? '::jsonb' : ''}`).join(', ')}${names.length ? ', ' : ''}lease_until = now() + interval '${LEASE_SECONDS} seconds', updated_at = now() where id = ?`,
      [...names.map((n) => values[n]), id],
    );
  }

  /** Read an import's file, check it, and send its valid invoices' events to the inbox in batches. */
  async function work(ctx: RequestContext, job: { id: string; kind: ImportKind; program_id: string; source_code: string; raw: Buffer; mapping: CsvMapping }): Promise<void> {
    const started = performance.now();
    await ctx.em.execute(`delete from erp_csv_import_problem where import_id = ?`, [job.id]);
    const rowsTotal = await countRows(job.raw, job.mapping);
    await setProgress(ctx, job.id, { rows_total: rowsTotal });
    const read = await readCsv(job.raw, job.mapping, job.kind, { code: job.source_code, programId: job.program_id }, (rowsRead) => setProgress(ctx, job.id, { rows_read: rowsRead }));
    await saveImportProblems(ctx, job.id, 0, read.problems);
    let problems = read.problems.length;
    await setProgress(ctx, job.id, {
      status: 'posting',
      rows_read: read.rowsRead,
      rows_rejected: read.rowsRejected,
      invoices_valid: read.invoicesValid,
      invoices_rejected: read.invoicesRejected,
      events_total: read.events.length,
      problems,
    });
    const counts = { sent: 0, posted: 0, replayed: 0, refused: 0 };
    for (let at = 0; at < read.events.length; at += BATCH) {
      const batch = read.events.slice(at, at + BATCH);
      const answer = await deps.inbox().ingestMany(ctx, batch, { prefix: '/events' });
      const refusals: RowProblem[] = [];
      answer.items.forEach((item, i) => {
        if (item.ok) {
          if (item.event.replayed) counts.replayed += 1;
          else counts.posted += 1;
          return;
        }
        counts.refused += 1;
        const event = batch[i]!;
        const number = event.type === 'invoice.issued' ? event.number : event.invoiceExternalId.replace(/^inv:/, '');
        refusals.push({ row: read.firstRows.get(number) ?? null, column: null, columnNumber: null, invoiceNumber: number, code: event.type === 'invoice.paid' ? 'paymentRefused' : 'invoiceRefused', params: { number, problemCode: item.problem.code, detail: item.problem.detail } });
      });
      counts.sent += batch.length;
      await saveImportProblems(ctx, job.id, problems, refusals);
      problems += refusals.length;
      await setProgress(ctx, job.id, { events_sent: counts.sent, events_posted: counts.posted, events_replayed: counts.replayed, events_refused: counts.refused, problems });
      // The inbox's entities of this batch are done with: keep the runner's identity map small.
      ctx.em.clear();
    }
    await ctx.em.execute(`update erp_csv_import set status = 'done', finished_at = now(), lease_until = null, updated_at = now() where id = ?`, [job.id]);
    ctx.log.info({ importId: job.id, rows: read.rowsRead, rejected: read.rowsRejected, events: read.events.length, ...counts, ms: Math.round(performance.now() - started) }, 'csv import done');
  }

  return {
    async listSources(ctx, query) {
      const scope = scopeParam(scopeOf(ctx));
      const rows = await ctx.em.execute<SourceRow[]>(
        `select * from erp_csv_source where (?::uuid is null or program_id = ?) and (?::jsonb is null or jsonb_exists(?::jsonb, program_id::text)) order by code`,
        [query.programId ?? null, query.programId ?? null, scope, scope],
      );
      return rows.map(sourceView);
    },

    async getSource(ctx, id) {
      return sourceView(await sourceById(ctx, id));
    },

    async createSource(ctx, input) {
      const fields: FieldProblem[] = [];
      if (typeof input.programId !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(input.programId)) fields.push({ field: '/body/programId', messageKey: 'errors.ERP_PROGRAM_INVALID' });
      if (typeof input.code !== 'string' || !SOURCE_CODE.test(input.code)) fields.push({ field: '/body/code', messageKey: 'errors.ERP_SOURCE_INVALID', params: { source: String(input.code ?? '').slice(0, 100) } });
      if (fields.length) throw bad('ERP_CSV_SOURCE_INVALID', 400, fields);
      const programId = (input.programId as string).toLowerCase();
      const scope = scopeOf(ctx);
      if (scope && !scope.includes(programId)) throw bad('ERP_CSV_PROGRAM_FORBIDDEN', 403, [{ field: '/body/programId', messageKey: 'errors.ERP_CSV_PROGRAM_FORBIDDEN' }]);
      const name = nameOf(input.name);
      const mapping = mappingOf(input.mapping);
      const code = input.code as string;
      return ctx.em.transactional(async (em) => {
        const [row] = await em.execute<SourceRow[]>(
          `insert into erp_csv_source (program_id, code, name, mapping) values (?, ?, ?, ?::jsonb) on conflict (code) do nothing returning *`,
          [programId, code, name, JSON.stringify(mapping)],
        );
        if (!row) throw bad('ERP_CSV_SOURCE_TAKEN', 409, [{ field: '/body/code', messageKey: 'errors.ERP_CSV_SOURCE_TAKEN', params: { code } }], { code });
        deps.audit().record({ ...ctx, em }, { action: 'erp-connectors.csv-source.created', subjectType: 'erp-csv-source', subjectId: row.id, data: { programId, code, name, mapping } });
        return sourceView(row);
      });
    },

    async updateSource(ctx, id, input) {
      const current = await sourceById(ctx, id);
      if (input.code !== undefined && input.code !== current.code) throw bad('ERP_CSV_SOURCE_CODE_FIXED', 400, [{ field: '/body/code', messageKey: 'errors.ERP_CSV_SOURCE_CODE_FIXED', params: { code: current.code } }], { code: current.code });
      if (input.programId !== undefined && input.programId !== current.program_id) throw bad('ERP_CSV_SOURCE_PROGRAM_FIXED', 400, [{ field: '/body/programId', messageKey: 'errors.ERP_CSV_SOURCE_PROGRAM_FIXED' }]);
      const name = input.name === undefined ? current.name : nameOf(input.name);
      const mapping = input.mapping === undefined ? current.mapping : mappingOf(input.mapping);
      return ctx.em.transactional(async (em) => {
        const [row] = await em.execute<SourceRow[]>(
          `update erp_csv_source set name = ?, mapping = ?::jsonb, version = version + 1, updated_at = now() where id = ? and (?::int is null or version = ?) returning *`,
          [name, JSON.stringify(mapping), id, input.version ?? null, input.version ?? null],
        );
        if (!row) throw bad('ERP_CSV_SOURCE_STALE', 409, [{ field: '/body/version', messageKey: 'errors.ERP_CSV_SOURCE_STALE' }]);
        deps.audit().record({ ...ctx, em }, {
          action: 'erp-connectors.csv-source.updated',
          subjectType: 'erp-csv-source',
          subjectId: id,
          data: { code: row.code, before: { name: current.name, mapping: current.mapping }, after: { name, mapping } },
        });
        return sourceView(row);
      });
    },

    async upload(ctx, sourceId, input) {
      const source = await sourceById(ctx, sourceId);
      const mapping = source.mapping;
      const file = input.fileField;
      if (input.bytes.length === 0) throw bad('ERP_CSV_FILE_REQUIRED', 400, [{ field: file, messageKey: 'errors.ERP_CSV_FILE_REQUIRED' }]);
      if (input.bytes.length > MAX_CSV_BYTES) throw bad('ERP_CSV_FILE_TOO_LARGE', 413, [{ field: file, messageKey: 'errors.ERP_CSV_FILE_TOO_LARGE', params: { max: MAX_CSV_BYTES } }], { max: MAX_CSV_BYTES });
      if (input.kind === 'payments' && !mapping.paymentColumns) throw bad('ERP_CSV_NO_PAYMENT_COLUMNS', 422, [{ field: '/body/kind', messageKey: 'errors.ERP_CSV_NO_PAYMENT_COLUMNS', params: { code: source.code } }], { code: source.code });
      if (!decodesAs(input.bytes, mapping.encoding)) throw bad('ERP_CSV_ENCODING', 422, [{ field: file, messageKey: 'errors.ERP_CSV_ENCODING', params: { encoding: mapping.encoding } }], { encoding: mapping.encoding });
      const header = await checkHeader(input.bytes, mapping, input.kind);
      if (!header.ok) {
        if ('empty' in header) throw bad('ERP_CSV_FILE_REQUIRED', 400, [{ field: file, messageKey: 'errors.ERP_CSV_FILE_REQUIRED' }]);
        const columns = header.missing.map((m) => m.column).join(', ');
        throw bad('ERP_CSV_COLUMNS_MISSING', 422, [{ field: file, messageKey: 'errors.ERP_CSV_COLUMNS_MISSING', params: { columns, code: source.code } }], { columns, code: source.code });
      }
      const sha = createHash('sha256').update(input.bytes).digest('hex');
      return ctx.em.transactional(async (em) => {
        const [row] = await em.execute<{ id: string }[]>(
          `insert into erp_csv_import (source_id, program_id, kind, status, file_name, raw, raw_sha256, bytes, mapping, uploaded_by) values (?, ?, ?, 'queued', ?, ?, ?, ?, ?::jsonb, ?::jsonb) returning id`,
          [source.id, source.program_id, input.kind, input.fileName ?? null, input.bytes, sha, input.bytes.length, JSON.stringify(mapping), JSON.stringify(describeActor(ctx.actor))],
        );
        deps.audit().record({ ...ctx, em }, {
          action: 'erp-connectors.csv-import.uploaded',
          subjectType: 'erp-csv-import',
          subjectId: row!.id,
          data: { sourceId: source.id, code: source.code, programId: source.program_id, kind: input.kind, fileName: input.fileName ?? null, bytes: input.bytes.length, sha256: sha },
        });
        return importView(await importById({ ...ctx, em }, row!.id));
      });
    },

    async listImports(ctx, query) {
      const scope = scopeParam(scopeOf(ctx));
      const rows = await ctx.em.execute<ImportRow[]>(
        `select ${IMPORT_COLUMNS} from erp_csv_import i join erp_csv_source s on s.id = i.source_id
          where (?::uuid is null or i.source_id = ?) and (?::uuid is null or i.program_id = ?) and (?::jsonb is null or jsonb_exists(?::jsonb, i.program_id::text)) and (?::uuid is null or i.id < ?)
          order by i.id desc limit ?`,
        [query.sourceId ?? null, query.sourceId ?? null, query.programId ?? null, query.programId ?? null, scope, scope, query.before ?? null, query.before ?? null, query.limit + 1],
      );
      const items = rows.slice(0, query.limit).map(importView);
      return { items, nextBefore: rows.length > query.limit ? items.at(-1)!.id : null };
    },

    async getImport(ctx, id) {
      return importView(await importById(ctx, id));
    },

    async report(ctx, id, query) {
      const job = await importById(ctx, id);
      const rows = await ctx.em.execute<{ seq: number; row_number: number | null; column_name: string | null; column_number: number | null; invoice_number: string | null; code: string; params: Record<string, unknown> }[]>(
        `select seq, row_number, column_name, column_number, invoice_number, code, params from erp_csv_import_problem where import_id = ? and seq > ? order by seq limit ?`,
        [id, query.after ?? 0, query.limit + 1],
      );
      const items = rows.slice(0, query.limit).map((r) => {
        const params = { ...r.params, row: r.row_number ?? '', column: r.column_name ?? '', number: r.params.number ?? r.invoice_number ?? '' };
        const where = r.row_number !== null ? ctx.t(r.column_name !== null ? 'erp-connectors:csv.where.rowColumn' : 'erp-connectors:csv.where.row', params) : '';
        return { row: r.row_number, column: r.column_name, columnNumber: r.column_number, invoiceNumber: r.invoice_number, code: r.code, message: `${where}${ctx.t(`erp-connectors:csv.row.${r.code}`, params)}` };
      });
      return { items, nextAfter: rows.length > query.limit ? rows[query.limit - 1]!.seq : null, total: job.problems };
    },

    async runPending(ctx) {
      const done: string[] = [];
      for (;;) {
        const [job] = await ctx.em.execute<{ id: string; kind: ImportKind; program_id: string; source_code: string; raw: Buffer; mapping: CsvMapping; attempts: number }[]>(
          `update erp_csv_import i set status = 'reading', attempts = attempts + 1, lease_until = now() + interval '${LEASE_SECONDS} seconds', started_at = now(), updated_at = now(),
              rows_total = null, rows_read = 0, rows_rejected = 0, invoices_valid = 0, invoices_rejected = 0, events_total = 0, events_sent = 0, events_posted = 0,
              events_replayed = 0, events_refused = 0, problems = 0, failure = null
            from erp_csv_source s
           where s.id = i.source_id and i.id = (
             select id from erp_csv_import where status = 'queued' or (status in ('reading', 'posting') and lease_until < now()) order by id limit 1 for update skip locked)
           returning i.id, i.kind, i.program_id, s.code as source_code, i.raw, i.mapping, i.attempts`,
        );
        if (!job) return done;
        done.push(job.id);
        if (job.attempts > MAX_ATTEMPTS) {
          await setProgress(ctx, job.id, { status: 'failed', failure: JSON.stringify({ code: 'ERP_CSV_IMPORT_ABANDONED', message: `Stopped ${MAX_ATTEMPTS} times before it finished` }) });
          continue;
        }
        try {
          await work(ctx, job);
        } catch (error) {
          ctx.log.error({ err: error, importId: job.id }, 'csv import failed');
          ctx.em.clear();
          await ctx.em.execute(`update erp_csv_import set status = 'failed', failure = ?::jsonb, finished_at = now(), lease_until = null, updated_at = now() where id = ?`, [
            JSON.stringify({ code: 'ERP_CSV_IMPORT_FAILED', message: String((error as Error)?.message ?? error).slice(0, 500) }),
            job.id,
          ]);
        }
      }
    },
  };
}
