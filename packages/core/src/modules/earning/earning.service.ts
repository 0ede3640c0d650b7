import { createHash } from 'node:crypto';
import { AppError, LockMode, createServiceRef, describeActor, isAppError, type InferEntity, type RequestContext } from '@laurel/plugin-sdk';
import { UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { uuidv7 } from '../../platform/ids.ts';
import type { AccessService } from '../access/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { LedgerService } from '../ledger/index.ts';
import type { PartnerService, PartnerView } from '../partners/index.ts';
import type { ProgramService } from '../programs/index.ts';
import { EarningEvent, EarningRule, type EventStatus, type RuleStatus } from './earning.entity.ts';
import { computeInvoice, explanationLines, isCurrency, unknownOperatorOf, type Computation, type PartnerFacts, type RuleEffect, type RuleForEvaluation } from './earning.rules.ts';
import type { EarningEventInput, InvoiceIssuedEvent, InvoicePaidEvent } from './earning.schemas.ts';

type RuleRow = InferEntity<typeof EarningRule>;
type EventRow = InferEntity<typeof EarningEvent>;

/** What became of an event, as the inbox answers it (and answers it again on a replay). */
export interface EventOutcome {
  id: string;
  source: string;
  externalId: string;
  type: string;
  status: EventStatus;
  programId: string | null;
  partnerId: string | null;
  /** false on the first answer; true when this answer replays an earlier one. */
  replayed: boolean;
  /** Points earned (invoice.issued) or released to available (invoice.paid). */
  points: number;
  entries: { target: 'pending' | 'available'; entryId: number; points: number }[];
}

export interface EventView extends Omit<EventOutcome, 'replayed'> {
  occurredAt: string;
  payload: Record<string, unknown>;
  result: Record<string, unknown> | null;
  resolution: Record<string, unknown> | null;
  receivedAt: string;
  updatedAt: string;
}

export interface RuleView {
  id: string;
  programId: string;
  code: string;
  version: number;
  name: string;
  status: RuleStatus;
  validFrom: string;
  validTo: string | null;
  priority: number;
  eventTypes: string[];
  condition: unknown;
  effect: RuleEffect;
  createdAt: string;
  activatedAt: string | null;
}

export interface RuleInput {
  programId: string;
  code: string;
  name: string;
  validFrom: string;
  validTo?: string | null;
  priority?: number;
  eventTypes: string[];
  condition: unknown;
  effect: RuleEffect;
}

export type ResolveInput = { action: 'map'; partnerId: string } | { action: 'reject'; reason: string };

export interface EarningDeps {
  partners: () => PartnerService;
  programs: () => ProgramService;
  ledger: () => LedgerService;
  access: () => AccessService;
  audit: () => AuditService;
}

interface EventRecord {
  id: string;
  program_id: string | null;
  source: string;
  external_id: string;
  type: string;
  payload: EarningEventInput;
  payload_hash: string;
  status: EventStatus;
  partner_id: string | null;
  result: Record<string, unknown> | null;
  inserted?: boolean;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function invalid(code: string, field: string, params: Record<string, unknown> = {}, status = 422): AppError {
  return new AppError(code, status, { params, fields: [{ field, messageKey: `errors.${code}`, params }] });
}

function ruleView(row: RuleRow): RuleView {
  return {
    id: row.id,
    programId: row.programId,
    code: row.code,
    version: row.version,
    name: row.name,
    status: row.status,
    validFrom: row.validFrom.toISOString(),
    validTo: row.validTo?.toISOString() ?? null,
    priority: row.priority,
    eventTypes: row.eventTypes,
    condition: row.condition,
    effect: row.effect as unknown as RuleEffect,
    createdAt: row.createdAt.toISOString(),
    activatedAt: row.activatedAt?.toISOString() ?? null,
  };
}

function entriesOf(result: Record<string, unknown> | null): EventOutcome['entries'] {
  return (result?.entries as EventOutcome['entries'] | undefined) ?? [];
}

function outcomeOf(row: EventRecord, replayed: boolean): EventOutcome {
  return {
    id: row.id,
    source: row.source,
    externalId: row.external_id,
    type: row.type,
    status: row.status,
    programId: row.program_id,
    partnerId: row.partner_id,
    replayed,
    points: Number(row.result?.points ?? 0),
    entries: entriesOf(row.result),
  };
}

function eventView(row: EventRow): EventView {
  return {
    id: row.id,
    source: row.source,
    externalId: row.externalId,
    type: row.type,
    status: row.status,
    programId: row.programId ?? null,
    partnerId: row.partnerId ?? null,
    points: Number(row.result?.points ?? 0),
    entries: entriesOf(row.result ?? null),
    occurredAt: row.occurredAt.toISOString(),
    payload: row.payload,
    result: row.result ?? null,
    resolution: row.resolution ?? null,
    receivedAt: row.receivedAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function partnerFacts(p: PartnerView): PartnerFacts {
  return { id: p.id, partnerCode: p.partnerCode, type: p.type, country: p.country, region: p.region, salesChannel: p.salesChannel, segments: p.segments };
}

const digits = (s: string) => s.replace(/[^0-9]/g, '');
const compact = (s: string) => s.replace(/[\s.-]/g, '').toUpperCase();
const INDEX_TTL_MS = 5000;
const CONDITION_LIMIT = 20_000;

/**
 * Earning: the event inbox (idempotent by source and external id), partner matching, rules as data, the lifecycle of
 * an invoice's points in the ledger (issued → pending, paid → available) and the simulation of an event.
 */
export function createEarningService(deps: EarningDeps) {
  // REGON and foreign EU VAT numbers: the partners service searches neither, so each program's partners are indexed
  // by them from its listing, rebuilt at most every few seconds when a number is not found.
  const indexes = new Map<string, { at: number; regon: Map<string, string>; euVat: Map<string, string> }>();
  async function indexOf(ctx: RequestContext, programId: string, rebuild: boolean) {
    const cached = indexes.get(programId);
    if (cached && (!rebuild || Date.now() - cached.at < INDEX_TTL_MS)) return cached;
    const index = { at: Date.now(), regon: new Map<string, string>(), euVat: new Map<string, string>() };
    let cursor: string | undefined;
    do {
      const page = await deps.partners().list(ctx, { programId, limit: 200, ...(cursor ? { cursor } : {}) });
      for (const p of page.items) {
        if (p.regon) index.regon.set(p.regon, p.id);
        if (p.euVat) index.euVat.set(p.euVat, p.id);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    indexes.set(programId, index);
    return index;
  }

  async function byIndex(ctx: RequestContext, programId: string, kind: 'regon' | 'euVat', value: string): Promise<PartnerView | null> {
    for (const rebuild of [false, true]) {
      const id = (await indexOf(ctx, programId, rebuild))[kind].get(value);
      if (id) {
        const p = await deps.partners().get(ctx, id).catch(() => null);
        if (p && p[kind] === value && p.programId === programId) return p;
      }
    }
    return null;
  }

  async function searchOne(ctx: RequestContext, programId: string, q: string, pick: (p: PartnerView) => boolean): Promise<PartnerView | null> {
    const page = await deps.partners().list(ctx, { programId, q, limit: 20 });
    return page.items.find(pick) ?? null;
  }

  function programOf(ctx: RequestContext, event: { programId?: string }, prefix: string): string | null {
    const keyProgram = ctx.actor.kind === 'api-key' ? ctx.actor.programId : null;
    if (event.programId && keyProgram && event.programId !== keyProgram) throw invalid('EARNING_PROGRAM_MISMATCH', `${prefix}/programId`, { programId: event.programId });
    return event.programId ?? keyProgram ?? null;
  }

  /** The partner an event names, through the partners service; null when none matches. */
  async function match(ctx: RequestContext, programId: string | null, who: InvoiceIssuedEvent['partner'], prefix: string): Promise<PartnerView | null> {
    if (who.partnerId) {
      const p = await deps.partners().get(ctx, who.partnerId).catch((error: unknown) => {
        if (isAppError(error) && error.status === 404) return null;
        throw error;
      });
      return p && (!programId || p.programId === programId) ? p : null;
    }
    if (!programId) throw invalid('EARNING_PROGRAM_REQUIRED', `${prefix}/programId`);
    const euVat = who.euVat ? compact(who.euVat) : null;
    const nip = who.nip ? digits(who.nip) : euVat?.startsWith('PL') ? digits(euVat) : null;
    if (nip) return nip.length === 10 ? searchOne(ctx, programId, nip, (p) => p.nip === nip) : null;
    if (euVat) return byIndex(ctx, programId, 'euVat', euVat);
    if (who.regon) return byIndex(ctx, programId, 'regon', digits(who.regon));
    const code = who.partnerCode!;
    return searchOne(ctx, programId, code, (p) => p.partnerCode === code);
  }

  async function rulesOf(ctx: RequestContext, programId: string): Promise<RuleForEvaluation[]> {
    const rows = await ctx.em.find(EarningRule, { programId, status: 'active' });
    return rows.map((r) => ({ id: r.id, code: r.code, version: r.version, priority: r.priority, validFrom: r.validFrom, validTo: r.validTo ?? null, eventTypes: r.eventTypes, condition: r.condition, effect: r.effect as unknown as RuleEffect }));
  }

  /** The partner, program and computation of an issued invoice; refuses what cannot earn. */
  async function evaluate(ctx: RequestContext, event: InvoiceIssuedEvent, partner: PartnerView, prefix: string): Promise<Computation> {
    if (partner.status !== 'active') throw new AppError('EARNING_PARTNER_NOT_ACTIVE', 409, { params: { partnerCode: partner.partnerCode, status: partner.status } });
    const program = await deps.programs().get(ctx, partner.programId);
    if (event.currency !== program.currency) throw invalid('EARNING_CURRENCY_NOT_PROGRAM', `${prefix}/currency`, { currency: event.currency, programCurrency: program.currency });
    const computation = computeInvoice(await rulesOf(ctx, program.id), event, partnerFacts(partner));
    if (!Number.isSafeInteger(computation.points)) throw new AppError('EARNING_POINTS_TOO_LARGE', 422, { params: { points: String(computation.points) } });
    return computation;
  }

  async function repOf(ctx: RequestContext, partner: PartnerView, event: InvoiceIssuedEvent): Promise<{ repUserId: string | null; note: string | null }> {
    if (event.repUserId) return { repUserId: event.repUserId, note: null };
    if (!event.repEmail) return { repUserId: null, note: null };
    const user = await deps.access().findUserByEmail(ctx, event.repEmail);
    if (user && user.kind === 'partner' && user.partnerId === partner.id) return { repUserId: user.id, note: null };
    return { repUserId: null, note: 'rep-unknown' };
  }

  async function processIssued(ctx: RequestContext, row: EventRecord, event: InvoiceIssuedEvent, prefix: string) {
    const partner = row.partner_id ? await deps.partners().get(ctx, row.partner_id) : await match(ctx, row.program_id, event.partner, prefix);
    if (!partner) return { status: 'unmatched' as const, programId: row.program_id, partnerId: null, result: { points: 0, entries: [] } };
    const computation = await evaluate(ctx, event, partner, prefix);
    const rep = await repOf(ctx, partner, event);
    const entries: EventOutcome['entries'] = [];
    for (const target of ['pending', 'available'] as const) {
      const points = computation[target];
      if (points === 0) continue;
      const lines = explanationLines(computation, target);
      const rules = [...new Map(lines.flatMap((l) => l.fired).map((f) => [f.ruleId, { ruleId: f.ruleId, code: f.code, version: f.version }])).values()];
      const entry = await deps.ledger().earn(ctx, {
        partnerId: partner.id,
        points,
        idempotencyKey: `earning:${row.id}:${target}`,
        pending: target === 'pending',
        earnedAt: new Date(event.occurredAt),
        ...(rep.repUserId ? { repUserId: rep.repUserId } : {}),
        explanation: { rule: 'earning', eventId: row.id, eventType: event.type, source: event.source, externalId: event.externalId, invoice: event.number, currency: event.currency, rules, lines },
      });
      entries.push({ target, entryId: entry.entryId, points });
    }
    return {
      status: 'processed' as const,
      programId: partner.programId,
      partnerId: partner.id,
      result: { points: computation.points, pending: computation.pending, available: computation.available, entries, ...(rep.note ? { rep: rep.note } : {}) },
    };
  }

  async function processPaid(ctx: RequestContext, row: EventRecord, event: InvoicePaidEvent, prefix: string) {
    const [issued] = await ctx.em.execute<EventRecord[]>(`select * from earning_event where source = ? and external_id = ? and type = 'invoice.issued'`, [event.source, event.invoiceExternalId]);
    const params = { source: event.source, invoiceExternalId: event.invoiceExternalId };
    if (!issued || (row.program_id && issued.program_id && issued.program_id !== row.program_id)) throw invalid('EARNING_INVOICE_UNKNOWN', `${prefix}/invoiceExternalId`, params, 409);
    if (issued.status !== 'processed') throw invalid('EARNING_INVOICE_NOT_PROCESSED', `${prefix}/invoiceExternalId`, { ...params, status: issued.status }, 409);
    const pending = entriesOf(issued.result).find((e) => e.target === 'pending');
    const base = { programId: issued.program_id, partnerId: issued.partner_id };
    if (!pending) return { status: 'processed' as const, ...base, result: { points: 0, entries: [], invoiceEventId: issued.id } };
    try {
      const release = await deps.ledger().releasePending(ctx, {
        partnerId: issued.partner_id!,
        earnEntryId: pending.entryId,
        idempotencyKey: `earning:${row.id}:release`,
        explanation: { rule: 'earning', eventId: row.id, eventType: event.type, source: event.source, externalId: event.externalId, invoiceEventId: issued.id, invoiceExternalId: event.invoiceExternalId, paidAt: event.occurredAt },
      });
      const points = release.postings.filter((p) => p.amount > 0).reduce((s, p) => s + p.amount, 0);
      return { status: 'processed' as const, ...base, result: { points, entries: [{ target: 'available' as const, entryId: release.entryId, points }], invoiceEventId: issued.id } };
    } catch (error) {
      if (isAppError(error) && error.code === 'LEDGER_RELEASE_EXCEEDS_PENDING') throw invalid('EARNING_INVOICE_ALREADY_PAID', `${prefix}/invoiceExternalId`, params, 409);
      throw error;
    }
  }

  async function update(ctx: RequestContext, id: string, status: EventStatus, patch: { programId?: string | null; partnerId?: string | null; result: Record<string, unknown> }): Promise<EventRecord> {
    const [row] = await ctx.em.execute<EventRecord[]>(
      `update earning_event set status = ?, program_id = coalesce(?, program_id), partner_id = coalesce(?, partner_id), result = ?::jsonb, updated_at = now()
        where id = ? and status <> 'rejected' returning *`,
      [status, patch.programId ?? null, patch.partnerId ?? null, JSON.stringify(patch.result), id],
    );
    return row!;
  }

  /** Process a stored event (again): idempotent, since every ledger entry's key derives from the event. */
  async function process(ctx: RequestContext, row: EventRecord, prefix: string): Promise<EventOutcome> {
    try {
      const event = row.payload;
      const done = event.type === 'invoice.issued' ? await processIssued(ctx, row, event, prefix) : await processPaid(ctx, row, event, prefix);
      return outcomeOf(await update(ctx, row.id, done.status, done), false);
    } catch (error) {
      if (isAppError(error) && error.status < 500) {
        const problem = { code: error.code, status: error.status, params: error.params, fields: error.fields };
        await update(ctx, row.id, 'refused', { result: { points: 0, entries: [], problem } });
      }
      throw error;
    }
  }

  /** Store the event, or find the one stored under its key. */
  async function claim(ctx: RequestContext, event: EarningEventInput, programId: string | null, hash: string): Promise<EventRecord> {
    const now = new Date();
    const [inserted] = await ctx.em.execute<EventRecord[]>(
      `insert into earning_event (id, program_id, source, external_id, type, occurred_at, payload, payload_hash, status, received_by, received_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?::jsonb, ?, 'received', ?::jsonb, ?, ?)
       on conflict (source, external_id) do nothing returning *`,
      [uuidv7(), programId, event.source, event.externalId, event.type, new Date(event.occurredAt), JSON.stringify(event), hash, JSON.stringify(describeActor(ctx.actor)), now, now],
    );
    if (inserted) return { ...inserted, inserted: true };
    const [existing] = await ctx.em.execute<EventRecord[]>(`select * from earning_event where source = ? and external_id = ?`, [event.source, event.externalId]);
    return { ...existing!, inserted: false };
  }

  function checkIssued(event: InvoiceIssuedEvent, prefix: string) {
    if (!isCurrency(event.currency)) throw invalid('EARNING_CURRENCY_UNKNOWN', `${prefix}/currency`, { currency: event.currency });
  }

  async function loadRule(ctx: RequestContext, id: string): Promise<RuleRow> {
    const row = await ctx.em.findOne(EarningRule, { id });
    if (!row) throw new AppError('EARNING_RULE_NOT_FOUND', 404, { params: { id } });
    return row;
  }

  const service = {
    /**
     * Take one event: store it under (source, externalId) and process it. A replay returns the first result; the
     * same key with a different body is a 409. `prefix` is the JSON path of the event in the request (for errors).
     */
    async ingest(ctx: RequestContext, event: EarningEventInput, prefix = '/body'): Promise<EventOutcome> {
      if (event.type === 'invoice.issued') checkIssued(event, prefix);
      const programId = programOf(ctx, event, prefix);
      const hash = createHash('sha256').update(canonical(event)).digest('hex');
      const row = await claim(ctx, event, programId, hash);
      if (!row.inserted) {
        if (row.payload_hash !== hash) throw new AppError('EARNING_EVENT_CONFLICT', 409, { params: { source: event.source, externalId: event.externalId, id: row.id } });
        if (row.status === 'processed' || row.status === 'unmatched') return outcomeOf(row, true);
        if (row.status === 'rejected') throw new AppError('EARNING_EVENT_REJECTED', 409, { params: { id: row.id, reason: String((row as unknown as { resolution?: { reason?: string } }).resolution?.reason ?? '') } });
        // received (interrupted) or refused: process again.
      }
      return process(ctx, row, prefix);
    },

    /** What an invoice would earn, line by line, with the rules that fired and why the others did not; posts nothing. */
    async simulate(ctx: RequestContext, event: EarningEventInput, prefix = '/body') {
      if (event.type !== 'invoice.issued') throw invalid('EARNING_SIMULATE_TYPE', `${prefix}/type`, { types: 'invoice.issued' });
      checkIssued(event, prefix);
      const programId = programOf(ctx, event, prefix);
      const partner = await match(ctx, programId, event.partner, prefix);
      if (!partner) {
        if (!programId) throw invalid('EARNING_PROGRAM_REQUIRED', `${prefix}/programId`);
        const program = await deps.programs().get(ctx, programId);
        if (event.currency !== program.currency) throw invalid('EARNING_CURRENCY_NOT_PROGRAM', `${prefix}/currency`, { currency: event.currency, programCurrency: program.currency });
        const computation = computeInvoice(await rulesOf(ctx, programId), event, null);
        return { partner: null, programId, ...computation, explanation: { pending: explanationLines(computation, 'pending'), available: explanationLines(computation, 'available') } };
      }
      const computation = await evaluate(ctx, event, partner, prefix);
      return {
        partner: { id: partner.id, partnerCode: partner.partnerCode, legalName: partner.legalName },
        programId: partner.programId,
        ...computation,
        explanation: { pending: explanationLines(computation, 'pending'), available: explanationLines(computation, 'available') },
      };
    },

    async getEvent(ctx: RequestContext, id: string): Promise<EventView> {
      const row = await ctx.em.findOne(EarningEvent, { id });
      if (!row) throw new AppError('EARNING_EVENT_NOT_FOUND', 404, { params: { id } });
      return eventView(row);
    },

    /** Events, newest first (keyset by id): by status (the unmatched queue), program, source. */
    async listEvents(ctx: RequestContext, query: { status?: EventStatus; programId?: string; source?: string; limit: number; before?: string }) {
      const where: Record<string, unknown> = {};
      if (query.status) where.status = query.status;
      if (query.programId) where.programId = query.programId;
      if (query.source) where.source = query.source;
      if (query.before) where.id = { $lt: query.before };
      const rows = await ctx.em.find(EarningEvent, where, { orderBy: { id: 'desc' }, limit: query.limit + 1 });
      const page = rows.slice(0, query.limit);
      return { items: page.map(eventView), nextBefore: rows.length > query.limit ? page[page.length - 1]!.id : null };
    },

    /** An admin maps an unmatched event to a partner (then it is processed) or rejects it with a reason; audited. */
    async resolve(ctx: RequestContext, id: string, input: ResolveInput): Promise<EventOutcome> {
      const at = new Date();
      const resolved = await ctx.em.transactional(async (em) => {
        const tx = { ...ctx, em };
        const row = await em.findOne(EarningEvent, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
        if (!row) throw new AppError('EARNING_EVENT_NOT_FOUND', 404, { params: { id } });
        if (row.status !== 'unmatched') throw new AppError('EARNING_EVENT_NOT_UNMATCHED', 409, { params: { id, status: row.status } });
        const by = describeActor(ctx.actor);
        if (input.action === 'reject') {
          row.status = 'rejected';
          row.resolution = { action: 'reject', reason: input.reason, by, at: at.toISOString() };
          row.updatedAt = at;
          deps.audit().record(tx, { action: 'earning.event.rejected', subjectType: 'earning-event', subjectId: id, data: { source: row.source, externalId: row.externalId, reason: input.reason } });
          return row;
        }
        const partner = await deps.partners().get(tx, input.partnerId).catch((error: unknown) => {
          if (isAppError(error) && error.status === 404) throw invalid('EARNING_PARTNER_UNKNOWN', '/body/partnerId', { partnerId: input.partnerId });
          throw error;
        });
        if (row.programId && row.programId !== partner.programId) throw invalid('EARNING_PARTNER_OTHER_PROGRAM', '/body/partnerId', { partnerId: input.partnerId });
        row.status = 'received';
        row.partnerId = partner.id;
        row.programId = partner.programId;
        row.resolution = { action: 'map', partnerId: partner.id, by, at: at.toISOString() };
        row.updatedAt = at;
        deps.audit().record(tx, { action: 'earning.event.mapped', subjectType: 'earning-event', subjectId: id, data: { source: row.source, externalId: row.externalId, partnerId: partner.id, identifiers: (row.payload as { partner?: unknown }).partner ?? null } });
        return row;
      });
      const record: EventRecord = {
        id: resolved.id,
        program_id: resolved.programId ?? null,
        source: resolved.source,
        external_id: resolved.externalId,
        type: resolved.type,
        payload: resolved.payload as unknown as EarningEventInput,
        payload_hash: resolved.payloadHash,
        status: resolved.status,
        partner_id: resolved.partnerId ?? null,
        result: resolved.result ?? null,
      };
      if (input.action === 'reject') return outcomeOf(record, false);
      return process(ctx, record, '/event');
    },

    async createRule(ctx: RequestContext, input: RuleInput): Promise<RuleView> {
      await deps.programs().get(ctx, input.programId);
      const size = JSON.stringify(input.condition ?? null).length;
      if (size > CONDITION_LIMIT) throw invalid('EARNING_CONDITION_TOO_LARGE', '/body/condition', { limit: CONDITION_LIMIT });
      const operator = unknownOperatorOf(input.condition);
      if (operator) throw invalid('EARNING_CONDITION_OPERATOR', '/body/condition', { operator });
      const validFrom = new Date(input.validFrom);
      const validTo = input.validTo ? new Date(input.validTo) : null;
      if (validTo && validTo <= validFrom) throw invalid('EARNING_RULE_PERIOD', '/body/validTo', { validFrom: input.validFrom, validTo: input.validTo });
      for (let attempt = 0; ; attempt += 1) {
        const [last] = await ctx.em.execute<{ v: number | null }[]>(`select max(version) as v from earning_rule where program_id = ? and code = ?`, [input.programId, input.code]);
        const row = ctx.em.create(EarningRule, {
          id: uuidv7(),
          programId: input.programId,
          code: input.code,
          version: Number(last?.v ?? 0) + 1,
          name: input.name,
          status: 'draft',
          validFrom,
          validTo,
          priority: input.priority ?? 0,
          eventTypes: [...new Set(input.eventTypes)],
          condition: input.condition,
          effect: input.effect as unknown as Record<string, unknown>,
          createdBy: describeActor(ctx.actor),
          createdAt: new Date(),
          activatedAt: null,
        });
        ctx.em.persist(row);
        deps.audit().record(ctx, { action: 'earning.rule.created', subjectType: 'earning-rule', subjectId: row.id, data: { after: ruleView(row) } });
        try {
          await ctx.em.flush();
          return ruleView(row);
        } catch (error) {
          ctx.em.clear();
          if (error instanceof UniqueConstraintViolationException && attempt < 3) continue; // two new versions at once
          throw error;
        }
      }
    },

    async listRules(ctx: RequestContext, query: { programId?: string; status?: RuleStatus; code?: string }): Promise<RuleView[]> {
      const where: Record<string, unknown> = {};
      if (query.programId) where.programId = query.programId;
      if (query.status) where.status = query.status;
      if (query.code) where.code = query.code;
      return (await ctx.em.find(EarningRule, where, { orderBy: { code: 'asc', version: 'desc' }, limit: 1000 })).map(ruleView);
    },

    async getRule(ctx: RequestContext, id: string): Promise<RuleView> {
      return ruleView(await loadRule(ctx, id));
    },

    /** A draft goes live; refused while another active version of the same code covers an overlapping period. */
    async activateRule(ctx: RequestContext, id: string): Promise<RuleView> {
      return ctx.em.transactional(async (em) => {
        const row = await em.findOne(EarningRule, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
        if (!row) throw new AppError('EARNING_RULE_NOT_FOUND', 404, { params: { id } });
        if (row.status !== 'draft') throw new AppError('EARNING_RULE_NOT_DRAFT', 409, { params: { code: row.code, version: row.version, status: row.status } });
        const others = await em.find(EarningRule, { programId: row.programId, code: row.code, status: 'active', id: { $ne: row.id } });
        const overlap = others.find((o) => (o.validTo === null || o.validTo === undefined || o.validTo > row.validFrom) && (row.validTo === null || row.validTo === undefined || row.validTo > o.validFrom));
        if (overlap) throw new AppError('EARNING_RULE_OVERLAP', 409, { params: { code: row.code, other: overlap.version } });
        row.status = 'active';
        row.activatedAt = new Date();
        deps.audit().record({ ...ctx, em }, { action: 'earning.rule.activated', subjectType: 'earning-rule', subjectId: row.id, data: { code: row.code, version: row.version } });
        return ruleView(row);
      });
    },

    /** An active rule stops applying to any event (also to events dated in its period that arrive later). */
    async retireRule(ctx: RequestContext, id: string): Promise<RuleView> {
      return ctx.em.transactional(async (em) => {
        const row = await em.findOne(EarningRule, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
        if (!row) throw new AppError('EARNING_RULE_NOT_FOUND', 404, { params: { id } });
        if (row.status !== 'active') throw new AppError('EARNING_RULE_NOT_ACTIVE', 409, { params: { code: row.code, version: row.version, status: row.status } });
        row.status = 'retired';
        deps.audit().record({ ...ctx, em }, { action: 'earning.rule.retired', subjectType: 'earning-rule', subjectId: row.id, data: { code: row.code, version: row.version } });
        return ruleView(row);
      });
    },
  };
  return service;
}

export type EarningService = ReturnType<typeof createEarningService>;
export const earningServiceRef = createServiceRef<EarningService>('earning.service');
