import { AppError, createServiceRef, describeActor, type RequestContext, type SkuCode, type SkuMapping, type SkuResolution } from '@laurel/plugin-sdk';
import { uuidv7 } from '../../platform/ids.ts';
import type { AuditService } from '../audit/index.ts';
import type { ProgramService } from '../programs/index.ts';
import type { EarningEventInput, InvoiceCorrectedEvent, InvoiceIssuedEvent, OrderReturnedEvent } from './earning.schemas.ts';

/*
 * SKU mapping: the program's table of (scope, seller code or GTIN) → program SKU and category, and how the inbox applies
 * it. Invoice lines that carry `sellerCode` or `gtin` are resolved when the event is evaluated, all lines of a batch in
 * one query: the rules, the explanation and the invoice's kept lines see the program SKU and category; a line whose
 * codes nothing maps keeps its `sku` (the seller's code) and its codes are counted in the program's unmapped list.
 * The raw payload is stored as it came (its hash keys replays), so a mapping added later applies to events evaluated
 * later, never to what was already posted.
 */

export type SkuKind = 'seller-code' | 'gtin';
export type SkuMappingStatus = 'active' | 'retired';

export interface SkuMappingView {
  id: string;
  programId: string;
  kind: SkuKind;
  code: string;
  source: string | null;
  seller: string | null;
  programSku: string;
  category: string | null;
  validFrom: string | null;
  validTo: string | null;
  status: SkuMappingStatus;
  note: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface UnmappedSkuView {
  id: string;
  programId: string;
  source: string;
  seller: string | null;
  sellerCode: string | null;
  gtin: string | null;
  firstSeen: string;
  lastSeen: string;
  count: number;
  sampleEventId: string;
  sampleInvoice: string | null;
  status: 'open' | 'mapped';
  mappingId: string | null;
}

export interface SkuMappingInput {
  programId: string;
  sellerCode?: string | null;
  gtin?: string | null;
  source?: string | null;
  seller?: string | null;
  programSku: string;
  category?: string | null;
  validFrom?: string | null;
  validTo?: string | null;
  note?: string | null;
}

export type SkuMappingPatch = Partial<Pick<SkuMappingInput, 'programSku' | 'category' | 'validFrom' | 'validTo' | 'note'>>;

/** A line as the inbox keeps it: what the rules see, with the codes it came with. */
type Line = InvoiceIssuedEvent['lines'][number];

interface MapRow {
  id: string;
  program_id: string;
  kind: SkuKind;
  code: string;
  source: string | null;
  seller: string | null;
  program_sku: string;
  category: string | null;
  valid_from: Date | string | null;
  valid_to: Date | string | null;
  status: SkuMappingStatus;
  note: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

interface UnmappedRow {
  id: string;
  program_id: string;
  source: string;
  seller: string;
  seller_code: string;
  gtin: string;
  first_seen: Date | string;
  last_seen: Date | string;
  count: string | number;
  sample_event_id: string;
  sample_invoice: string | null;
  status: 'open' | 'mapped';
  mapping_id: string | null;
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

function mappingView(r: MapRow): SkuMappingView {
  return {
    id: r.id,
    programId: r.program_id,
    kind: r.kind,
    code: r.code,
    source: r.source,
    seller: r.seller,
    programSku: r.program_sku,
    category: r.category,
    validFrom: iso(r.valid_from),
    validTo: iso(r.valid_to),
    status: r.status,
    note: r.note,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}

function unmappedView(r: UnmappedRow): UnmappedSkuView {
  return {
    id: r.id,
    programId: r.program_id,
    source: r.source,
    seller: r.seller || null,
    sellerCode: r.seller_code || null,
    gtin: r.gtin || null,
    firstSeen: iso(r.first_seen)!,
    lastSeen: iso(r.last_seen)!,
    count: Number(r.count),
    sampleEventId: r.sample_event_id,
    sampleInvoice: r.sample_invoice,
    status: r.status,
    mappingId: r.mapping_id,
  };
}

/**
 * A GTIN as 14 digits (GTIN-8, -12 and -13 padded with zeros), or null when it is not 8, 12, 13 or 14 digits. The check
 * digit is not required: documents in the wild carry GTINs with wrong ones (the Peppol BIS example invoice does), and
 * they must still be mappable as they come.
 */
export function normalizeGtin(value: string | null | undefined): string | null {
  const v = (value ?? '').trim();
  if (!/^[0-9]{8}$|^[0-9]{12,14}$/.test(v)) return null;
  return v.padStart(14, '0');
}

const codesOf = (l: { sellerCode?: string; gtin?: string }) => ({ sellerCode: l.sellerCode?.trim() || null, gtin: normalizeGtin(l.gtin) });

function invalid(code: string, field: string, params: Record<string, unknown> = {}, status = 422): AppError {
  return new AppError(code, status, { params, fields: [{ field, messageKey: `errors.${code}`, params }] });
}

interface Request {
  programId: string;
  source: string;
  seller: string | null;
  at: string;
  sellerCode: string | null;
  gtin: string | null;
}
interface Match {
  id: string;
  kind: SkuKind;
  program_sku: string;
  category: string | null;
  source: string | null;
  seller: string | null;
}

/**
 * Every request resolved in ONE statement: a seller code before a GTIN, then the narrowest scope (seller, source, any
 * source), then the latest start of validity. The answer is in the order of the requests (null: nothing maps it).
 */
async function resolveAll(ctx: RequestContext, requests: readonly Request[]): Promise<(Match | null)[]> {
  const rows: { i: number; program_id: string; source: string; seller: string | null; kind: SkuKind; code: string; at: string }[] = [];
  requests.forEach((r, i) => {
    if (r.sellerCode) rows.push({ i, program_id: r.programId, source: r.source, seller: r.seller, kind: 'seller-code', code: r.sellerCode, at: r.at });
    if (r.gtin) rows.push({ i, program_id: r.programId, source: r.source, seller: r.seller, kind: 'gtin', code: r.gtin, at: r.at });
  });
  const answers: (Match | null)[] = requests.map(() => null);
  if (rows.length === 0) return answers;
  const found = await ctx.em.execute<(Match & { i: number })[]>(
    `select distinct on (x.i) x.i, m.id, m.kind, m.program_sku, m.category, m.source, m.seller
       from jsonb_to_recordset(?::jsonb) as x(i int, program_id uuid, source text, seller text, kind text, code text, at timestamptz)
       join earning_sku_map m on m.program_id = x.program_id and m.kind = x.kind and m.code = x.code and m.status = 'active'
        and (m.source is null or m.source = x.source) and (m.seller is null or m.seller = x.seller)
        and (m.valid_from is null or m.valid_from <= x.at) and (m.valid_to is null or m.valid_to > x.at)
      order by x.i, (m.kind = 'seller-code') desc, (m.seller is not null) desc, (m.source is not null) desc, m.valid_from desc nulls last, m.id desc`,
    [JSON.stringify(rows)],
  );
  for (const f of found) answers[f.i] = f;
  return answers;
}

/** What an unmapped code of a line adds to the program's unmapped list. */
interface Sighting { programId: string; source: string; seller: string; sellerCode: string; gtin: string; eventId: string; invoice: string | null }

/** The unmapped codes seen, counted per (program, source, seller, codes), in one statement (ordered: no deadlocks). */
async function recordUnmapped(ctx: RequestContext, sightings: readonly Sighting[]): Promise<void> {
  if (sightings.length === 0) return;
  const grouped = new Map<string, Sighting & { n: number }>();
  for (const s of sightings) {
    const key = [s.programId, s.source, s.seller, s.sellerCode, s.gtin].join('\u0000');
    const g = grouped.get(key);
    if (g) Object.assign(g, { n: g.n + 1, eventId: s.eventId, invoice: s.invoice });
    else grouped.set(key, { ...s, n: 1 });
  }
  const rows = [...grouped.values()]
    .map((g) => ({ id: uuidv7(), program_id: g.programId, source: g.source, seller: g.seller, seller_code: g.sellerCode, gtin: g.gtin, n: g.n, event_id: g.eventId, invoice: g.invoice }))
    .sort((a, b) => ([a.program_id, a.source, a.seller, a.seller_code, a.gtin].join('\u0000') < [b.program_id, b.source, b.seller, b.seller_code, b.gtin].join('\u0000') ? -1 : 1));
  await ctx.em.execute(
    `insert into earning_sku_unmapped (id, program_id, source, seller, seller_code, gtin, first_seen, last_seen, count, sample_event_id, sample_invoice, status)
     select x.id, x.program_id, x.source, x.seller, x.seller_code, x.gtin, now(), now(), x.n, x.event_id, x.invoice, 'open'
       from jsonb_to_recordset(?::jsonb) as x(id uuid, program_id uuid, source text, seller text, seller_code text, gtin text, n bigint, event_id uuid, invoice text)
     on conflict (program_id, source, seller, seller_code, gtin) do update
       set last_seen = now(), count = earning_sku_unmapped.count + excluded.count, sample_event_id = excluded.sample_event_id,
           sample_invoice = excluded.sample_invoice, status = 'open', mapping_id = null`,
    [JSON.stringify(rows)],
  );
}

const hasCodes = (event: EarningEventInput): event is InvoiceIssuedEvent => event.type === 'invoice.issued' && event.lines.some((l) => l.sellerCode || l.gtin);

/**
 * The inbox's side: an invoice's lines with their codes mapped. `prepare` resolves the lines of a whole group of
 * events in one query (and records their unmapped codes in one more) while the rest of the group is worked on; `apply`
 * answers from what was prepared for that very payload, or resolves the one event alone.
 */
export function createSkuApplier() {
  const prepared = new WeakMap<object, Promise<InvoiceIssuedEvent>>();

  async function run(ctx: RequestContext, items: { programId: string; eventId: string | null; event: InvoiceIssuedEvent }[], record: boolean): Promise<InvoiceIssuedEvent[]> {
    const requests: Request[] = [];
    const at: { item: number; line: number }[] = [];
    items.forEach(({ programId, event }, item) => {
      event.lines.forEach((l, line) => {
        const { sellerCode, gtin } = codesOf(l);
        if (!sellerCode && !gtin) return;
        requests.push({ programId, source: event.source, seller: event.seller ?? null, at: event.occurredAt, sellerCode, gtin });
        at.push({ item, line });
      });
    });
    const found = await resolveAll(ctx, requests);
    const lines = items.map(({ event }) => event.lines.slice());
    const sightings: Sighting[] = [];
    found.forEach((m, k) => {
      const { item, line } = at[k]!;
      const l = lines[item]![line]!;
      if (m) {
        lines[item]![line] = { ...l, sku: m.program_sku, ...(m.category ? { category: m.category } : {}) };
        return;
      }
      const { programId, eventId, event } = items[item]!;
      const r = requests[k]!;
      if (eventId) sightings.push({ programId, source: event.source, seller: event.seller ?? '', sellerCode: r.sellerCode ?? '', gtin: r.gtin ?? '', eventId, invoice: event.number });
    });
    if (record) await recordUnmapped(ctx, sightings);
    return items.map(({ event }, i) => ({ ...event, lines: lines[i]! }));
  }

  return {
    /**
     * Resolve the coded lines of many events (rows of the inbox, the program each belongs to) in one query, keeping
     * each mapped event for `apply`. Not awaited by the caller: its failures surface in `apply`.
     */
    prepare(ctx: RequestContext, items: readonly { programId: string; row: { id: string; payload: EarningEventInput } }[]): void {
      const unresolved = items.filter(({ row }) => hasCodes(row.payload) && !prepared.has(row.payload));
      if (unresolved.length === 0) return;
      const all = run(ctx, unresolved.map(({ programId, row }) => ({ programId, eventId: row.id, event: row.payload as InvoiceIssuedEvent })), true);
      all.catch(() => {}); // answered through apply
      unresolved.forEach(({ row }, i) => prepared.set(row.payload, all.then((events) => events[i]!)));
    },

    /** The event with its lines mapped (as prepared, or resolved now); `eventId` null records nothing (a simulation). */
    async apply<E extends EarningEventInput>(ctx: RequestContext, programId: string, eventId: string | null, event: E): Promise<E> {
      if (!hasCodes(event)) return event;
      let mapped = prepared.get(event);
      if (!mapped) {
        mapped = run(ctx, [{ programId, eventId, event }], eventId !== null).then((events) => events[0]!);
        if (eventId) prepared.set(event, mapped);
      }
      return (await mapped) as E;
    },

    resolveAll,
  };
}

/**
 * A correction's or return's lines named as the invoice's kept lines name them: a line that gives the seller code
 * (or GTIN) an invoice line was mapped from takes that line's program SKU, so the change follows the mapping the
 * invoice was posted with, whatever the mapping says today. Lines already named by a kept SKU stay as they are.
 */
export function alignChanges<E extends InvoiceCorrectedEvent | OrderReturnedEvent>(kept: readonly Line[], event: E): E {
  let changed = false;
  const lines = event.lines.map((change) => {
    if (kept.some((l) => l.sku === change.sku)) return change;
    const code = change.sellerCode ?? change.sku;
    const gtin = normalizeGtin(change.gtin ?? change.sku);
    const from = kept.find((l) => (l.sellerCode !== undefined && l.sellerCode === code) || (gtin !== null && normalizeGtin(l.gtin) === gtin));
    if (!from) return change;
    changed = true;
    return { ...change, sku: from.sku };
  });
  return changed ? ({ ...event, lines } as E) : event;
}

// ---------------------------------------------------------------------------------------------------------------
// The admin's side: the table, its CSV import, the unmapped list.

/** A small RFC 4180 reader: quotes with "" escapes, CRLF or LF, a BOM, comma or semicolon (whichever the header has more of). */
export function readCsv(text: string): { header: string[]; rows: { line: number; values: string[] }[] } {
  const input = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const first = input.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = (first.match(/;/g) ?? []).length > (first.match(/,/g) ?? []).length ? ';' : ',';
  const records: { line: number; values: string[] }[] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let line = 1;
  let start = 1;
  const end = () => {
    record.push(field);
    if (record.some((v) => v.trim() !== '')) records.push({ line: start, values: record });
    record = [];
    field = '';
  };
  for (let i = 0; i < input.length; i += 1) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line += 1;
        field += c;
      }
    } else if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i += 1;
      end();
      line += 1;
      start = line;
    } else field += c;
  }
  end();
  const [header, ...rows] = records;
  return { header: (header?.values ?? []).map((h) => h.trim()), rows };
}

/** The columns of a mapping list (header names are matched without case, spaces, '_' or '-'). */
export const CSV_COLUMNS = ['seller_code', 'gtin', 'program_sku', 'category', 'source', 'seller', 'valid_from', 'valid_to', 'note'] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];
const squash = (s: string) => s.toLowerCase().replace(/[\s_-]/g, '');
const MAX_IMPORT_ROWS = 20_000;

export interface SkuImportReport {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  dryRun: boolean;
}

/** A row problem of an import: line (1 = header), column and a reason key (errors.EARNING_SKU_IMPORT_<REASON>). */
interface RowProblem { line: number; column: string; reason: 'REQUIRED' | 'TOO_LONG' | 'CODE_ONE' | 'GTIN' | 'DATE' | 'PERIOD' | 'DUPLICATE' | 'OVERLAP'; params?: Record<string, unknown> }

export interface SkuMappingDeps {
  programs: () => ProgramService;
  audit: () => AuditService;
}

const keyOf = (m: { programId: string; kind: SkuKind; code: string; source: string | null; seller: string | null }) => JSON.stringify([m.programId, m.kind, m.code, m.source, m.seller]);
const overlaps = (a: { from: number; to: number }, b: { from: number; to: number }) => a.from < b.to && b.from < a.to;
const span = (from: string | Date | null | undefined, to: string | Date | null | undefined) => ({ from: from ? new Date(from).getTime() : -Infinity, to: to ? new Date(to).getTime() : Infinity });

export function createSkuMappingService(deps: SkuMappingDeps) {
  /** The key and validity of an input, checked field by field (`prefix` the JSON pointer of the input). */
  function normalize(input: SkuMappingInput, prefix: string) {
    const sellerCode = input.sellerCode?.trim() || null;
    const gtinGiven = input.gtin?.trim() || null;
    if ((sellerCode === null) === (gtinGiven === null)) throw invalid('EARNING_SKU_CODE_ONE', `${prefix}/${sellerCode ? 'gtin' : 'sellerCode'}`);
    let code = sellerCode;
    if (gtinGiven) {
      const gtin = normalizeGtin(gtinGiven);
      if (!gtin) throw invalid('EARNING_SKU_GTIN_INVALID', `${prefix}/gtin`, { gtin: gtinGiven });
      code = gtin;
    }
    const programSku = input.programSku.trim();
    if (!programSku) throw invalid('EARNING_SKU_PROGRAM_SKU_REQUIRED', `${prefix}/programSku`);
    const validFrom = input.validFrom ? new Date(input.validFrom) : null;
    const validTo = input.validTo ? new Date(input.validTo) : null;
    if (validFrom && validTo && validTo <= validFrom) throw invalid('EARNING_SKU_PERIOD', `${prefix}/validTo`);
    return {
      programId: input.programId,
      kind: (sellerCode ? 'seller-code' : 'gtin') as SkuKind,
      code: code!,
      source: input.source?.trim() || null,
      seller: input.seller?.trim() || null,
      programSku,
      category: input.category?.trim() || null,
      validFrom,
      validTo,
      note: input.note?.trim() || null,
    };
  }

  async function lockKey(ctx: RequestContext, key: string) {
    await ctx.em.execute(`select pg_advisory_xact_lock(hashtextextended(?, 7011))`, [key]);
  }

  /** The active mapping of the same key whose validity meets [from, to), other than `except`. */
  async function overlapping(ctx: RequestContext, m: { programId: string; kind: SkuKind; code: string; source: string | null; seller: string | null }, from: Date | null, to: Date | null, except?: string): Promise<MapRow | null> {
    const rows = await ctx.em.execute<MapRow[]>(
      `select * from earning_sku_map where program_id = ? and kind = ? and code = ? and status = 'active'
        and source is not distinct from ? and seller is not distinct from ? and id <> ?`,
      [m.programId, m.kind, m.code, m.source, m.seller, except ?? '00000000-0000-0000-0000-000000000000'],
    );
    return rows.find((r) => overlaps(span(r.valid_from, r.valid_to), span(from, to))) ?? null;
  }

  /** Unmapped codes a new mapping covers are marked mapped (they are no longer the admin's to do). */
  async function markMapped(ctx: RequestContext, mappings: readonly { id: string; programId: string; kind: SkuKind; code: string; source: string | null; seller: string | null }[]) {
    if (mappings.length === 0) return;
    await ctx.em.execute(
      `update earning_sku_unmapped u set status = 'mapped', mapping_id = x.id
         from jsonb_to_recordset(?::jsonb) as x(id uuid, program_id uuid, kind text, code text, source text, seller text)
        where u.status = 'open' and u.program_id = x.program_id
          and ((x.kind = 'seller-code' and u.seller_code = x.code) or (x.kind = 'gtin' and u.gtin = x.code))
          and (x.source is null or u.source = x.source) and (x.seller is null or u.seller = x.seller)`,
      [JSON.stringify(mappings.map((m) => ({ id: m.id, program_id: m.programId, kind: m.kind, code: m.code, source: m.source, seller: m.seller })))],
    );
  }

  async function load(ctx: RequestContext, id: string, lock = false): Promise<MapRow> {
    const [row] = await ctx.em.execute<MapRow[]>(`select * from earning_sku_map where id = ? ${lock ? 'for update' : ''}`, [id]);
    if (!row) throw new AppError('EARNING_SKU_MAPPING_NOT_FOUND', 404, { params: { id } });
    await deps.programs().get(ctx, row.program_id); // the caller may see the program
    return row;
  }

  async function create(ctx: RequestContext, input: SkuMappingInput, prefix = '/body'): Promise<SkuMappingView> {
    await deps.programs().get(ctx, input.programId);
    const m = normalize(input, prefix);
    return ctx.em.transactional(async (em) => {
      const tx = { ...ctx, em };
      await lockKey(tx, keyOf(m));
      const other = await overlapping(tx, m, m.validFrom, m.validTo);
      if (other) throw invalid('EARNING_SKU_MAPPING_OVERLAP', `${prefix}/validFrom`, { id: other.id, code: m.code, programSku: other.program_sku }, 409);
      const id = uuidv7();
      const [row] = await em.execute<MapRow[]>(
        `insert into earning_sku_map (id, program_id, kind, code, source, seller, program_sku, category, valid_from, valid_to, status, note, created_by, created_at, updated_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?::jsonb, now(), now()) returning *`,
        [id, m.programId, m.kind, m.code, m.source, m.seller, m.programSku, m.category, m.validFrom, m.validTo, m.note, JSON.stringify(describeActor(ctx.actor))],
      );
      await markMapped(tx, [{ id, ...m }]);
      const view = mappingView(row!);
      deps.audit().record(tx, { action: 'earning.sku-mapping.created', subjectType: 'earning-sku-mapping', subjectId: id, data: { ...view } });
      return view;
    });
  }

  const service = {
    create,

    async get(ctx: RequestContext, id: string): Promise<SkuMappingView> {
      return mappingView(await load(ctx, id));
    },

    /** The table: searched in code, program SKU, category, source and seller; newest first, by pages. */
    async list(ctx: RequestContext, query: { programId: string; q?: string; status?: SkuMappingStatus; limit: number; offset: number }) {
      await deps.programs().get(ctx, query.programId);
      const like = query.q ? `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
      const where = `program_id = ? and (?::text is null or status = ?) and (?::text is null or code ilike ? or program_sku ilike ? or category ilike ? or source ilike ? or seller ilike ?)`;
      const params = [query.programId, query.status ?? null, query.status ?? null, like, like, like, like, like, like];
      const [rows, [total]] = await Promise.all([
        ctx.em.execute<MapRow[]>(`select * from earning_sku_map where ${where} order by updated_at desc, id desc limit ? offset ?`, [...params, query.limit, query.offset]),
        ctx.em.execute<{ n: number }[]>(`select count(*)::int as n from earning_sku_map where ${where}`, params),
      ]);
      return { items: rows.map(mappingView), total: total!.n, limit: query.limit, offset: query.offset };
    },

    /** Change what a mapping maps to or when it is valid (its code and scope stay: retire it and add another). Audited. */
    async update(ctx: RequestContext, id: string, patch: SkuMappingPatch): Promise<SkuMappingView> {
      return ctx.em.transactional(async (em) => {
        const tx = { ...ctx, em };
        const before = await load(tx, id, true);
        if (before.status !== 'active') throw new AppError('EARNING_SKU_MAPPING_RETIRED', 409, { params: { id } });
        const m = normalize(
          {
            programId: before.program_id,
            ...(before.kind === 'gtin' ? { gtin: before.code } : { sellerCode: before.code }),
            source: before.source,
            seller: before.seller,
            programSku: patch.programSku ?? before.program_sku,
            category: patch.category !== undefined ? patch.category : before.category,
            validFrom: patch.validFrom !== undefined ? patch.validFrom : iso(before.valid_from),
            validTo: patch.validTo !== undefined ? patch.validTo : iso(before.valid_to),
            note: patch.note !== undefined ? patch.note : before.note,
          },
          '/body',
        );
        await lockKey(tx, keyOf(m));
        const other = await overlapping(tx, m, m.validFrom, m.validTo, id);
        if (other) throw invalid('EARNING_SKU_MAPPING_OVERLAP', '/body/validFrom', { id: other.id, code: m.code, programSku: other.program_sku }, 409);
        const [row] = await em.execute<MapRow[]>(
          `update earning_sku_map set program_sku = ?, category = ?, valid_from = ?, valid_to = ?, note = ?, updated_at = now() where id = ? returning *`,
          [m.programSku, m.category, m.validFrom, m.validTo, m.note, id],
        );
        const view = mappingView(row!);
        deps.audit().record(tx, { action: 'earning.sku-mapping.updated', subjectType: 'earning-sku-mapping', subjectId: id, data: { before: mappingView(before), after: view } });
        return view;
      });
    },

    /** Retire a mapping: from now on its code is unmapped again (or another mapping decides). Kept, audited. */
    async retire(ctx: RequestContext, id: string, reason: string | null): Promise<SkuMappingView> {
      return ctx.em.transactional(async (em) => {
        const tx = { ...ctx, em };
        const before = await load(tx, id, true);
        if (before.status === 'retired') return mappingView(before);
        const [row] = await em.execute<MapRow[]>(`update earning_sku_map set status = 'retired', updated_at = now() where id = ? returning *`, [id]);
        const view = mappingView(row!);
        deps.audit().record(tx, { action: 'earning.sku-mapping.retired', subjectType: 'earning-sku-mapping', subjectId: id, data: { mapping: view, reason } });
        return view;
      });
    },

    /**
     * Import a mapping list (CSV with a header; columns CSV_COLUMNS). All or nothing: a bad row is a 422 naming each
     * bad cell as /csv/<line>/<column>. A row whose key and start of validity match an active mapping updates it (or
     * leaves it, when nothing differs), so the same list can be imported again; others are added. Audited.
     */
    async importCsv(ctx: RequestContext, input: { programId: string; csv: string; dryRun: boolean }): Promise<SkuImportReport> {
      await deps.programs().get(ctx, input.programId);
      const { header, rows } = readCsv(input.csv);
      const problems: RowProblem[] = [];
      const columns = new Map<CsvColumn, number>();
      header.forEach((h, i) => {
        const c = CSV_COLUMNS.find((n) => squash(n) === squash(h));
        if (c && !columns.has(c)) columns.set(c, i);
      });
      if (!columns.has('program_sku')) problems.push({ line: 1, column: 'program_sku', reason: 'REQUIRED' });
      if (!columns.has('seller_code') && !columns.has('gtin')) problems.push({ line: 1, column: 'seller_code', reason: 'REQUIRED' });
      if (rows.length > MAX_IMPORT_ROWS) throw invalid('EARNING_SKU_IMPORT_TOO_MANY', '/csv', { max: MAX_IMPORT_ROWS, rows: rows.length });
      type Parsed = ReturnType<typeof normalize> & { line: number };
      const parsed: Parsed[] = [];
      if (problems.length === 0) {
        for (const r of rows) {
          const cell = (c: CsvColumn) => (columns.has(c) ? (r.values[columns.get(c)!] ?? '').trim() : '');
          const bad = (column: CsvColumn, reason: RowProblem['reason'], params?: Record<string, unknown>) => problems.push({ line: r.line, column, reason, ...(params ? { params } : {}) });
          const before = problems.length;
          for (const c of CSV_COLUMNS) if (cell(c).length > (c === 'note' ? 500 : 100)) bad(c, 'TOO_LONG', { max: c === 'note' ? 500 : 100 });
          if (!cell('program_sku')) bad('program_sku', 'REQUIRED');
          if (!cell('seller_code') === !cell('gtin')) bad(cell('seller_code') ? 'gtin' : 'seller_code', 'CODE_ONE');
          else if (cell('gtin')) {
            const g = normalizeGtin(cell('gtin'));
            if (!g) bad('gtin', 'GTIN', { value: cell('gtin') });
          }
          const date = (c: 'valid_from' | 'valid_to') => {
            const v = cell(c);
            if (!v) return null;
            const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
            if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(v)) {
              bad(c, 'DATE', { value: v });
              return null;
            }
            return d.toISOString();
          };
          const validFrom = date('valid_from');
          const validTo = date('valid_to');
          if (validFrom && validTo && validTo <= validFrom) bad('valid_to', 'PERIOD');
          if (problems.length > before) continue;
          parsed.push({
            line: r.line,
            ...normalize({ programId: input.programId, sellerCode: cell('seller_code') || null, gtin: cell('gtin') || null, source: cell('source') || null, seller: cell('seller') || null, programSku: cell('program_sku'), category: cell('category') || null, validFrom, validTo, note: cell('note') || null }, '/csv'),
          });
        }
      }
      // Rows of the same key must not overlap one another.
      const byKey = new Map<string, Parsed[]>();
      for (const p of parsed) {
        const list = byKey.get(keyOf(p)) ?? [];
        const twin = list.find((o) => overlaps(span(o.validFrom, o.validTo), span(p.validFrom, p.validTo)));
        if (twin) problems.push({ line: p.line, column: p.kind === 'gtin' ? 'gtin' : 'seller_code', reason: 'DUPLICATE', params: { other: twin.line } });
        list.push(p);
        byKey.set(keyOf(p), list);
      }
      const report: SkuImportReport = { rows: rows.length, created: 0, updated: 0, unchanged: 0, dryRun: input.dryRun };
      const run = async (tx: RequestContext) => {
        // The active mappings of every key in the file, in one query.
        const existing = parsed.length
          ? await tx.em.execute<MapRow[]>(
              `select m.* from earning_sku_map m join (select distinct * from jsonb_to_recordset(?::jsonb) as x(kind text, code text, source text, seller text)) x
                 on m.kind = x.kind and m.code = x.code and m.source is not distinct from x.source and m.seller is not distinct from x.seller
                where m.program_id = ? and m.status = 'active' for update of m`,
              [JSON.stringify(parsed.map((p) => ({ kind: p.kind, code: p.code, source: p.source, seller: p.seller }))), input.programId],
            )
          : [];
        const have = new Map<string, MapRow[]>();
        for (const e of existing) {
          const k = keyOf({ programId: e.program_id, kind: e.kind, code: e.code, source: e.source, seller: e.seller });
          have.set(k, [...(have.get(k) ?? []), e]);
        }
        const creates: Parsed[] = [];
        const updates: { row: MapRow; p: Parsed }[] = [];
        for (const p of parsed) {
          const mine = have.get(keyOf(p)) ?? [];
          const same = mine.find((e) => iso(e.valid_from) === iso(p.validFrom));
          const clash = mine.find((e) => e !== same && overlaps(span(e.valid_from, e.valid_to), span(p.validFrom, p.validTo)));
          if (clash) {
            problems.push({ line: p.line, column: 'valid_from', reason: 'OVERLAP', params: { programSku: clash.program_sku } });
            continue;
          }
          if (!same) creates.push(p);
          else if (same.program_sku === p.programSku && same.category === p.category && iso(same.valid_to) === iso(p.validTo) && same.note === p.note) report.unchanged += 1;
          else updates.push({ row: same, p });
        }
        if (problems.length) return;
        report.created = creates.length;
        report.updated = updates.length;
        if (input.dryRun) return;
        const by = JSON.stringify(describeActor(ctx.actor));
        const ids = creates.map(() => uuidv7());
        if (creates.length) {
          await tx.em.execute(
            `insert into earning_sku_map (id, program_id, kind, code, source, seller, program_sku, category, valid_from, valid_to, status, note, created_by, created_at, updated_at)
             select x.id, ?, x.kind, x.code, x.source, x.seller, x.program_sku, x.category, x.valid_from, x.valid_to, 'active', x.note, ?::jsonb, now(), now()
               from jsonb_to_recordset(?::jsonb) as x(id uuid, kind text, code text, source text, seller text, program_sku text, category text, valid_from timestamptz, valid_to timestamptz, note text)`,
            [input.programId, by, JSON.stringify(creates.map((p, i) => ({ id: ids[i], kind: p.kind, code: p.code, source: p.source, seller: p.seller, program_sku: p.programSku, category: p.category, valid_from: p.validFrom, valid_to: p.validTo, note: p.note })))],
          );
        }
        if (updates.length) {
          await tx.em.execute(
            `update earning_sku_map m set program_sku = x.program_sku, category = x.category, valid_to = x.valid_to, note = x.note, updated_at = now()
               from jsonb_to_recordset(?::jsonb) as x(id uuid, program_sku text, category text, valid_to timestamptz, note text) where m.id = x.id`,
            [JSON.stringify(updates.map(({ row, p }) => ({ id: row.id, program_sku: p.programSku, category: p.category, valid_to: p.validTo, note: p.note })))],
          );
        }
        await markMapped(tx, creates.map((p, i) => ({ id: ids[i]!, ...p })));
        deps.audit().record(tx, {
          action: 'earning.sku-mapping.imported',
          subjectType: 'earning-sku-mapping-list',
          subjectId: input.programId,
          data: { rows: report.rows, created: report.created, updated: report.updated, unchanged: report.unchanged, createdIds: ids.slice(0, 1000), changes: updates.slice(0, 1000).map(({ row, p }) => ({ id: row.id, before: { programSku: row.program_sku, category: row.category, validTo: iso(row.valid_to), note: row.note }, after: { programSku: p.programSku, category: p.category, validTo: iso(p.validTo), note: p.note } })) },
        });
      };
      if (problems.length === 0) await ctx.em.transactional((em) => run({ ...ctx, em }));
      if (problems.length) {
        problems.sort((a, b) => a.line - b.line);
        throw new AppError('EARNING_SKU_IMPORT_INVALID', 422, {
          params: { count: problems.length },
          fields: problems.slice(0, 500).map((p) => ({ field: `/csv/${p.line}/${p.column}`, messageKey: `errors.EARNING_SKU_IMPORT_${p.reason}`, params: { line: p.line, column: p.column, ...p.params } })),
        });
      }
      return report;
    },

    /** Codes that came in unmapped, most recently seen first (open ones by default), by pages. */
    async listUnmapped(ctx: RequestContext, query: { programId: string; status?: 'open' | 'mapped'; q?: string; limit: number; offset: number }) {
      await deps.programs().get(ctx, query.programId);
      const like = query.q ? `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
      const where = `program_id = ? and status = ? and (?::text is null or seller_code ilike ? or gtin ilike ? or source ilike ? or seller ilike ?)`;
      const params = [query.programId, query.status ?? 'open', like, like, like, like, like];
      const [rows, [total]] = await Promise.all([
        ctx.em.execute<UnmappedRow[]>(`select * from earning_sku_unmapped where ${where} order by last_seen desc, id desc limit ? offset ?`, [...params, query.limit, query.offset]),
        ctx.em.execute<{ n: number }[]>(`select count(*)::int as n from earning_sku_unmapped where ${where}`, params),
      ]);
      return { items: rows.map(unmappedView), total: total!.n, limit: query.limit, offset: query.offset };
    },

    /**
     * Map an unmapped code in one step: a mapping of its seller code (else its GTIN) for its source (or, with
     * scope 'any', for every source) to the program SKU and category. Applies to events evaluated from now on.
     */
    async mapUnmapped(ctx: RequestContext, id: string, input: { programSku: string; category?: string | null; scope?: 'source' | 'seller' | 'any' }): Promise<SkuMappingView> {
      const [row] = await ctx.em.execute<UnmappedRow[]>(`select * from earning_sku_unmapped where id = ?`, [id]);
      if (!row) throw new AppError('EARNING_SKU_UNMAPPED_NOT_FOUND', 404, { params: { id } });
      const scope = input.scope ?? 'source';
      return create(
        ctx,
        {
          programId: row.program_id,
          ...(row.seller_code ? { sellerCode: row.seller_code } : { gtin: row.gtin }),
          source: scope === 'any' ? null : row.source,
          seller: scope === 'seller' && row.seller ? row.seller : null,
          programSku: input.programSku,
          category: input.category ?? null,
        },
        '/body',
      );
    },
  };
  return service;
}

export type SkuMappingService = ReturnType<typeof createSkuMappingService>;
export const skuMappingServiceRef = createServiceRef<SkuMappingService>('earning.sku-mapping-admin');

/** `skuMappingRef` of the plugin SDK: codes resolved through the program's table, all in one query, nothing recorded. */
export function createSkuMappingRef(): SkuMapping {
  const { resolveAll: resolve } = createSkuApplier();
  return {
    async resolve(ctx, input) {
      const at = input.at ?? new Date().toISOString();
      const codes = input.codes.map((c: SkuCode) => ({ sellerCode: c.sellerCode?.trim() || null, gtin: normalizeGtin(c.gtin) }));
      const found = await resolve(ctx, codes.map((c) => ({ programId: input.programId, source: input.source, seller: input.seller ?? null, at, ...c })));
      return found.map((m, i): SkuResolution =>
        m
          ? { sku: m.program_sku, category: m.category, mapping: { id: m.id, matchedBy: m.kind === 'gtin' ? 'gtin' : 'seller-code', source: m.source, seller: m.seller } }
          : { sku: codes[i]!.sellerCode ?? codes[i]!.gtin ?? '', category: null, mapping: null },
      );
    },
  };
}
