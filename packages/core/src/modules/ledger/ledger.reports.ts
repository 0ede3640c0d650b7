import { AppError, createServiceRef, type RequestContext } from '@laurel/plugin-sdk';
import type { PartnerService } from '../partners/index.ts';
import type { PointValue, ProgramService } from '../programs/index.ts';
import { LedgerAccount } from './ledger.entity.ts';
import type { EntryKind, StatementLine, WalletCode } from './ledger.service.ts';

/**
 * Ledger reports: balances as of an instant, the statement with filters (and as CSV), and the program's points
 * liability with its money value. Reads only; nothing here posts.
 *
 * Dates: a parameter is either an instant (RFC 3339 with an offset, `2025-01-31T12:00:00Z`) or a calendar date
 * (`2025-01-31`), which stands for midnight at the start of that day in the program's time zone. Periods are
 * half-open, [from, to).
 */

export const ENTRY_KINDS: readonly EntryKind[] = ['earn', 'earn_pending', 'release_pending', 'reserve', 'capture', 'release_hold', 'expire', 'reversal', 'adjustment'];

export interface StatementFilters {
  /** Postings at or after this instant or date. */
  from?: string;
  /** Postings before this instant or date. */
  to?: string;
  kinds?: EntryKind[];
  /** `in`: points credited to the wallet; `out`: points taken from it. */
  direction?: 'in' | 'out';
  /** A person's own (rep) wallet instead of the company's. */
  userId?: string;
}

export interface Statement {
  items: StatementLine[];
  nextBefore: number | null;
}

export interface BalancesAsOf {
  partnerId: string;
  unit: 'PTS';
  asOf: string;
  pending: number;
  available: number;
  reserved: number;
}

/** Points and their value in minor units of the point value's currency. */
export interface Valued {
  points: number;
  value: number;
}

export interface Liability {
  programId: string;
  unit: 'PTS';
  asOf: string;
  pointValue: PointValue;
  outstanding: { pending: Valued; available: Valued; reserved: Valued; total: Valued };
  period: { from: string; to: string; redeemed: Valued; expired: Valued } | null;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

function realDay(y: string, m: string, d: string): boolean {
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d) && Number(y) >= 1;
}

/** Checks a date or instant parameter; a bad one is a 422 naming the field. */
export function checkDate(value: string, field: string): { kind: 'date' | 'instant'; value: string } {
  const date = DATE.exec(value);
  if (date && realDay(date[1]!, date[2]!, date[3]!)) return { kind: 'date', value };
  const instant = DATE_TIME.exec(value);
  if (instant && realDay(instant[1]!, instant[2]!, instant[3]!) && Number(instant[4]) < 24 && Number(instant[5]) < 60 && Number(instant[6] ?? 0) < 60 && !Number.isNaN(Date.parse(value.replace(' ', 'T')))) {
    return { kind: 'instant', value: value.replace(' ', 'T') };
  }
  throw new AppError('LEDGER_DATE_INVALID', 422, { params: { value }, fields: [{ field, messageKey: 'errors.LEDGER_DATE_INVALID', params: { value } }] });
}

/** Round half to even of points × minorPerThousand / 1000, in exact integer arithmetic. */
export function pointsValue(points: bigint, minorPerThousand: bigint): bigint {
  const product = points * minorPerThousand;
  const quotient = product / 1000n; // truncates toward zero
  const remainder = product % 1000n;
  const twice = 2n * (remainder < 0n ? -remainder : remainder);
  const away = product < 0n ? -1n : 1n;
  if (twice < 1000n) return quotient;
  if (twice > 1000n) return quotient + away;
  return quotient % 2n === 0n ? quotient : quotient + away;
}

function safe(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`ledger figure ${value} is beyond what JSON numbers carry exactly`);
  return Number(value);
}

/** An explanation as one line of text: `key=value` pairs in key order, `; `-separated. */
export function explanationSummary(explanation: Record<string, unknown>): string {
  return Object.keys(explanation)
    .sort()
    .filter((key) => explanation[key] !== null && explanation[key] !== undefined && explanation[key] !== '')
    .map((key) => {
      const value = explanation[key];
      return `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
    })
    .join('; ');
}

/** One CSV field (RFC 4180); text that a spreadsheet would run as a formula is prefixed with an apostrophe. */
function csvField(value: string | number, text = false): string {
  let s = String(value);
  if (text && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export const STATEMENT_CSV_COLUMNS = ['entry_id', 'posted_at', 'kind', 'account', 'amount', 'balance_after', 'reason', 'explanation'] as const;

export function statementCsvRow(line: StatementLine): string {
  return [
    csvField(line.entryId),
    csvField(line.postedAt),
    csvField(line.kind),
    csvField(line.account),
    csvField(line.amount),
    csvField(line.balanceAfter),
    csvField(line.reason ?? '', true),
    csvField(explanationSummary(line.explanation), true),
  ].join(',');
}

export interface LedgerReportsDeps {
  partners: () => PartnerService;
  programs: () => ProgramService;
}

/** An instant as PostgreSQL text with microseconds, so nothing is lost on the way between queries. */
const INSTANT_SQL = `to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export function createLedgerReports(deps: LedgerReportsDeps) {
  /** Resolves date and instant parameters to instants (dates in the program's time zone), in one query. */
  async function resolve(ctx: RequestContext, timeZone: string, values: Record<string, { kind: 'date' | 'instant'; value: string } | undefined>): Promise<Record<string, string>> {
    const names = Object.keys(values).filter((name) => values[name]);
    if (names.length === 0) return {};
    const selects = names.map(() => `(select ${INSTANT_SQL} from (select case when ? then ?::timestamptz else (?::date)::timestamp at time zone ? end as t) x)`);
    const params = names.flatMap((name) => {
      const v = values[name]!;
      return [v.kind === 'instant', v.kind === 'instant' ? v.value : null, v.kind === 'date' ? v.value : null, timeZone];
    });
    const [row] = await ctx.em.execute<Record<string, string>[]>(`select ${selects.map((s, i) => `${s} as "${names[i]}"`).join(', ')}`, params);
    return row!;
  }

  async function nowInstant(ctx: RequestContext): Promise<string> {
    const [row] = await ctx.em.execute<{ t: string }[]>(`select ${INSTANT_SQL} as t from (select clock_timestamp() as t) x`);
    return row!.t;
  }

  /** The partner (through its service: scope applies, a foreign partner is a 404), its wallet accounts and time zone. */
  async function wallet(ctx: RequestContext, partnerId: string, userId?: string) {
    const partner = await deps.partners().get(ctx, partnerId);
    const accounts = await ctx.em.find(LedgerAccount, userId ? { partnerId, userId, holder: 'rep', unit: 'PTS' } : { partnerId, holder: 'partner', unit: 'PTS' });
    return { partner, accounts, byId: new Map(accounts.map((a) => [Number(a.id), a.code as WalletCode])) };
  }

  async function statementPeriod(ctx: RequestContext, programId: string, filters: StatementFilters): Promise<{ from?: string; to?: string }> {
    const from = filters.from === undefined ? undefined : checkDate(filters.from, '/querystring/from');
    const to = filters.to === undefined ? undefined : checkDate(filters.to, '/querystring/to');
    if (!from && !to) return {};
    const program = await deps.programs().get(ctx, programId);
    const resolved = await resolve(ctx, program.timeZone, { from, to });
    if (resolved.from && resolved.to && resolved.from > resolved.to) throw periodInvalid(filters.from!, filters.to!);
    return resolved;
  }

  function periodInvalid(from: string, to: string): AppError {
    const params = { from, to };
    return new AppError('LEDGER_PERIOD_INVALID', 422, {
      params,
      fields: [
        { field: '/querystring/from', messageKey: 'errors.LEDGER_PERIOD_INVALID', params },
        { field: '/querystring/to', messageKey: 'errors.LEDGER_PERIOD_INVALID', params },
      ],
    });
  }

  /** One page of lines, newest first; an entry's lines are never split between pages. */
  async function page(ctx: RequestContext, accountIds: number[], byId: Map<number, WalletCode>, period: { from?: string; to?: string }, filters: StatementFilters, limit: number, before?: number): Promise<Statement> {
    if (accountIds.length === 0) return { items: [], nextBefore: null };
    const where: string[] = ['p.account_id in (?)'];
    const params: unknown[] = [accountIds];
    if (before !== undefined) {
      where.push('p.entry_id < ?');
      params.push(before);
    }
    if (period.from) {
      where.push('e.posted_at >= ?::timestamptz');
      params.push(period.from);
    }
    if (period.to) {
      where.push('e.posted_at < ?::timestamptz');
      params.push(period.to);
    }
    if (filters.kinds && filters.kinds.length > 0) {
      where.push('e.kind in (?)');
      params.push(filters.kinds);
    }
    if (filters.direction) where.push(filters.direction === 'in' ? 'p.amount > 0' : 'p.amount < 0');
    // An entry has at most one line per wallet account: reading that many more rows lets the page end on a whole entry.
    params.push(limit + accountIds.length);
    const rows = await ctx.em.execute<{ entry_id: string; posted_at: Date; kind: EntryKind; account_id: string; amount: string; balance_after: string; explanation: Record<string, unknown>; reason: string | null; reverses_entry_id: string | null }[]>(
      `select p.entry_id::text, e.posted_at, e.kind, p.account_id::text, p.amount::text, p.balance_after::text, e.explanation, e.reason, e.reverses_entry_id::text
         from ledger_posting p join ledger_entry e on e.id = p.entry_id
        where ${where.join(' and ')}
        order by p.entry_id desc, p.account_id
        limit ?`,
      params,
    );
    let end = Math.min(limit, rows.length);
    while (end > 0 && end < rows.length && rows[end]!.entry_id === rows[end - 1]!.entry_id) end += 1;
    const items = rows.slice(0, end);
    return {
      items: items.map((r) => ({
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
      nextBefore: end < rows.length ? Number(items[items.length - 1]!.entry_id) : null,
    };
  }

  /** The as-of balance of each account: its last posting's balance after at or before the instant (0 if none). */
  async function balancesAt(ctx: RequestContext, accountIds: number[], at: string): Promise<Map<number, bigint>> {
    if (accountIds.length === 0) return new Map();
    // Per account, entry ids and posting times agree (an account is locked while it is posted to), so the newest
    // posting at or before the instant is a backward walk of ledger_posting_account_idx that stops at the first hit.
    const rows = await ctx.em.execute<{ id: string; balance: string }[]>(
      `select a.id::text, coalesce(x.balance_after, 0)::text as balance
         from unnest(?::bigint[]) as a(id)
         left join lateral (
           select p.balance_after from ledger_posting p join ledger_entry e on e.id = p.entry_id
            where p.account_id = a.id and e.posted_at <= ?::timestamptz
            order by p.entry_id desc limit 1
         ) x on true`,
      [`{${accountIds.join(',')}}`, at],
    );
    return new Map(rows.map((r) => [Number(r.id), BigInt(r.balance)]));
  }

  const reports = {
    checkDate,

    /** A partner's balances as they were at an instant or date (end of the instant: postings at or before it). */
    async balancesAsOf(ctx: RequestContext, partnerId: string, asOf: string, userId?: string): Promise<BalancesAsOf> {
      const checked = checkDate(asOf, '/querystring/asOf');
      const w = await wallet(ctx, partnerId, userId);
      const program = checked.kind === 'date' ? await deps.programs().get(ctx, w.partner.programId) : null;
      const at = (await resolve(ctx, program?.timeZone ?? 'UTC', { asOf: checked })).asOf!;
      const balances = await balancesAt(ctx, [...w.byId.keys()], at);
      const out: BalancesAsOf = { partnerId, unit: 'PTS', pending: 0, available: 0, reserved: 0, asOf: new Date(at).toISOString() };
      for (const [id, balance] of balances) out[w.byId.get(id)!] = safe(balance);
      return out;
    },

    /**
     * A partner's statement, newest first, with filters; keyset-paginated by entry id (`before`), like the
     * plain statement. The running balance is each posting's balance after.
     */
    async statement(ctx: RequestContext, partnerId: string, query: StatementFilters & { limit: number; before?: number }): Promise<Statement> {
      const w = await wallet(ctx, partnerId, query.userId);
      const period = await statementPeriod(ctx, w.partner.programId, query);
      return page(ctx, [...w.byId.keys()], w.byId, period, query, query.limit, query.before);
    },

    /**
     * The statement as CSV (RFC 4180, CRLF, a header of stable column ids), read 1,000 lines at a time. The checks
     * (scope, filters) run before the first line is produced, so an error is still a problem response.
     */
    async statementCsv(ctx: RequestContext, partnerId: string, filters: StatementFilters): Promise<{ partnerCode: string; lines: AsyncIterable<string> }> {
      const w = await wallet(ctx, partnerId, filters.userId);
      const period = await statementPeriod(ctx, w.partner.programId, filters);
      const ids = [...w.byId.keys()];
      const first = await page(ctx, ids, w.byId, period, filters, 1000);
      async function* lines(): AsyncIterable<string> {
        yield `${STATEMENT_CSV_COLUMNS.join(',')}\r\n`;
        let current = first;
        for (;;) {
          if (current.items.length > 0) yield current.items.map((line) => `${statementCsvRow(line)}\r\n`).join('');
          if (current.nextBefore === null) return;
          current = await page(ctx, ids, w.byId, period, filters, 1000, current.nextBefore);
        }
      }
      return { partnerCode: w.partner.partnerCode, lines: lines() };
    },

    /**
     * The program's points liability: outstanding points (pending, available, reserved of every partner and rep
     * wallet) as of an instant, and optionally the points redeemed and expired in [from, to) — each with its
     * value at the point value valid as of `asOf`.
     */
    async liability(ctx: RequestContext, programId: string, query: { asOf?: string; from?: string; to?: string }): Promise<Liability> {
      const checked = {
        asOf: query.asOf === undefined ? undefined : checkDate(query.asOf, '/querystring/asOf'),
        from: query.from === undefined ? undefined : checkDate(query.from, '/querystring/from'),
        to: query.to === undefined ? undefined : checkDate(query.to, '/querystring/to'),
      };
      if (checked.to && !checked.from) {
        throw new AppError('LEDGER_PERIOD_START_MISSING', 422, { fields: [{ field: '/querystring/from', messageKey: 'errors.LEDGER_PERIOD_START_MISSING' }] });
      }
      // Scope: the program must be reachable by the caller (an admin limited to other programs gets a 404).
      const program = await deps.programs().get(ctx, programId);
      const resolved = await resolve(ctx, program.timeZone, checked);
      const asOf = resolved.asOf ?? (await nowInstant(ctx));
      const period = checked.from ? { from: resolved.from!, to: resolved.to ?? asOf } : null;
      if (period && period.from > period.to) throw periodInvalid(query.from!, query.to ?? asOf);
      const pointValue = await deps.programs().pointValueAsOf(ctx, programId, asOf);
      const rate = BigInt(pointValue.minorPerThousand);
      const valued = (points: bigint): Valued => ({ points: safe(points), value: safe(pointsValue(points, rate)) });

      // Outstanding: the as-of balance of every wallet account of the program, summed per code, in one statement.
      const wallets = await ctx.em.execute<{ code: WalletCode; points: string }[]>(
        `select a.code, coalesce(sum(x.balance_after), 0)::text as points
           from ledger_account a
           cross join lateral (
             select p.balance_after from ledger_posting p join ledger_entry e on e.id = p.entry_id
              where p.account_id = a.id and e.posted_at <= ?::timestamptz
              order by p.entry_id desc limit 1
           ) x
          where a.program_id = ? and a.holder in ('partner', 'rep') and a.unit = 'PTS' and a.code in ('pending', 'available', 'reserved')
          group by a.code`,
        [asOf, programId],
      );
      const outstanding = { pending: 0n, available: 0n, reserved: 0n };
      for (const r of wallets) outstanding[r.code] = BigInt(r.points);
      const total = outstanding.pending + outstanding.available + outstanding.reserved;

      let movements: Liability['period'] = null;
      if (period) {
        // Net movement in [from, to) of every shard of `redeemed` and of `expired`: the balance before `to` minus the
        // balance before `from` (reversals included, so the figures are net).
        const rows = await ctx.em.execute<{ code: 'redeemed' | 'expired'; points: string }[]>(
          `select a.code, coalesce(sum(coalesce(t.balance_after, 0) - coalesce(f.balance_after, 0)), 0)::text as points
             from ledger_account a
             left join lateral (
               select p.balance_after from ledger_posting p join ledger_entry e on e.id = p.entry_id
                where p.account_id = a.id and e.posted_at < ?::timestamptz order by p.entry_id desc limit 1
             ) t on true
             left join lateral (
               select p.balance_after from ledger_posting p join ledger_entry e on e.id = p.entry_id
                where p.account_id = a.id and e.posted_at < ?::timestamptz order by p.entry_id desc limit 1
             ) f on true
            where a.program_id = ? and a.holder = 'program' and a.unit = 'PTS' and a.code in ('redeemed', 'expired')
            group by a.code`,
          [period.to, period.from, programId],
        );
        const moved = { redeemed: 0n, expired: 0n };
        for (const r of rows) moved[r.code] = BigInt(r.points);
        movements = { from: new Date(period.from).toISOString(), to: new Date(period.to).toISOString(), redeemed: valued(moved.redeemed), expired: valued(moved.expired) };
      }

      return {
        programId,
        unit: 'PTS',
        asOf: new Date(asOf).toISOString(),
        pointValue,
        outstanding: { pending: valued(outstanding.pending), available: valued(outstanding.available), reserved: valued(outstanding.reserved), total: valued(total) },
        period: movements,
      };
    },
  };
  return reports;
}

export type LedgerReports = ReturnType<typeof createLedgerReports>;
export const ledgerReportsRef = createServiceRef<LedgerReports>('ledger.reports');
