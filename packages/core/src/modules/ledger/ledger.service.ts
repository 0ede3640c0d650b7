import { createHash } from 'node:crypto';
import { AppError, createServiceRef, describeActor, type RequestContext } from '@laurel/plugin-sdk';
import type { AccessService } from '../access/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { PartnerService } from '../partners/index.ts';
import type { ProgramService } from '../programs/index.ts';
import { LedgerAccount } from './ledger.entity.ts';
import { lotExpiry, type LotExpiryPolicy } from './ledger.expiry.ts';

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
  /** The entry's id; for a reservation it is also the id of the hold it opened. */
  entryId: number;
  /** false when this call replayed an earlier one with the same idempotency key. */
  created: boolean;
  postings: Posting[];
}

export interface Balances {
  partnerId: string;
  /** `PTS`, or an ISO 4217 currency for cash (rebates, MDF); amounts are integers in the unit's minor units. */
  unit: string;
  /** Decimal places of the unit's minor units (0 for points, 2 for PLN, 0 for JPY, 3 for KWD). */
  scale: number;
  pending: number;
  available: number;
  reserved: number;
  /** Available points that expire within the next 90 days. */
  expiringSoon: number;
  /** The soonest expiry date of available points, with how many expire then; null when none expire. */
  nextExpiry: { expiresAt: string; points: number } | null;
}

export interface Lot {
  /** The entry that brought the points in. */
  entryId: number;
  kind: EntryKind;
  earnedAt: string;
  amount: number;
  remaining: number;
  expiresAt: string | null;
  explanation: Record<string, unknown>;
}

export interface Hold {
  holdId: number;
  partnerId: string;
  amount: number;
  captured: number;
  state: 'open' | 'captured' | 'released' | 'expired';
  expiresAt: string;
  resolveEntryId: number | null;
}

/** Lot and hold effects of an entry, applied by `ledger_post` under the same locks (see migration 0007). */
type Op =
  | { op: 'lot'; a: number; n: number; exp: string | null }
  | { op: 'consume'; a: number; n: number; own?: number; due?: string }
  | { op: 'restore'; a: number; n: number; group: number }
  | { op: 'hold_open'; avail: number; reserved: number; n: number; exp: string }
  | { op: 'hold_close'; hold: number; state: 'captured' | 'released' | 'expired'; captured: number }
  | { op: 'hold_check'; hold: number; mode: 'capture' | 'release' | 'expire' }
  | { op: 'pending_cap'; earn: number; n: number };

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
  refEntryId?: number | null;
  ops?: Op[];
  /**
   * What the caller asked for, when the postings follow from the ledger's state rather than from the request alone
   * (a capture, a release, a reversal): the idempotency hash covers this instead, so a replay matches.
   */
  request?: Record<string, unknown>;
}

interface PostResult {
  status: 'created' | 'replayed' | 'conflict' | 'rejected';
  entryId?: number;
  postings?: { a: number; d: number; balanceAfter: number }[];
  code?: string;
  accountId?: number;
  shortBy?: number;
  remaining?: number;
  holdId?: number;
  state?: string;
  expiresAt?: string;
}

function canonical(value: unknown): string {
  // Keys sorted, undefined members left out; the same text as mapping Object.entries, in a plain loop (it hashes every
  // entry's request, explanation included).
  if (Array.isArray(value)) {
    let s = '[';
    for (let i = 0; i < value.length; i += 1) {
      if (i > 0) s += ',';
      const c = canonical(value[i]) as string | undefined;
      if (c !== undefined) s += c;
    }
    return `${s}]`;
  }
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    let s = '{';
    let first = true;
    for (const k of keys) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined) continue;
      s += `${first ? '' : ','}${JSON.stringify(k)}:${canonical(v)}`;
      first = false;
    }
    return `${s}}`;
  }
  return JSON.stringify(value);
}

function points(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new AppError('LEDGER_AMOUNT_INVALID', 422, { params: { value }, fields: [{ field, messageKey: 'errors.LEDGER_AMOUNT_INVALID', params: { value } }] });
  }
  return value;
}

/**
 * Scale an entry's postings down to a reversal of `amount` out of `base` (its volume), moving the other way:
 * credits and debits are each apportioned by largest remainder, so the reversal balances and never exceeds the
 * original on any account.
 */
export function prorate<T extends { amount: number }>(postings: T[], amount: number, base: number): T[] {
  const side = (sign: 1 | -1) => {
    const items = postings.filter((p) => Math.sign(p.amount) === sign);
    // Integer arithmetic throughout: |posting| × amount can pass 2^53.
    const share = items.map((p, i) => {
      const numerator = BigInt(Math.abs(p.amount)) * BigInt(amount);
      return { i, floor: Number(numerator / BigInt(base)), remainder: numerator % BigInt(base) };
    });
    let left = amount - share.reduce((sum, s) => sum + s.floor, 0);
    for (const s of [...share].sort((a, b) => (b.remainder > a.remainder ? 1 : b.remainder < a.remainder ? -1 : a.i - b.i))) {
      if (left <= 0) break;
      s.floor += 1;
      left -= 1;
    }
    return items.map((p, i) => ({ ...p, amount: -sign * share[i]!.floor }));
  };
  return [...side(1), ...side(-1)].filter((p) => p.amount !== 0);
}

/** An earning to one wallet, as the fast path takes it. */
interface FastEarn {
  key: string;
  hash: string;
  kind: EntryKind;
  debit: number;
  credit: number;
  amount: number;
  explanation: Record<string, unknown>;
  actor: unknown;
  lot: boolean;
  exp: string | null;
}

export interface EarnInput {
  partnerId: string;
  points: number;
  idempotencyKey: string;
  /** To `pending` (until, say, the invoice is paid) instead of `available`. */
  pending?: boolean;
  explanation?: Record<string, unknown>;
  /** When the points were earned (the invoice date, say): expiry counts from it. Default: now. */
  earnedAt?: Date;
  /** The partner's person who made the sale: gets the program's rep share in their own wallet (points only). */
  repUserId?: string;
  /** `PTS` (default) or an ISO 4217 currency: `points` is then an amount in that currency's minor units. */
  unit?: string;
}

/** The accounts of a wallet: the company's, or one person's. */
function walletWhere(partnerId: string, userId: string | null, unit = 'PTS') {
  return userId ? { partnerId, userId, holder: 'rep' as const, unit } : { partnerId, holder: 'partner' as const, unit };
}

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/** The unit of an amount: points, or an ISO 4217 currency (cash: rebates, MDF budgets). */
export function unitOf(unit: string | undefined, field = '/body/unit'): string {
  if (unit === undefined || unit === 'PTS') return 'PTS';
  if (/^[A-Z]{3}$/.test(unit) && CURRENCIES.has(unit)) return unit;
  throw new AppError('LEDGER_UNIT_INVALID', 422, { params: { unit }, fields: [{ field, messageKey: 'errors.LEDGER_UNIT_INVALID', params: { unit } }] });
}

/** Decimal places of a unit's minor units: 0 for points; the currency's own (2 for PLN and EUR, 0 for JPY). */
export function scaleOf(unit: string): number {
  if (unit === 'PTS') return 0;
  return new Intl.NumberFormat('en', { style: 'currency', currency: unit }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** An earning dated other than now (an invoice date, say) says so in its explanation; expiry counts from it. */
function withEarnedAt(explanation: Record<string, unknown> | undefined, earnedAt: Date | undefined): Record<string, unknown> | undefined {
  return earnedAt ? { ...explanation, earnedAt: earnedAt.toISOString() } : explanation;
}

export interface LedgerDeps {
  partners: () => PartnerService;
  access: () => AccessService;
  programs: () => ProgramService;
  audit: () => AuditService;
}

/** How long a reservation holds points when the caller names no expiry. */
const DEFAULT_HOLD_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * The points ledger: double-entry, append-only, integer amounts, idempotent entries, guarded balances.
 * Every operation is one call of the `ledger_post` database function (one round trip).
 */
export function createLedgerService(deps: LedgerDeps) {
  /** Shards of the hot program accounts (see migration 0004); everything else has one account. */
  const SHARDS: Record<string, number> = { issued: 16, redeemed: 16 };

  async function ensureAccounts(ctx: RequestContext, programId: string, partnerId: string | null, userId: string | null = null, unit = 'PTS'): Promise<Record<string, number>> {
    const codes: readonly string[] = partnerId ? WALLET_CODES : PROGRAM_CODES;
    const holder = userId ? 'rep' : partnerId ? 'partner' : 'program';
    const wanted = codes.flatMap((code) => Array.from({ length: partnerId ? 1 : (SHARDS[code] ?? 1) }, (_, shard) => ({ code, shard })));
    const key = (code: string, shard: number) => (shard === 0 ? code : `${code}#${shard}`);
    // Usually they exist: one read, no insert attempt.
    const existing = await ctx.em.execute<{ id: string; code: string; shard: number }[]>(
      `select id::text, code, shard from ledger_account where program_id = ? and holder = ? and partner_id is not distinct from ? and user_id is not distinct from ?::uuid and unit = ?`,
      [programId, holder, partnerId, userId, unit],
    );
    const have: Record<string, number> = Object.fromEntries(existing.map((r) => [key(r.code, r.shard), Number(r.id)]));
    if (wanted.every((w) => have[key(w.code, w.shard)] !== undefined)) return have;
    const rows = await ctx.em.execute<{ id: string; code: string; shard: number }[]>(
      `with wanted as (select w.code, w.shard::smallint as shard from jsonb_to_recordset(?::jsonb) as w(code text, shard int)),
            ins as (
              insert into ledger_account (program_id, holder, partner_id, user_id, code, unit, guarded, shard)
              select ?, ?, ?, ?::uuid, code, ?, ?, shard from wanted
              on conflict do nothing returning id, code, shard, guarded
            ),
            bal as (insert into ledger_balance (account_id, guarded) select id, guarded from ins returning account_id)
       select id::text, code, shard from ins
       union all
       select a.id::text, a.code, a.shard from ledger_account a join wanted w on w.code = a.code and w.shard = a.shard
        where a.program_id = ? and a.holder = ? and a.partner_id is not distinct from ? and a.user_id is not distinct from ?::uuid and a.unit = ?`,
      [JSON.stringify(wanted), programId, holder, partnerId, userId, unit, partnerId !== null, programId, holder, partnerId, userId, unit],
    );
    const found: Record<string, number> = Object.fromEntries(rows.map((r) => [key(r.code, r.shard), Number(r.id)]));
    if (wanted.some((w) => found[key(w.code, w.shard)] === undefined)) {
      // A concurrent request created some of them after this statement's snapshot: read them again.
      const again = await ctx.em.execute<{ id: string; code: string; shard: number }[]>(
        `select id::text, code, shard from ledger_account where program_id = ? and holder = ? and partner_id is not distinct from ? and user_id is not distinct from ?::uuid and unit = ? and code in (?)`,
        [programId, holder, partnerId, userId, unit, [...codes]],
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
  const programAccounts = new Map<string, Record<string, number>>();
  const creating = new Map<string, Promise<{ programId: string; accounts: Record<string, number>; program: Record<string, number>; programKey: string }>>();

  /**
   * A wallet: the company's, or with `userId` the wallet of one of its people (a sales rep). Created on first use.
   */
  async function wallet(ctx: RequestContext, partnerId: string, userId: string | null = null, unit = 'PTS') {
    const cacheKey = `${partnerId}:${userId ?? ''}:${unit}`;
    const cached = wallets.get(cacheKey);
    // The system and unscoped staff may use the cache directly; anyone else reads the partner through its service,
    // which applies partner and program scope (a foreign partner is a 404).
    if (cached && unscoped(ctx)) return cached;
    const partner = await deps.partners().get(ctx, partnerId);
    if (cached) return cached;
    if (userId) {
      const people = await deps.access().listUsers(ctx, { kind: 'partner', partnerId });
      if (!people.some((u) => u.id === userId)) {
        throw new AppError('LEDGER_REP_NOT_OF_PARTNER', 422, { params: { userId }, fields: [{ field: '/body/repUserId', messageKey: 'errors.LEDGER_REP_NOT_OF_PARTNER', params: { userId } }] });
      }
    }
    const lookup = async () => {
      const accounts = await ensureAccounts(ctx, partner.programId, partner.id, userId, unit);
      const programKey = `${partner.programId}:${unit}`;
      const program = programAccounts.get(programKey) ?? (await ensureAccounts(ctx, partner.programId, null, null, unit));
      return { programId: partner.programId, accounts, program, programKey };
    };
    // Accounts created inside a caller's transaction exist only if it commits: nothing of it is remembered.
    if (ctx.em.isInTransaction()) return lookup();
    // Concurrent first uses of one wallet (the pending and available earnings of one invoice, say) share one lookup.
    let pending = creating.get(cacheKey);
    if (!pending) {
      pending = lookup()
        .then((found) => {
          programAccounts.set(found.programKey, found.program);
          wallets.set(cacheKey, found);
          return found;
        })
        .finally(() => creating.delete(cacheKey));
      creating.set(cacheKey, pending);
    }
    return pending;
  }

  function requestHash(input: Omit<PostInput, 'programId' | 'idempotencyKey'>): string {
    const request = input.request
      ? { kind: input.kind, request: input.request }
      : { kind: input.kind, postings: [...input.postings].sort((a, b) => a.accountId - b.accountId), explanation: input.explanation ?? {}, reason: input.reason ?? null, reverses: input.reversesEntryId ?? null };
    return createHash('sha256').update(canonical(request)).digest('hex');
  }

  function outcome(r: PostResult, key: string): EntryResult {
    if (r.status === 'conflict') throw new AppError('LEDGER_IDEMPOTENCY_CONFLICT', 409, { params: { key, entryId: r.entryId } });
    if (r.status === 'rejected') {
      switch (r.code) {
        case 'LEDGER_INSUFFICIENT_BALANCE':
          throw new AppError('LEDGER_INSUFFICIENT_BALANCE', 409, { params: { shortBy: r.shortBy } });
        case 'LEDGER_HOLD_EXPIRED':
          throw new AppError('LEDGER_HOLD_EXPIRED', 409, { params: { id: r.holdId, expiresAt: r.expiresAt } });
        case 'LEDGER_HOLD_NOT_OPEN':
          throw new AppError('LEDGER_HOLD_NOT_OPEN', 409, { params: { id: r.holdId, state: r.state } });
        case 'LEDGER_HOLD_NOT_DUE':
          throw new AppError('LEDGER_HOLD_NOT_DUE', 409, { params: { id: r.holdId, expiresAt: r.expiresAt } });
        case 'LEDGER_HOLD_NOT_FOUND':
          throw new AppError('LEDGER_HOLD_NOT_FOUND', 404, { params: { id: r.holdId } });
        case 'LEDGER_RELEASE_EXCEEDS_PENDING':
          throw new AppError('LEDGER_RELEASE_EXCEEDS_PENDING', 409, { params: { id: r.entryId, remaining: r.remaining } });
        case 'LEDGER_REVERSAL_EXCEEDS_ORIGINAL':
          throw new AppError('LEDGER_REVERSAL_EXCEEDS_ORIGINAL', 409, { params: { remaining: r.remaining } });
        default:
          throw new Error(`ledger_post refused with ${r.code}`);
      }
    }
    return { entryId: Number(r.entryId), created: r.status === 'created', postings: (r.postings ?? []).map((p) => ({ accountId: Number(p.a), amount: Number(p.d), balanceAfter: Number(p.balanceAfter) })) };
  }

  async function post(ctx: RequestContext, input: PostInput): Promise<EntryResult> {
    const hash = requestHash(input);
    const [row] = await ctx.em.execute<{ r: PostResult }[]>(`select ledger_post(?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?, ?, ?::jsonb) as r`, [
      input.programId,
      input.idempotencyKey,
      hash,
      input.kind,
      JSON.stringify(input.postings.map((p) => ({ a: p.accountId, d: p.amount }))),
      JSON.stringify(input.explanation ?? {}),
      JSON.stringify(describeActor(ctx.actor)),
      input.reason ?? null,
      input.reversesEntryId ?? null,
      input.refEntryId ?? null,
      input.ops?.length ? JSON.stringify(input.ops) : null,
    ]);
    return outcome(row!.r, input.idempotencyKey);
  }

  /** An entry already posted under this key: its replay, or a 409 when the request differs. Null when the key is new. */
  async function replayOf(ctx: RequestContext, programId: string, input: Omit<PostInput, 'programId' | 'postings'> & { postings?: PostInput['postings'] }): Promise<EntryResult | null> {
    const [row] = await ctx.em.execute<{ r: PostResult }[]>(
      `select ledger_replay(id, request_hash, ?) as r from ledger_entry where program_id = ? and idempotency_key = ?`,
      [requestHash({ ...input, postings: input.postings ?? [] }), programId, input.idempotencyKey],
    );
    return row ? outcome(row.r, input.idempotencyKey) : null;
  }

  // A program's expiry and split policies and time zone, re-read every few seconds (they change rarely; each earning
  // needs them).
  const policies = new Map<string, { at: number; policy: LotExpiryPolicy; timeZone: string; repPercent: number }>();
  async function policyOf(ctx: RequestContext, programId: string) {
    let cached = policies.get(programId);
    if (!cached || Date.now() - cached.at > 5000) {
      const program = await deps.programs().get(ctx, programId);
      cached = { at: Date.now(), policy: program.expiryPolicy, timeZone: program.timeZone, repPercent: program.repSplitPolicy?.repPercent ?? 0 };
      policies.set(programId, cached);
    }
    return cached;
  }
  // Expiry dates fall on local midnights, which are whole minutes in every time zone: one answer per minute.
  const expiries = new Map<string, string | null>();
  async function expiryOf(ctx: RequestContext, programId: string, earnedAt: Date): Promise<string | null> {
    const cached = await policyOf(ctx, programId);
    const key = `${programId}|${cached.at}|${Math.floor(earnedAt.getTime() / 60_000)}`;
    let found = expiries.get(key);
    if (found === undefined) {
      if (expiries.size > 10_000) expiries.clear();
      found = lotExpiry(cached.policy, earnedAt, cached.timeZone)?.toISOString() ?? null;
      expiries.set(key, found);
    }
    return found;
  }

  /**
   * The postings and lots of an earning: the company's wallet gets the points, less the rep's share when the
   * earning names the selling rep and the program splits (the rep gets floor(points × repPercent / 100)).
   */
  async function earning(ctx: RequestContext, item: EarnInput) {
    const amount = points(item.points, '/body/points');
    const unit = unitOf(item.unit);
    const w = await wallet(ctx, item.partnerId, null, unit);
    const code = item.pending ? 'pending' : 'available';
    // The rep split and expiry are point policies; cash (a rebate, say) goes to the company and does not expire.
    const repPercent = item.repUserId && unit === 'PTS' ? (await policyOf(ctx, w.programId)).repPercent : 0;
    const repShare = Math.floor((amount * repPercent) / 100);
    const r = repShare > 0 ? await wallet(ctx, item.partnerId, item.repUserId!) : null;
    const credits = [{ accountId: w.accounts[code]!, amount: amount - repShare }, ...(r ? [{ accountId: r.accounts[code]!, amount: repShare }] : [])].filter((c) => c.amount > 0);
    const exp = item.pending || unit !== 'PTS' ? null : await expiryOf(ctx, w.programId, item.earnedAt ?? new Date());
    const explanation = withEarnedAt(item.explanation, item.earnedAt);
    return {
      programId: w.programId,
      kind: (item.pending ? 'earn_pending' : 'earn') as EntryKind,
      explanation: r ? { ...explanation, repUserId: item.repUserId, repPercent } : explanation,
      postings: [{ accountId: shardOf(w.program, 'issued', item.idempotencyKey), amount: -amount }, ...credits],
      ops: item.pending ? [] : credits.map((c): Op => ({ op: 'lot', a: c.accountId, n: c.amount, exp })),
      exp,
      // The idempotency hash covers what the caller asked for, not the split the policy made of it.
      request: { partnerId: item.partnerId, points: amount, ...(unit === 'PTS' ? {} : { unit }), pending: item.pending ?? false, explanation: item.explanation ?? {}, earnedAt: item.earnedAt?.toISOString() ?? null, repUserId: item.repUserId ?? null },
    };
  }

  /** Whether the caller may act on a partner's wallet; the system and unscoped staff always may. */
  function unscoped(ctx: RequestContext): boolean {
    const actor = ctx.actor as { kind: string; partnerId?: string | null; programIds?: unknown; programId?: unknown };
    return actor.kind === 'system' || ((actor.kind === 'user' || actor.kind === 'api-key') && !actor.partnerId && !actor.programIds && !actor.programId);
  }

  async function loadHold(ctx: RequestContext, holdId: number) {
    const [row] = await ctx.em.execute<{ program_id: string; partner_id: string; unit: string; available_account_id: string; reserved_account_id: string; amount: string; captured: string; state: Hold['state']; expires_at: Date; resolve_entry_id: string | null }[]>(
      `select a.program_id, a.partner_id, a.unit, h.available_account_id::text, h.reserved_account_id::text, h.amount::text, h.captured::text, h.state, h.expires_at, h.resolve_entry_id::text
         from ledger_hold h join ledger_account a on a.id = h.available_account_id where h.reserve_entry_id = ?`,
      [holdId],
    );
    if (!row) throw new AppError('LEDGER_HOLD_NOT_FOUND', 404, { params: { id: holdId } });
    if (!unscoped(ctx)) await deps.partners().get(ctx, row.partner_id);
    return { ...row, available: Number(row.available_account_id), reserved: Number(row.reserved_account_id), amount: Number(row.amount), captured: Number(row.captured) };
  }

  /** Close a hold: capture `captured` of it (0 releases it all) and give the rest back to the lots it took. */
  async function closeHold(ctx: RequestContext, input: { holdId: number; idempotencyKey: string; captured: number; mode: 'capture' | 'release' | 'expire'; explanation?: Record<string, unknown>; request: Record<string, unknown> }) {
    const hold = await loadHold(ctx, input.holdId);
    const replay = await replayOf(ctx, hold.program_id, { idempotencyKey: input.idempotencyKey, kind: input.mode === 'capture' ? 'capture' : 'release_hold', request: input.request });
    if (replay) return replay;
    if (input.captured > hold.amount) {
      throw new AppError('LEDGER_CAPTURE_EXCEEDS_HOLD', 422, { params: { points: input.captured, held: hold.amount }, fields: [{ field: '/body/points', messageKey: 'errors.LEDGER_CAPTURE_EXCEEDS_HOLD', params: { points: input.captured, held: hold.amount } }] });
    }
    const rest = hold.amount - input.captured;
    const w = await wallet(ctx, hold.partner_id, null, hold.unit);
    const postings = [{ accountId: hold.reserved, amount: -hold.amount }];
    if (input.captured > 0) postings.push({ accountId: shardOf(w.program, 'redeemed', input.idempotencyKey), amount: input.captured });
    if (rest > 0) postings.push({ accountId: hold.available, amount: rest });
    const ops: Op[] = [{ op: 'hold_check', hold: input.holdId, mode: input.mode }];
    if (rest > 0) ops.push({ op: 'restore', a: hold.available, n: rest, group: input.holdId });
    ops.push({ op: 'hold_close', hold: input.holdId, state: input.mode === 'capture' ? 'captured' : input.mode === 'expire' ? 'expired' : 'released', captured: input.captured });
    return post(ctx, {
      programId: hold.program_id,
      idempotencyKey: input.idempotencyKey,
      kind: input.mode === 'capture' ? 'capture' : 'release_hold',
      explanation: input.explanation ?? (input.mode === 'expire' ? { rule: 'hold-expiry' } : undefined),
      postings,
      refEntryId: input.holdId,
      ops,
      request: input.request,
    });
  }

  /*
   * Group commit. Earnings that arrive in the same turn of the event loop, each outside any transaction of its
   * caller, go to the database together: one round trip and one commit for the group, each earning still its own
   * entry with its own idempotency and result. If the group fails as a whole (an unexpected error), each earning is
   * posted on its own, so one bad earning cannot fail the others.
   */
  let group: { ctx: RequestContext; programId: string; args: FastEarn; resolve: (r: PostResult) => void; reject: (e: unknown) => void }[] | null = null;
  const GROUP_MAX = 500;

  function earnOne(ctx: RequestContext, programId: string, a: FastEarn): Promise<PostResult> {
    return ctx.em
      .execute<{ r: PostResult }[]>(`select ledger_earn(?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?) as r`, [
        programId,
        a.key,
        a.hash,
        a.kind,
        a.debit,
        a.credit,
        a.amount,
        JSON.stringify(a.explanation),
        JSON.stringify(a.actor),
        a.lot,
        a.exp,
      ])
      .then((rows) => rows[0]!.r);
  }

  function fastEarn(ctx: RequestContext, programId: string, args: FastEarn): Promise<PostResult> {
    if (ctx.em.isInTransaction()) return earnOne(ctx, programId, args);
    return new Promise((resolve, reject) => {
      if (!group) {
        group = [];
        setImmediate(() => void flushGroup());
      }
      group.push({ ctx, programId, args, resolve, reject });
    });
  }

  async function flushGroup(): Promise<void> {
    const queue = group ?? [];
    group = null;
    await Promise.all(
      Array.from({ length: Math.ceil(queue.length / GROUP_MAX) }, async (_, chunk) => {
        const part = queue.slice(chunk * GROUP_MAX, (chunk + 1) * GROUP_MAX);
        const one = async (q: (typeof part)[number]) => {
          try {
            q.resolve(await earnOne(q.ctx, q.programId, q.args));
          } catch (error) {
            q.reject(error);
          }
        };
        if (part.length === 1) return one(part[0]!);
        try {
          const [row] = await part[0]!.ctx.em.execute<{ r: PostResult[] }[]>(`select ledger_earn_group(?::jsonb) as r`, [JSON.stringify(part.map((q) => ({ program: q.programId, ...q.args })))]);
          part.forEach((q, k) => q.resolve(row!.r[k]!));
        } catch {
          await Promise.all(part.map(one));
        }
      }),
    );
  }

  const service = {
    /**
     * Credit earned points: to `available` (a lot with the program's expiry date, counted from `earnedAt`), or to
     * `pending` until, say, the invoice is paid.
     */
    async earn(ctx: RequestContext, input: EarnInput) {
      const e = await earning(ctx, input);
      const entry = { programId: e.programId, idempotencyKey: input.idempotencyKey, kind: e.kind, explanation: e.explanation, postings: e.postings, ops: e.ops, request: e.request };
      if (e.postings.length !== 2) return post(ctx, entry);
      // One wallet: the fast path (migrations 0010 and 0011), grouped with the earnings arriving at the same moment.
      const args: FastEarn = {
        key: input.idempotencyKey,
        hash: requestHash(entry),
        kind: e.kind,
        debit: e.postings[0]!.accountId,
        credit: e.postings[1]!.accountId,
        amount: e.postings[1]!.amount,
        explanation: e.explanation ?? {},
        actor: describeActor(ctx.actor),
        lot: !input.pending,
        exp: e.exp,
      };
      try {
        return outcome(await fastEarn(ctx, e.programId, args), input.idempotencyKey);
      } catch (error) {
        // The same key posted at the same moment by a batch (which does not queue on the key): answer as a replay.
        if ((error as { code?: string }).code !== '23505') throw error;
        const replay = await replayOf(ctx, e.programId, entry);
        if (!replay) throw error;
        return replay;
      }
    },

    /**
     * Release pending points to available (the invoice was paid). With `earnEntryId` the release is tied to that
     * pending earning: never more than it still has pending (by default all of it), shared between the company's
     * and the rep's wallets as the earning was, and each lot expires counting from when the points were earned.
     */
    async releasePending(ctx: RequestContext, input: { partnerId: string; points?: number; idempotencyKey: string; earnEntryId?: number; userId?: string; unit?: string; explanation?: Record<string, unknown> }) {
      const unit = unitOf(input.unit);
      const w = await wallet(ctx, input.partnerId, null, unit);
      const request = { partnerId: input.partnerId, points: input.points ?? null, earnEntryId: input.earnEntryId ?? null, userId: input.userId ?? null, ...(unit === 'PTS' ? {} : { unit }), explanation: input.explanation ?? {} };
      if (input.earnEntryId === undefined) {
        const amount = points(input.points ?? 0, '/body/points');
        const target = input.userId ? await wallet(ctx, input.partnerId, input.userId, unit) : w;
        return post(ctx, {
          programId: w.programId,
          idempotencyKey: input.idempotencyKey,
          kind: 'release_pending',
          explanation: input.explanation,
          postings: [{ accountId: target.accounts.pending!, amount: -amount }, { accountId: target.accounts.available!, amount }],
          ops: [{ op: 'lot', a: target.accounts.available!, n: amount, exp: unit === 'PTS' ? await expiryOf(ctx, w.programId, new Date()) : null }],
          request,
        });
      }
      const replay = await replayOf(ctx, w.programId, { idempotencyKey: input.idempotencyKey, kind: 'release_pending', request });
      if (replay) return replay;
      // What the earning still has pending, per wallet, and the available account each releases to.
      const parts = await ctx.em.execute<{ pending_id: string; available_id: string; remaining: string; earned_at: Date }[]>(
        `select p.account_id::text as pending_id, av.id::text as available_id, coalesce((e.explanation->>'earnedAt')::timestamptz, e.posted_at) as earned_at,
                (p.amount + coalesce((select sum(q.amount) from ledger_entry f join ledger_posting q on q.entry_id = f.id
                                       where (f.ref_entry_id = e.id or f.reverses_entry_id = e.id) and q.account_id = p.account_id), 0))::text as remaining
           from ledger_entry e join ledger_posting p on p.entry_id = e.id join ledger_account a on a.id = p.account_id
           join ledger_account av on av.program_id = a.program_id and av.holder = a.holder and av.partner_id = a.partner_id
                                 and av.user_id is not distinct from a.user_id and av.unit = a.unit and av.code = 'available'
          where e.id = ? and e.kind = 'earn_pending' and a.code = 'pending' and a.partner_id = ? order by p.account_id`,
        [input.earnEntryId, input.partnerId],
      );
      if (parts.length === 0) throw new AppError('LEDGER_ENTRY_NOT_FOUND', 404, { params: { id: input.earnEntryId } });
      const left = parts.map((p) => ({ ...p, amount: Number(p.remaining) }));
      const total = left.reduce((sum, p) => sum + Math.max(p.amount, 0), 0);
      const amount = input.points === undefined ? total : points(input.points, '/body/points');
      if (amount === 0 || amount > total) throw new AppError('LEDGER_RELEASE_EXCEEDS_PENDING', 409, { params: { id: input.earnEntryId, remaining: total } });
      const shares = prorate(left.filter((p) => p.amount > 0), amount, total).map((p) => ({ ...p, amount: -p.amount }));
      const exp = unit === 'PTS' ? await expiryOf(ctx, w.programId, new Date(parts[0]!.earned_at)) : null;
      return post(ctx, {
        programId: w.programId,
        idempotencyKey: input.idempotencyKey,
        kind: 'release_pending',
        explanation: input.explanation,
        postings: shares.flatMap((p) => [{ accountId: Number(p.pending_id), amount: -p.amount }, { accountId: Number(p.available_id), amount: p.amount }]),
        refEntryId: input.earnEntryId,
        ops: [{ op: 'pending_cap', earn: input.earnEntryId, n: amount }, ...shares.map((p): Op => ({ op: 'lot', a: Number(p.available_id), n: p.amount, exp }))],
        request,
      });
    },

    /**
     * Earn for many partners of one program in one round trip (e.g. every line of an invoice batch). Returns, per
     * item and in order, the entry or the error that refused it; a refused item does not stop the others.
     */
    async earnMany(ctx: RequestContext, items: EarnInput[]): Promise<({ ok: true; entry: EntryResult } | { ok: false; error: AppError })[]> {
      if (items.length === 0) return [];
      items.forEach((item, i) => points(item.points, `/items/${i}/points`));
      const earnings = await Promise.all(items.map((item) => earning(ctx, item)));
      const programId = earnings[0]!.programId;
      if (earnings.some((e) => e.programId !== programId)) throw new AppError('LEDGER_BATCH_MIXED_PROGRAMS', 422);
      const entries = earnings.map((e, i) => ({
        key: items[i]!.idempotencyKey,
        hash: requestHash({ kind: e.kind, postings: e.postings, request: e.request }),
        kind: e.kind,
        explanation: e.explanation ?? {},
        debit: e.postings[0]!.accountId,
        credit: e.postings[1]?.accountId,
        amount: -e.postings[0]!.amount,
        exp: e.exp,
        ops: e.ops,
        postings: e.postings.map((p) => ({ a: p.accountId, d: p.amount })),
      }));
      const actor = JSON.stringify(describeActor(ctx.actor));
      // Set-based first (one statement per step for the whole batch) when every earning goes to one wallet; item by
      // item when an earning is split with a rep, or when the set-based path declines.
      const simple = entries.every((e) => e.postings.length === 2);
      const [fast] = simple
        ? await ctx.em.execute<{ r: { status: 'created' | 'replayed' | 'conflict'; entryId: number }[] | null }[]>(`select ledger_earn_batch(?, ?::jsonb, ?::jsonb) as r`, [
            programId,
            JSON.stringify(entries.map(({ postings: _p, ops: _o, ...e }) => e)),
            actor,
          ])
        : [];
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

    /**
     * Hold points for a redemption (available → reserved), taking the soonest-expiring lots first; refused if that
     * would overspend. The entry id is the hold's id. A hold not captured by `expiresAt` (default 30 days) can no
     * longer be captured and is released by the expiry sweep.
     */
    async reserve(ctx: RequestContext, input: { partnerId: string; userId?: string; unit?: string; points: number; idempotencyKey: string; expiresAt?: Date; explanation?: Record<string, unknown> }) {
      const unit = unitOf(input.unit);
      const amount = points(input.points, '/body/points');
      if (input.expiresAt && !(input.expiresAt.getTime() > Date.now())) {
        throw new AppError('LEDGER_HOLD_EXPIRY_INVALID', 422, { params: { expiresAt: input.expiresAt.toISOString() }, fields: [{ field: '/body/expiresAt', messageKey: 'errors.LEDGER_HOLD_EXPIRY_INVALID', params: { expiresAt: input.expiresAt.toISOString() } }] });
      }
      const w = await wallet(ctx, input.partnerId, input.userId ?? null, unit);
      const exp = (input.expiresAt ?? new Date(Date.now() + DEFAULT_HOLD_DAYS * DAY_MS)).toISOString();
      return post(ctx, {
        programId: w.programId,
        idempotencyKey: input.idempotencyKey,
        kind: 'reserve',
        explanation: input.explanation,
        postings: [{ accountId: w.accounts.available!, amount: -amount }, { accountId: w.accounts.reserved!, amount }],
        ops: [
          { op: 'consume', a: w.accounts.available!, n: amount },
          { op: 'hold_open', avail: w.accounts.available!, reserved: w.accounts.reserved!, n: amount, exp },
        ],
        request: { partnerId: input.partnerId, userId: input.userId ?? null, ...(unit === 'PTS' ? {} : { unit }), points: amount, expiresAt: input.expiresAt?.toISOString() ?? null, explanation: input.explanation ?? {} },
      });
    },

    /**
     * Capture a hold (reserved → redeemed): all of it, or `points` of it with the rest going back to available —
     * to exactly the lots it came from. A hold is captured or released once; past its expiry it cannot be captured.
     */
    async capture(ctx: RequestContext, input: { holdId: number; points?: number; idempotencyKey: string; explanation?: Record<string, unknown> }) {
      const hold = await loadHold(ctx, input.holdId);
      const captured = input.points === undefined ? hold.amount : points(input.points, '/body/points');
      return closeHold(ctx, { holdId: input.holdId, idempotencyKey: input.idempotencyKey, captured, mode: 'capture', explanation: input.explanation, request: { holdId: input.holdId, points: input.points ?? null, explanation: input.explanation ?? {} } });
    },

    /** Release a hold: its points go back to available, to exactly the lots they came from. Works after expiry too. */
    async releaseHold(ctx: RequestContext, input: { holdId: number; idempotencyKey: string; explanation?: Record<string, unknown> }) {
      return closeHold(ctx, { holdId: input.holdId, idempotencyKey: input.idempotencyKey, captured: 0, mode: 'release', explanation: input.explanation, request: { holdId: input.holdId, explanation: input.explanation ?? {} } });
    },

    async hold(ctx: RequestContext, holdId: number): Promise<Hold> {
      const h = await loadHold(ctx, holdId);
      return { holdId, partnerId: h.partner_id, amount: h.amount, captured: h.captured, state: h.state, expiresAt: new Date(h.expires_at).toISOString(), resolveEntryId: h.resolve_entry_id ? Number(h.resolve_entry_id) : null };
    },

    /** Release every open hold past its expiry (the backstop behind redemptions); returns how many it released. */
    async expireHolds(ctx: RequestContext, input: { limit?: number } = {}): Promise<number> {
      const due = await ctx.em.execute<{ id: string }[]>(`select reserve_entry_id::text as id from ledger_hold where state = 'open' and expires_at <= now() order by expires_at, reserve_entry_id limit ?`, [input.limit ?? 200]);
      let released = 0;
      for (const { id } of due) {
        try {
          const r = await closeHold(ctx, { holdId: Number(id), idempotencyKey: `hold-expiry:${id}`, captured: 0, mode: 'expire', request: { holdId: Number(id) } });
          if (r.created) released += 1;
        } catch (error) {
          // Captured or released meanwhile: nothing to do.
          if (!(error instanceof AppError && (error.code === 'LEDGER_HOLD_NOT_OPEN' || error.code === 'LEDGER_HOLD_NOT_DUE'))) throw error;
        }
      }
      return released;
    },

    /**
     * Expire the lots due by `cutoff` (default now): one `expire` entry per wallet, moving exactly the due points from
     * available to the program's expired account. Safe to run concurrently and again: it finds nothing left to do.
     */
    async expireLots(ctx: RequestContext, input: { cutoff?: Date; limit?: number } = {}): Promise<{ entries: number; points: number }> {
      const cutoff = (input.cutoff ?? new Date()).toISOString();
      const due = await ctx.em.execute<{ account_id: string; program_id: string; unit: string }[]>(
        `select d.account_id::text, a.program_id, a.unit from (select distinct account_id from ledger_lot where remaining > 0 and expires_at <= ? limit ?) d join ledger_account a on a.id = d.account_id`,
        [cutoff, input.limit ?? 1000],
      );
      let entries = 0;
      let total = 0;
      const actor = JSON.stringify(describeActor(ctx.actor));
      for (const row of due) {
        const program = await ensureAccounts(ctx, row.program_id, null, null, row.unit);
        const key = `expire:${row.account_id}:${cutoff}`;
        const hash = requestHash({ kind: 'expire', postings: [], request: { account: Number(row.account_id), cutoff } });
        const [r] = await ctx.em.execute<{ r: PostResult | { status: 'nothing' } }[]>(`select ledger_expire_lots(?, ?, ?, ?, ?, ?, ?::jsonb) as r`, [row.program_id, row.account_id, program.expired!, cutoff, key, hash, actor]);
        if (r!.r.status === 'nothing') continue;
        const result = outcome(r!.r as PostResult, key);
        if (result.created) {
          entries += 1;
          total += result.postings.find((p) => p.amount > 0)!.amount;
        }
      }
      return { entries, points: total };
    },

    /** A manual adjustment by an admin (positive credits, negative debits the available balance); needs a reason. */
    async adjust(ctx: RequestContext, input: { partnerId: string; userId?: string; unit?: string; points: number; reason: string; idempotencyKey: string; explanation?: Record<string, unknown> }) {
      const unit = unitOf(input.unit);
      if (!Number.isSafeInteger(input.points) || input.points === 0) {
        throw new AppError('LEDGER_AMOUNT_INVALID', 422, { params: { value: input.points }, fields: [{ field: '/body/points', messageKey: 'errors.LEDGER_AMOUNT_INVALID', params: { value: input.points } }] });
      }
      const w = await wallet(ctx, input.partnerId, input.userId ?? null, unit);
      const available = w.accounts.available!;
      const ops: Op[] = input.points > 0 ? [{ op: 'lot', a: available, n: input.points, exp: unit === 'PTS' ? await expiryOf(ctx, w.programId, new Date()) : null }] : [{ op: 'consume', a: available, n: -input.points }];
      const result = await post(ctx, {
        programId: w.programId,
        idempotencyKey: input.idempotencyKey,
        kind: 'adjustment',
        reason: input.reason,
        explanation: input.explanation,
        postings: [{ accountId: w.program.adjustment!, amount: -input.points }, { accountId: available, amount: input.points }],
        ops,
      });
      if (result.created) {
        deps.audit().record(ctx, { action: 'ledger.entry.adjusted', subjectType: 'partner', subjectId: input.partnerId, data: { entryId: result.entryId, points: input.points, unit, reason: input.reason } });
        await ctx.em.flush();
      }
      return result;
    },

    /**
     * Reverse an entry, in full or in part (`points`), with a reason: a new entry moving the other way. The parts
     * never add up to more than the original. Points taken back come from the entry's own lot first; points given
     * back return to exactly the lots the entry took. Reversing a capture refunds it to available. A reservation or
     * a released hold is not reversed: release or capture the hold instead.
     */
    async reverse(ctx: RequestContext, input: { entryId: number; reason: string; idempotencyKey: string; points?: number; explanation?: Record<string, unknown> }) {
      const rows = await ctx.em.execute<{ program_id: string; account_id: string; amount: string; kind: EntryKind; ref_entry_id: string | null; partner_id: string | null; code: string; holder: string }[]>(
        `select e.program_id, p.account_id::text, p.amount::text, e.kind, e.ref_entry_id::text, a.partner_id, a.code, a.holder
           from ledger_entry e join ledger_posting p on p.entry_id = e.id join ledger_account a on a.id = p.account_id
          where e.id = ? order by p.account_id`,
        [input.entryId],
      );
      if (rows.length === 0) throw new AppError('LEDGER_ENTRY_NOT_FOUND', 404, { params: { id: input.entryId } });
      // Scope: the entry's partner must be reachable by the caller.
      const partnerId = rows.find((r) => r.partner_id)?.partner_id;
      if (partnerId) await deps.partners().get(ctx, partnerId);
      const original = { programId: rows[0]!.program_id, kind: rows[0]!.kind, ref: rows[0]!.ref_entry_id ? Number(rows[0]!.ref_entry_id) : null };
      const request = { entryId: input.entryId, points: input.points ?? null, reason: input.reason, explanation: input.explanation ?? {} };
      const replay = await replayOf(ctx, original.programId, { idempotencyKey: input.idempotencyKey, kind: 'reversal', request });
      if (replay) return replay;
      if (original.kind === 'reversal') throw new AppError('LEDGER_REVERSAL_OF_REVERSAL', 409, { params: { id: input.entryId } });
      if (original.kind === 'reserve' || original.kind === 'release_hold') throw new AppError('LEDGER_REVERSAL_OF_HOLD', 409, { params: { id: input.entryId } });
      const postings = rows.map((r) => ({ accountId: Number(r.account_id), amount: Number(r.amount), code: r.code, holder: r.holder }));
      // What is left to reverse: for a capture, what was redeemed; otherwise the entry's volume.
      const redeemed = original.kind === 'capture' ? postings.find((p) => p.code === 'redeemed')! : null;
      const base = redeemed ? redeemed.amount : postings.reduce((sum, p) => sum + Math.max(p.amount, 0), 0);
      const [done] = await ctx.em.execute<{ n: string }[]>(
        redeemed
          ? `select coalesce(-sum(p.amount), 0)::text as n from ledger_entry e join ledger_posting p on p.entry_id = e.id where e.reverses_entry_id = ? and p.account_id = ?`
          : `select coalesce(sum(p.amount) filter (where p.amount > 0), 0)::text as n from ledger_entry e join ledger_posting p on p.entry_id = e.id where e.reverses_entry_id = ?`,
        redeemed ? [input.entryId, redeemed.accountId] : [input.entryId],
      );
      const remaining = base - Number(done!.n);
      if (remaining <= 0) throw new AppError('LEDGER_ALREADY_REVERSED', 409, { params: { id: input.entryId } });
      const amount = input.points === undefined ? remaining : points(input.points, '/body/points');
      if (amount > remaining) throw new AppError('LEDGER_REVERSAL_EXCEEDS_ORIGINAL', 409, { params: { remaining }, fields: [{ field: '/body/points', messageKey: 'errors.LEDGER_REVERSAL_EXCEEDS_ORIGINAL', params: { remaining } }] });

      let reversal: { accountId: number; amount: number; code: string; holder: string }[];
      const ops: Op[] = [];
      let ref: number | null = input.entryId;
      if (redeemed) {
        // A refund: the redeemed points go back to available, to the lots the hold took.
        const [hold] = await ctx.em.execute<{ available_account_id: string }[]>(`select available_account_id::text from ledger_hold where reserve_entry_id = ?`, [original.ref]);
        const avail = Number(hold!.available_account_id);
        reversal = [{ ...redeemed, amount: -amount }, { accountId: avail, amount, code: 'available', holder: 'partner' }];
        ref = original.ref;
        ops.push({ op: 'restore', a: avail, n: amount, group: original.ref! });
      } else {
        reversal = prorate(postings, amount, base);
        if (original.kind === 'release_pending') ref = original.ref; // points back to pending count against their earning again
        if (original.kind === 'earn_pending') ops.push({ op: 'pending_cap', earn: input.entryId, n: amount });
        for (const p of reversal) {
          if (p.code !== 'available') continue;
          if (p.amount < 0) ops.push({ op: 'consume', a: p.accountId, n: -p.amount, own: input.entryId });
          else if (original.kind === 'expire') ops.push({ op: 'lot', a: p.accountId, n: p.amount, exp: await expiryOf(ctx, original.programId, new Date()) });
          else ops.push({ op: 'restore', a: p.accountId, n: p.amount, group: input.entryId });
        }
      }
      const result = await post(ctx, {
        programId: original.programId,
        idempotencyKey: input.idempotencyKey,
        kind: 'reversal',
        reason: input.reason,
        explanation: input.explanation,
        reversesEntryId: input.entryId,
        refEntryId: ref,
        postings: reversal.map((p) => ({ accountId: p.accountId, amount: p.amount })),
        ops,
        request,
      });
      if (result.created) {
        deps.audit().record(ctx, { action: 'ledger.entry.reversed', subjectType: 'ledger-entry', subjectId: String(input.entryId), data: { reversalEntryId: result.entryId, points: amount, partial: amount < base, reason: input.reason } });
        await ctx.em.flush();
      }
      return result;
    },

    /** A wallet's balances: the company's, or with `userId` that person's own (rep) wallet. */
    async balances(ctx: RequestContext, partnerId: string, userId: string | null = null, unit = 'PTS'): Promise<Balances> {
      const u = unitOf(unit, '/query/unit');
      // Scope first: a partner the caller may not reach is a 404 before anything is read.
      await deps.partners().get(ctx, partnerId);
      const out: Balances = { partnerId, unit: u, scale: scaleOf(u), pending: 0, available: 0, reserved: 0, expiringSoon: 0, nextExpiry: null };
      // One statement: the wallet's balance rows and, for available points, what expires soon and next.
      const rows = await ctx.em.execute<{ code: WalletCode; balance: string; soon: string | null; next_at: Date | null; next_points: string | null }[]>(
        `select a.code, b.balance::text, x.soon::text, x.next_at, x.next_points::text
           from ledger_account a join ledger_balance b on b.account_id = a.id
           left join lateral (
             select sum(l.remaining) filter (where l.expires_at <= now() + interval '90 days') as soon,
                    min(l.expires_at) as next_at,
                    sum(l.remaining) filter (where l.expires_at = (select min(m.expires_at) from ledger_lot m where m.account_id = a.id and m.remaining > 0)) as next_points
               from ledger_lot l where l.account_id = a.id and l.remaining > 0 and l.expires_at is not null
           ) x on a.code = 'available'
          where a.partner_id = ? and a.holder = ? and a.user_id is not distinct from ?::uuid and a.unit = ? and a.code in ('pending', 'available', 'reserved')`,
        [partnerId, userId ? 'rep' : 'partner', userId, u],
      );
      for (const r of rows) {
        out[r.code] = Number(r.balance);
        if (r.code === 'available') {
          out.expiringSoon = Number(r.soon ?? 0);
          out.nextExpiry = r.next_at ? { expiresAt: new Date(r.next_at).toISOString(), points: Number(r.next_points) } : null;
        }
      }
      return out;
    },

    /** A partner's open lots, soonest expiry first: exactly what expires when. */
    async lots(ctx: RequestContext, partnerId: string, userId: string | null = null, unit = 'PTS'): Promise<Lot[]> {
      await deps.partners().get(ctx, partnerId);
      const accounts = await ctx.em.find(LedgerAccount, { ...walletWhere(partnerId, userId, unitOf(unit, '/query/unit')), code: 'available' });
      if (accounts.length === 0) return [];
      const rows = await ctx.em.execute<{ entry_id: string; kind: EntryKind; posted_at: Date; amount: string; remaining: string; expires_at: Date | null; explanation: Record<string, unknown> }[]>(
        `select l.entry_id::text, e.kind, coalesce((e.explanation->>'earnedAt')::timestamptz, e.posted_at) as posted_at, l.amount::text, l.remaining::text, l.expires_at, e.explanation
           from ledger_lot l join ledger_entry e on e.id = l.entry_id
          where l.account_id in (?) and l.remaining > 0 order by l.expires_at, l.entry_id limit 1000`,
        [accounts.map((a) => a.id)],
      );
      return rows.map((r) => ({ entryId: Number(r.entry_id), kind: r.kind, earnedAt: new Date(r.posted_at).toISOString(), amount: Number(r.amount), remaining: Number(r.remaining), expiresAt: r.expires_at ? new Date(r.expires_at).toISOString() : null, explanation: r.explanation }));
    },

    /** A partner's statement, newest first, with the "why" of every entry; keyset-paginated by entry id. */
    async statement(ctx: RequestContext, partnerId: string, query: { limit: number; before?: number; userId?: string | null; unit?: string }): Promise<{ items: StatementLine[]; nextBefore: number | null }> {
      await deps.partners().get(ctx, partnerId);
      const accounts = await ctx.em.find(LedgerAccount, walletWhere(partnerId, query.userId ?? null, unitOf(query.unit, '/query/unit')));
      if (accounts.length === 0) return { items: [], nextBefore: null };
      const rows = await ctx.em.execute<{ entry_id: string; posted_at: Date; kind: EntryKind; account_id: string; amount: string; balance_after: string; explanation: Record<string, unknown>; reason: string | null; reverses_entry_id: string | null }[]>(
        `select p.entry_id::text, e.posted_at, e.kind, p.account_id::text, p.amount::text, p.balance_after::text, e.explanation, e.reason, e.reverses_entry_id::text
           from ledger_posting p join ledger_entry e on e.id = p.entry_id
          where p.account_id in (?) ${query.before ? 'and p.entry_id < ?' : ''}
          order by p.entry_id desc, p.account_id
          limit ?`,
        // An entry has at most three lines in one wallet (pending, available, reserved): three more rows show
        // whether the page would end inside an entry.
        query.before ? [accounts.map((a) => a.id), query.before, query.limit + 3] : [accounts.map((a) => a.id), query.limit + 3],
      );
      const byId = new Map(accounts.map((a) => [Number(a.id), a.code as WalletCode]));
      let page = rows.slice(0, query.limit);
      if (rows.length > query.limit) {
        // Never end a page inside an entry: drop its first lines here, or, if it is the only entry, take it whole.
        const last = page[page.length - 1]!.entry_id;
        if (rows[query.limit]!.entry_id === last) {
          const whole = page.filter((r) => r.entry_id !== last);
          page = whole.length > 0 ? whole : rows.filter((r) => r.entry_id === last);
        }
      }
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
        nextBefore: rows.length > page.length ? Number(page[page.length - 1]!.entry_id) : null,
      };
    },
  };
  return service;
}

export type LedgerService = ReturnType<typeof createLedgerService>;
export const ledgerServiceRef = createServiceRef<LedgerService>('ledger.service');
