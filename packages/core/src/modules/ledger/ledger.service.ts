import { createHash } from 'node:crypto';
import { AppError, createServiceRef, describeActor, type RequestContext } from '@laurel/plugin-sdk';
import type { AuditService } from '../audit/index.ts';
import type { PartnerService } from '../partners/index.ts';
import { LedgerAccount } from './ledger.entity.ts';

export const WALLET_CODES = ['pending', 'available', 'reserved'] as const;
export const PROGRAM_CODES = ['issued', 'redeemed', 'expired', 'adjustment'] as const;
export type WalletCode = (typeof WALLET_CODES)[number];
export type ProgramCode = (typeof PROGRAM_CODES)[number];
export type EntryKind = 'earn' | 'earn_pending' | 'release_pending' | 'reserve' | 'capture' | 'release_hold' | 'expire' | 'reversal' | 'adjustment';

export interface Posting {
  accountId: number;
  amount: number;
  balanceAfter: number;
}

export interface EntryResult {
  entryId: number;
  /** false when this call replayed an earlier one with the same idempotency key. */
  created: boolean;
  postings: Posting[];
}

export interface Balances {
  partnerId: string;
  unit: 'PTS';
  pending: number;
  available: number;
  reserved: number;
}

export interface StatementLine {
  entryId: number;
  postedAt: string;
  kind: EntryKind;
  account: WalletCode;
  amount: number;
  balanceAfter: number;
  explanation: Record<string, unknown>;
  reason: string | null;
  reversesEntryId: number | null;
}

interface PostInput {
  programId: string;
  idempotencyKey: string;
  kind: EntryKind;
  postings: { accountId: number; amount: number }[];
  explanation?: Record<string, unknown>;
  reason?: string | null;
  reversesEntryId?: number | null;
}

interface PostResult {
  status: 'created' | 'replayed' | 'conflict' | 'rejected';
  entryId?: number;
  postings?: { a: number; d: number; balanceAfter: number }[];
  code?: string;
  accountId?: number;
  shortBy?: number;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function points(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new AppError('LEDGER_AMOUNT_INVALID', 422, { params: { value }, fields: [{ field, messageKey: 'errors.LEDGER_AMOUNT_INVALID', params: { value } }] });
  }
  return value;
}

export interface LedgerDeps {
  partners: () => PartnerService;
  audit: () => AuditService;
}

/**
 * The points ledger: double-entry, append-only, integer amounts, idempotent entries, guarded balances.
 * Every operation is one call of the `ledger_post` database function (one round trip).
 */
export function createLedgerService(deps: LedgerDeps) {
  /** Shards of the hot program accounts (see migration 0004); everything else has one account. */
  const SHARDS: Record<string, number> = { issued: 16, redeemed: 16 };

  async function ensureAccounts(ctx: RequestContext, programId: string, partnerId: string | null): Promise<Record<string, number>> {
    const codes: readonly string[] = partnerId ? WALLET_CODES : PROGRAM_CODES;
    const holder = partnerId ? 'partner' : 'program';
    const wanted = codes.flatMap((code) => Array.from({ length: partnerId ? 1 : (SHARDS[code] ?? 1) }, (_, shard) => ({ code, shard })));
    const key = (code: string, shard: number) => (shard === 0 ? code : `${code}#${shard}`);
    const rows = await ctx.em.execute<{ id: string; code: string; shard: number }[]>(
      `with wanted as (select w.code, w.shard::smallint as shard from jsonb_to_recordset(?::jsonb) as w(code text, shard int)),
            ins as (
              insert into ledger_account (program_id, holder, partner_id, code, unit, guarded, shard)
              select ?, ?, ?, code, 'PTS', ?, shard from wanted
              on conflict do nothing returning id, code, shard, guarded
            ),
            bal as (insert into ledger_balance (account_id, guarded) select id, guarded from ins returning account_id)
       select id::text, code, shard from ins
       union all
       select a.id::text, a.code, a.shard from ledger_account a join wanted w on w.code = a.code and w.shard = a.shard
        where a.program_id = ? and a.holder = ? and a.partner_id is not distinct from ? and a.user_id is null and a.unit = 'PTS'`,
      [JSON.stringify(wanted), programId, holder, partnerId, partnerId !== null, programId, holder, partnerId],
    );
    const found: Record<string, number> = Object.fromEntries(rows.map((r) => [key(r.code, r.shard), Number(r.id)]));
    if (wanted.some((w) => found[key(w.code, w.shard)] === undefined)) {
      // A concurrent request created some of them after this statement's snapshot: read them again.
      const again = await ctx.em.execute<{ id: string; code: string; shard: number }[]>(
        `select id::text, code, shard from ledger_account where program_id = ? and holder = ? and partner_id is not distinct from ? and user_id is null and unit = 'PTS' and code in (?)`,
        [programId, holder, partnerId, [...codes]],
      );
      for (const r of again) found[key(r.code, r.shard)] = Number(r.id);
      if (wanted.some((w) => found[key(w.code, w.shard)] === undefined)) throw new Error(`ledger accounts ${codes.join(', ')} could not be created for program ${programId}`);
    }
    return found;
  }

  /** The shard of a hot program account an entry uses: chosen from its idempotency key, so a replay is identical. */
  function shardOf(program: Record<string, number>, code: 'issued' | 'redeemed', idempotencyKey: string): number {
    const n = SHARDS[code] ?? 1;
    const shard = createHash('sha256').update(idempotencyKey).digest().readUInt32BE(0) % n;
    return program[shard === 0 ? code : `${code}#${shard}`]!;
  }

  // Account ids never change once created, so a partner's wallet is looked up once per process.
  const wallets = new Map<string, { programId: string; accounts: Record<string, number>; program: Record<string, number> }>();

  async function wallet(ctx: RequestContext, partnerId: string) {
    const cached = wallets.get(partnerId);
    // The system and unscoped staff may use the cache directly; anyone else reads the partner through its service,
    // which applies partner and program scope (a foreign partner is a 404).
    const unscoped = ctx.actor.kind === 'system' || ((ctx.actor.kind === 'user' || ctx.actor.kind === 'api-key') && !('partnerId' in ctx.actor && ctx.actor.partnerId) && !('programIds' in ctx.actor && ctx.actor.programIds) && !('programId' in ctx.actor && ctx.actor.programId));
    if (cached && unscoped) return cached;
    const partner = await deps.partners().get(ctx, partnerId);
    if (cached) return cached;
    const accounts = await ensureAccounts(ctx, partner.programId, partner.id);
    const program = await ensureAccounts(ctx, partner.programId, null);
    const found = { programId: partner.programId, accounts, program };
    wallets.set(partnerId, found);
    return found;
  }

  function requestHash(input: Omit<PostInput, 'programId' | 'idempotencyKey'>): string {
    const request = { kind: input.kind, postings: [...input.postings].sort((a, b) => a.accountId - b.accountId), explanation: input.explanation ?? {}, reason: input.reason ?? null, reverses: input.reversesEntryId ?? null };
    return createHash('sha256').update(canonical(request)).digest('hex');
  }

  function outcome(r: PostResult, key: string): EntryResult {
    if (r.status === 'conflict') throw new AppError('LEDGER_IDEMPOTENCY_CONFLICT', 409, { params: { key, entryId: r.entryId } });
    if (r.status === 'rejected') throw new AppError('LEDGER_INSUFFICIENT_BALANCE', 409, { params: { shortBy: r.shortBy } });
    return { entryId: Number(r.entryId), created: r.status === 'created', postings: (r.postings ?? []).map((p) => ({ accountId: Number(p.a), amount: Number(p.d), balanceAfter: Number(p.balanceAfter) })) };
  }

  async function post(ctx: RequestContext, input: PostInput): Promise<EntryResult> {
    const hash = requestHash(input);
    const [row] = await ctx.em.execute<{ r: PostResult }[]>(`select ledger_post(?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?) as r`, [
      input.programId,
      input.idempotencyKey,
      hash,
      input.kind,
      JSON.stringify(input.postings.map((p) => ({ a: p.accountId, d: p.amount }))),
      JSON.stringify(input.explanation ?? {}),
      JSON.stringify(describeActor(ctx.actor)),
      input.reason ?? null,
      input.reversesEntryId ?? null,
    ]).catch((error: unknown) => {
      if (String((error as Error).message).includes('ledger_entry_reverses_uq')) throw new AppError('LEDGER_ALREADY_REVERSED', 409, { params: { id: input.reversesEntryId } });
      throw error;
    });
    return outcome(row!.r, input.idempotencyKey);
  }

  const service = {
    /** Credit earned points: to `available`, or to `pending` until, say, the invoice is paid. */
    async earn(ctx: RequestContext, input: { partnerId: string; points: number; idempotencyKey: string; pending?: boolean; explanation?: Record<string, unknown> }) {
      const amount = points(input.points, '/body/points');
      const w = await wallet(ctx, input.partnerId);
      const target = input.pending ? w.accounts.pending! : w.accounts.available!;
      return post(ctx, { programId: w.programId, idempotencyKey: input.idempotencyKey, kind: input.pending ? 'earn_pending' : 'earn', explanation: input.explanation, postings: [{ accountId: shardOf(w.program, 'issued', input.idempotencyKey), amount: -amount }, { accountId: target, amount }] });
    },

    async releasePending(ctx: RequestContext, input: { partnerId: string; points: number; idempotencyKey: string; explanation?: Record<string, unknown> }) {
      const amount = points(input.points, '/body/points');
      const w = await wallet(ctx, input.partnerId);
      return post(ctx, { programId: w.programId, idempotencyKey: input.idempotencyKey, kind: 'release_pending', explanation: input.explanation, postings: [{ accountId: w.accounts.pending!, amount: -amount }, { accountId: w.accounts.available!, amount }] });
    },

    /**
     * Earn for many partners of one program in one round trip (e.g. every line of an invoice batch). Returns, per
     * item and in order, the entry or the error that refused it; a refused item does not stop the others.
     */
    async earnMany(
      ctx: RequestContext,
      items: { partnerId: string; points: number; idempotencyKey: string; pending?: boolean; explanation?: Record<string, unknown> }[],
    ): Promise<({ ok: true; entry: EntryResult } | { ok: false; error: AppError })[]> {
      if (items.length === 0) return [];
      const wallets = await Promise.all(items.map((item) => wallet(ctx, item.partnerId)));
      const programId = wallets[0]!.programId;
      if (wallets.some((w) => w.programId !== programId)) throw new AppError('LEDGER_BATCH_MIXED_PROGRAMS', 422);
      const entries = items.map((item, i) => {
        const amount = points(item.points, `/items/${i}/points`);
        const w = wallets[i]!;
        const debit = shardOf(w.program, 'issued', item.idempotencyKey);
        const credit = item.pending ? w.accounts.pending! : w.accounts.available!;
        const input = { kind: (item.pending ? 'earn_pending' : 'earn') as EntryKind, explanation: item.explanation, postings: [{ accountId: debit, amount: -amount }, { accountId: credit, amount }] };
        return { key: item.idempotencyKey, hash: requestHash(input), kind: input.kind, explanation: input.explanation ?? {}, debit, credit, amount, postings: input.postings.map((p) => ({ a: p.accountId, d: p.amount })) };
      });
      const actor = JSON.stringify(describeActor(ctx.actor));
      // Set-based first (one statement per step for the whole batch); item by item when it declines.
      const [fast] = await ctx.em.execute<{ r: { status: 'created' | 'replayed' | 'conflict'; entryId: number }[] | null }[]>(
        `select ledger_earn_batch(?, ?::jsonb, ?::jsonb) as r`,
        [programId, JSON.stringify(entries.map(({ postings: _p, ...e }) => e)), actor],
      );
      const rows: PostResult[] = fast?.r
        ? fast.r.map((r) => ({ status: r.status, entryId: r.entryId, postings: [] }))
        : ((await ctx.em.execute<{ r: PostResult[] }[]>(`select ledger_post_batch(?, ?::jsonb, ?::jsonb) as r`, [programId, JSON.stringify(entries), actor]))[0]!.r);
      return rows.map((r, i) => {
        try {
          return { ok: true as const, entry: outcome(r, items[i]!.idempotencyKey) };
        } catch (error) {
          return { ok: false as const, error: error as AppError };
        }
      });
    },

    /** Hold points for a redemption (available → reserved); refused if that would overspend. */
    async reserve(ctx: RequestContext, input: { partnerId: string; points: number; idempotencyKey: string; explanation?: Record<string, unknown> }) {
      const amount = points(input.points, '/body/points');
      const w = await wallet(ctx, input.partnerId);
      return post(ctx, { programId: w.programId, idempotencyKey: input.idempotencyKey, kind: 'reserve', explanation: input.explanation, postings: [{ accountId: w.accounts.available!, amount: -amount }, { accountId: w.accounts.reserved!, amount }] });
    },

    async capture(ctx: RequestContext, input: { partnerId: string; points: number; idempotencyKey: string; explanation?: Record<string, unknown> }) {
      const amount = points(input.points, '/body/points');
      const w = await wallet(ctx, input.partnerId);
      return post(ctx, { programId: w.programId, idempotencyKey: input.idempotencyKey, kind: 'capture', explanation: input.explanation, postings: [{ accountId: w.accounts.reserved!, amount: -amount }, { accountId: shardOf(w.program, 'redeemed', input.idempotencyKey), amount }] });
    },

    async releaseHold(ctx: RequestContext, input: { partnerId: string; points: number; idempotencyKey: string; explanation?: Record<string, unknown> }) {
      const amount = points(input.points, '/body/points');
      const w = await wallet(ctx, input.partnerId);
      return post(ctx, { programId: w.programId, idempotencyKey: input.idempotencyKey, kind: 'release_hold', explanation: input.explanation, postings: [{ accountId: w.accounts.reserved!, amount: -amount }, { accountId: w.accounts.available!, amount }] });
    },

    /** A manual adjustment by an admin (positive credits, negative debits the available balance); needs a reason. */
    async adjust(ctx: RequestContext, input: { partnerId: string; points: number; reason: string; idempotencyKey: string }) {
      if (!Number.isSafeInteger(input.points) || input.points === 0) {
        throw new AppError('LEDGER_AMOUNT_INVALID', 422, { params: { value: input.points }, fields: [{ field: '/body/points', messageKey: 'errors.LEDGER_AMOUNT_INVALID', params: { value: input.points } }] });
      }
      const w = await wallet(ctx, input.partnerId);
      const result = await post(ctx, {
        programId: w.programId,
        idempotencyKey: input.idempotencyKey,
        kind: 'adjustment',
        reason: input.reason,
        postings: [{ accountId: w.program.adjustment!, amount: -input.points }, { accountId: w.accounts.available!, amount: input.points }],
      });
      if (result.created) {
        deps.audit().record(ctx, { action: 'ledger.entry.adjusted', subjectType: 'partner', subjectId: input.partnerId, data: { entryId: result.entryId, points: input.points, reason: input.reason } });
        await ctx.em.flush();
      }
      return result;
    },

    /** Reverse an entry in full with a reason: a new entry with every posting negated. */
    async reverse(ctx: RequestContext, input: { entryId: number; reason: string; idempotencyKey: string }) {
      const rows = await ctx.em.execute<{ program_id: string; account_id: string; amount: string; kind: string; partner_id: string | null }[]>(
        `select e.program_id, p.account_id::text, p.amount::text, e.kind, a.partner_id
           from ledger_entry e join ledger_posting p on p.entry_id = e.id join ledger_account a on a.id = p.account_id
          where e.id = ?`,
        [input.entryId],
      );
      if (rows.length === 0) throw new AppError('LEDGER_ENTRY_NOT_FOUND', 404, { params: { id: input.entryId } });
      // Scope: the entry's partner must be reachable by the caller.
      const partnerId = rows.find((r) => r.partner_id)?.partner_id;
      if (partnerId) await deps.partners().get(ctx, partnerId);
      if (rows[0]!.kind === 'reversal') throw new AppError('LEDGER_REVERSAL_OF_REVERSAL', 409, { params: { id: input.entryId } });
      const [previous] = await ctx.em.execute<{ idempotency_key: string }[]>(`select idempotency_key from ledger_entry where reverses_entry_id = ?`, [input.entryId]);
      if (previous && previous.idempotency_key !== input.idempotencyKey) throw new AppError('LEDGER_ALREADY_REVERSED', 409, { params: { id: input.entryId } });
      const result = await post(ctx, {
        programId: rows[0]!.program_id,
        idempotencyKey: input.idempotencyKey,
        kind: 'reversal',
        reason: input.reason,
        reversesEntryId: input.entryId,
        postings: rows.map((r) => ({ accountId: Number(r.account_id), amount: -Number(r.amount) })),
      });
      if (result.created) {
        deps.audit().record(ctx, { action: 'ledger.entry.reversed', subjectType: 'ledger-entry', subjectId: String(input.entryId), data: { reversalEntryId: result.entryId, reason: input.reason } });
        await ctx.em.flush();
      }
      return result;
    },

    async balances(ctx: RequestContext, partnerId: string): Promise<Balances> {
      await deps.partners().get(ctx, partnerId);
      const accounts = await ctx.em.find(LedgerAccount, { partnerId, holder: 'partner', unit: 'PTS' });
      const out: Balances = { partnerId, unit: 'PTS', pending: 0, available: 0, reserved: 0 };
      if (accounts.length === 0) return out;
      const rows = await ctx.em.execute<{ account_id: string; balance: string }[]>(`select account_id::text, balance::text from ledger_balance where account_id in (?)`, [accounts.map((a) => a.id)]);
      const byId = new Map(accounts.map((a) => [Number(a.id), a.code as WalletCode]));
      for (const r of rows) out[byId.get(Number(r.account_id))!] = Number(r.balance);
      return out;
    },

    /** A partner's statement, newest first, with the "why" of every entry; keyset-paginated by entry id. */
    async statement(ctx: RequestContext, partnerId: string, query: { limit: number; before?: number }): Promise<{ items: StatementLine[]; nextBefore: number | null }> {
      await deps.partners().get(ctx, partnerId);
      const accounts = await ctx.em.find(LedgerAccount, { partnerId, holder: 'partner' });
      if (accounts.length === 0) return { items: [], nextBefore: null };
      const rows = await ctx.em.execute<{ entry_id: string; posted_at: Date; kind: EntryKind; account_id: string; amount: string; balance_after: string; explanation: Record<string, unknown>; reason: string | null; reverses_entry_id: string | null }[]>(
        `select p.entry_id::text, e.posted_at, e.kind, p.account_id::text, p.amount::text, p.balance_after::text, e.explanation, e.reason, e.reverses_entry_id::text
           from ledger_posting p join ledger_entry e on e.id = p.entry_id
          where p.account_id in (?) ${query.before ? 'and p.entry_id < ?' : ''}
          order by p.entry_id desc, p.account_id
          limit ?`,
        query.before ? [accounts.map((a) => a.id), query.before, query.limit + 1] : [accounts.map((a) => a.id), query.limit + 1],
      );
      const byId = new Map(accounts.map((a) => [Number(a.id), a.code as WalletCode]));
      const page = rows.slice(0, query.limit);
      return {
        items: page.map((r) => ({
          entryId: Number(r.entry_id),
          postedAt: new Date(r.posted_at).toISOString(),
          kind: r.kind,
          account: byId.get(Number(r.account_id))!,
          amount: Number(r.amount),
          balanceAfter: Number(r.balance_after),
          explanation: r.explanation,
          reason: r.reason,
          reversesEntryId: r.reverses_entry_id ? Number(r.reverses_entry_id) : null,
        })),
        nextBefore: rows.length > query.limit ? Number(page[page.length - 1]!.entry_id) : null,
      };
    },
  };
  return service;
}

export type LedgerService = ReturnType<typeof createLedgerService>;
export const ledgerServiceRef = createServiceRef<LedgerService>('ledger.service');
