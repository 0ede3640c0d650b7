import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { AppError, Type, type PluginRouter, type RequestContext } from '@laurel/plugin-sdk';
import { ENTRY_KINDS, type LedgerReports, type StatementFilters } from './ledger.reports.ts';

const Uuid = Type.String({ format: 'uuid' });
const DateParam = (description: string) =>
  Type.String({ minLength: 10, maxLength: 40, description: `${description}: an instant with an offset (2025-01-31T12:00:00Z) or a date (2025-01-31 = the start of that day in the program's time zone)` });
const Account = Type.Union([Type.Literal('pending'), Type.Literal('available'), Type.Literal('reserved')]);
const Kind = Type.Union(ENTRY_KINDS.map((kind) => Type.Literal(kind)));

const StatementFiltersQuery = {
  from: Type.Optional(DateParam('Postings at or after')),
  to: Type.Optional(DateParam('Postings before')),
  kind: Type.Optional(Type.Array(Kind, { maxItems: ENTRY_KINDS.length, description: 'Only entries of these kinds (repeat the parameter for several)' })),
  direction: Type.Optional(Type.Union([Type.Literal('in'), Type.Literal('out')], { description: 'in: points credited to the wallet; out: points taken from it' })),
};
/** Staff: a person's own (rep) wallet instead of the company's. */
const RepQuery = { rep: Type.Optional(Type.String({ format: 'uuid', description: "A person's own (rep) wallet instead of the company's" })) };
/** Partner users: their own wallet instead of the company's. */
const OwnQuery = { wallet: Type.Optional(Type.Union([Type.Literal('company'), Type.Literal('own')], { description: "own: the signed-in person's own (rep) wallet; company (default)" })) };
const StatementQuery = Type.Object({
  ...StatementFiltersQuery,
  ...RepQuery,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'Keyset cursor: the nextBefore of the previous page' })),
});
const CsvQuery = Type.Object({ ...StatementFiltersQuery, ...RepQuery });
const MyStatementQuery = Type.Object({ ...StatementFiltersQuery, ...OwnQuery, limit: StatementQuery.properties.limit, before: StatementQuery.properties.before });
const MyCsvQuery = Type.Object({ ...StatementFiltersQuery, ...OwnQuery });

const StatementSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      entryId: Type.Integer(),
      postedAt: Type.String({ format: 'date-time' }),
      kind: Type.String(),
      account: Account,
      amount: Type.Integer(),
      balanceAfter: Type.Integer({ description: "The account's running balance after this line" }),
      explanation: Type.Record(Type.String(), Type.Unknown()),
      reason: Type.Union([Type.String(), Type.Null()]),
      reversesEntryId: Type.Union([Type.Integer(), Type.Null()]),
    }),
  ),
  nextBefore: Type.Union([Type.Integer(), Type.Null()]),
});
const CsvResponse = {
  description: 'RFC 4180 CSV, UTF-8, CRLF; columns entry_id, posted_at, kind, account, amount, balance_after, reason, explanation',
  content: { 'text/csv': { schema: Type.String() } },
};
const BalancesAsOfSchema = Type.Object({
  partnerId: Uuid,
  unit: Type.Literal('PTS'),
  asOf: Type.String({ format: 'date-time' }),
  pending: Type.Integer(),
  available: Type.Integer(),
  reserved: Type.Integer(),
});
const Valued = Type.Object({ points: Type.Integer(), value: Type.Integer({ description: 'Minor units of the point value currency, rounded half to even' }) });
const LiabilitySchema = Type.Object({
  programId: Uuid,
  unit: Type.Literal('PTS'),
  asOf: Type.String({ format: 'date-time' }),
  pointValue: Type.Object({
    minorPerThousand: Type.Integer({ description: 'Value of 1000 points in minor units' }),
    currency: Type.String(),
    validFrom: Type.String({ format: 'date-time' }),
  }),
  outstanding: Type.Object({ pending: Valued, available: Valued, reserved: Valued, total: Valued }),
  period: Type.Union([Type.Object({ from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }), redeemed: Valued, expired: Valued }), Type.Null()]),
});

function ownPartner(actor: { kind: string; partnerId?: string | null }): string {
  if (actor.kind !== 'user' || !actor.partnerId) throw new AppError('FORBIDDEN', 403);
  return actor.partnerId;
}

function filtersOf(query: { from?: string; to?: string; kind?: StatementFilters['kinds']; direction?: 'in' | 'out'; rep?: string }, userId?: string): StatementFilters {
  return { from: query.from, to: query.to, kinds: query.kind, direction: query.direction, userId: userId ?? query.rep };
}

/** The signed-in person's own wallet when they ask for it (`wallet=own`). */
function ownWallet(actor: { kind: string; userId?: string }, query: { wallet?: 'company' | 'own' }): string | undefined {
  return query.wallet === 'own' && actor.kind === 'user' ? actor.userId : undefined;
}

/** Ledger reports: balances as of a date, the filtered statement (JSON and CSV) and the program's points liability. */
export function ledgerReportRoutes(reports: () => LedgerReports) {
  return (router: PluginRouter): void => {
    async function sendCsv(ctx: RequestContext, reply: FastifyReply, partnerId: string, filters: StatementFilters) {
      const csv = await reports().statementCsv(ctx, partnerId, filters);
      const name = `statement-${csv.partnerCode.replace(/[^A-Za-z0-9_-]/g, '')}-${new Date().toISOString().slice(0, 10)}.csv`;
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('cache-control', 'no-store')
        .send(Readable.from(csv.lines));
    }

    router.get(
      '/partners/:partnerId/balances/as-of',
      {
        config: { access: 'ledger:read' },
        schema: {
          tags: ['ledger'],
          summary: "A partner's balances as they were at an instant (the last posting at or before it, per account)",
          params: Type.Object({ partnerId: Uuid }),
          querystring: Type.Object({ asOf: DateParam('The instant'), ...RepQuery }),
          response: { 200: BalancesAsOfSchema },
        },
      },
      async (request) => reports().balancesAsOf(request.ctx, request.params.partnerId, request.query.asOf, request.query.rep),
    );
    router.get(
      '/partners/:partnerId/statement.json',
      {
        config: { access: 'ledger:read' },
        schema: {
          tags: ['ledger'],
          summary: "A partner's statement with filters (period, kind, direction), newest first; pages like /statement",
          params: Type.Object({ partnerId: Uuid }),
          querystring: StatementQuery,
          response: { 200: StatementSchema },
        },
      },
      async (request) => reports().statement(request.ctx, request.params.partnerId, { ...filtersOf(request.query), limit: request.query.limit ?? 100, before: request.query.before }),
    );
    router.get(
      '/me/statement.json',
      {
        config: { access: 'ledger:read-own' },
        schema: { tags: ['ledger'], summary: "Your company's statement (or, with wallet=own, your own) with filters (partner users)", querystring: MyStatementQuery, response: { 200: StatementSchema } },
      },
      async (request) =>
        reports().statement(request.ctx, ownPartner(request.ctx.actor as never), { ...filtersOf(request.query, ownWallet(request.ctx.actor as never, request.query)), limit: request.query.limit ?? 100, before: request.query.before }),
    );
    router.get(
      '/partners/:partnerId/statement.csv',
      {
        config: { access: 'ledger:read' },
        schema: { tags: ['ledger'], summary: "A partner's statement as CSV (the same filters), newest first", params: Type.Object({ partnerId: Uuid }), querystring: CsvQuery, response: { 200: CsvResponse } },
      },
      async (request, reply) => sendCsv(request.ctx, reply, request.params.partnerId, filtersOf(request.query)),
    );
    router.get(
      '/me/statement.csv',
      {
        config: { access: 'ledger:read-own' },
        schema: { tags: ['ledger'], summary: "Your company's statement (or, with wallet=own, your own) as CSV (partner users)", querystring: MyCsvQuery, response: { 200: CsvResponse } },
      },
      async (request, reply) => sendCsv(request.ctx, reply, ownPartner(request.ctx.actor as never), filtersOf(request.query, ownWallet(request.ctx.actor as never, request.query))),
    );
    router.get(
      '/programs/:programId/liability',
      {
        config: { access: 'ledger:liability' },
        schema: {
          tags: ['ledger'],
          summary: "The program's points liability: outstanding points as of an instant, redeemed and expired in a period, with their value",
          params: Type.Object({ programId: Uuid }),
          querystring: Type.Object({
            asOf: Type.Optional(DateParam('Outstanding points and the point value as of (default: now)')),
            from: Type.Optional(DateParam('Start of the period (inclusive); without it no period is reported')),
            to: Type.Optional(DateParam('End of the period (exclusive; default: asOf)')),
          }),
          response: { 200: LiabilitySchema },
        },
      },
      async (request) => reports().liability(request.ctx, request.params.programId, request.query),
    );
  };
}
