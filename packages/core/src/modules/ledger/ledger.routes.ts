import { AppError, Type, type PluginRouter } from '@laurel/plugin-sdk';
import type { LedgerService } from './ledger.service.ts';
import type { AdjustOutcome, LedgerApprovals } from './ledger.approvals.ts';
import { AdjustmentRequestSchema } from './ledger.approvals.routes.ts';

const Uuid = Type.String({ format: 'uuid' });
const Key = Type.String({ minLength: 1, maxLength: 200, description: 'Idempotency key: a replay returns the first result; a different request with the same key is a 409' });
const BalancesSchema = Type.Object({
  partnerId: Uuid,
  unit: Type.String({ description: 'PTS, or an ISO 4217 currency for cash (rebates, MDF)' }),
  scale: Type.Integer({ description: "Decimal places of the unit's minor units: amounts are integers in minor units (0 for PTS)" }),
  pending: Type.Integer(),
  available: Type.Integer(),
  reserved: Type.Integer(),
  expiringSoon: Type.Integer({ description: 'Available points that expire within the next 90 days' }),
  nextExpiry: Type.Union([Type.Object({ expiresAt: Type.String({ format: 'date-time' }), points: Type.Integer() }), Type.Null()], { description: 'The soonest expiry date of available points and how many expire then' }),
});
const LotsSchema = Type.Array(
  Type.Object({
    entryId: Type.Integer({ description: 'The entry that brought the points in' }),
    kind: Type.String(),
    earnedAt: Type.String({ format: 'date-time' }),
    amount: Type.Integer(),
    remaining: Type.Integer(),
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null: never expires' }),
    explanation: Type.Record(Type.String(), Type.Unknown()),
  }),
);
const EntrySchema = Type.Object({
  entryId: Type.Integer(),
  created: Type.Boolean({ description: 'false when the call replayed an earlier one' }),
  postings: Type.Array(Type.Object({ accountId: Type.Integer(), amount: Type.Integer(), balanceAfter: Type.Integer() })),
});
const StatementSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      entryId: Type.Integer(),
      postedAt: Type.String({ format: 'date-time' }),
      kind: Type.String(),
      account: Type.Union([Type.Literal('pending'), Type.Literal('available'), Type.Literal('reserved')]),
      amount: Type.Integer(),
      balanceAfter: Type.Integer(),
      explanation: Type.Record(Type.String(), Type.Unknown()),
      reason: Type.Union([Type.String(), Type.Null()]),
      reversesEntryId: Type.Union([Type.Integer(), Type.Null()]),
    }),
  ),
  nextBefore: Type.Union([Type.Integer(), Type.Null()]),
});
const UnitQuery = Type.Object({ unit: Type.Optional(Type.String({ pattern: '^(PTS|[A-Z]{3})$', description: 'PTS (default) or an ISO 4217 currency' })) });
const StatementQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })), before: Type.Optional(Type.Integer({ minimum: 1 })), unit: UnitQuery.properties.unit });

function ownPartner(actor: { kind: string; partnerId?: string | null }): string {
  if (actor.kind !== 'user' || !actor.partnerId) throw new AppError('FORBIDDEN', 403);
  return actor.partnerId;
}

function ownUser(actor: { kind: string; userId?: string }): string {
  if (actor.kind !== 'user' || !actor.userId) throw new AppError('FORBIDDEN', 403);
  return actor.userId;
}

export function ledgerRoutes(ledger: () => LedgerService, approvals: () => LedgerApprovals) {
  return (router: PluginRouter): void => {
    router.get(
      '/partners/:partnerId/balances',
      { config: { access: 'ledger:read' }, schema: { tags: ['ledger'], summary: "A partner's balances (pending, available, reserved) in points or a cash unit", params: Type.Object({ partnerId: Uuid }), querystring: UnitQuery, response: { 200: BalancesSchema } } },
      async (request) => ledger().balances(request.ctx, request.params.partnerId, null, request.query.unit),
    );
    router.get(
      '/partners/:partnerId/statement',
      {
        config: { access: 'ledger:read' },
        schema: { tags: ['ledger'], summary: "A partner's statement with the reason of every entry, newest first", params: Type.Object({ partnerId: Uuid }), querystring: StatementQuery, response: { 200: StatementSchema } },
      },
      async (request) => ledger().statement(request.ctx, request.params.partnerId, { limit: request.query.limit ?? 100, before: request.query.before, unit: request.query.unit }),
    );
    router.get(
      '/partners/:partnerId/lots',
      { config: { access: 'ledger:read' }, schema: { tags: ['ledger'], summary: "A partner's open lots of available points, soonest expiry first", params: Type.Object({ partnerId: Uuid }), response: { 200: LotsSchema } } },
      async (request) => ledger().lots(request.ctx, request.params.partnerId),
    );
    router.get(
      '/me/lots',
      { config: { access: 'ledger:read-own' }, schema: { tags: ['ledger'], summary: "Your company's open lots: exactly what expires when (partner users)", response: { 200: LotsSchema } } },
      async (request) => ledger().lots(request.ctx, ownPartner(request.ctx.actor as never)),
    );
    // Rep wallets: a partner's person (a sales rep) may have a wallet of their own beside the company's.
    const Rep = Type.Object({ partnerId: Uuid, userId: Uuid });
    router.get(
      '/partners/:partnerId/reps/:userId/balances',
      { config: { access: 'ledger:read' }, schema: { tags: ['ledger'], summary: "The balances of a partner's rep wallet", params: Rep, response: { 200: BalancesSchema } } },
      async (request) => ledger().balances(request.ctx, request.params.partnerId, request.params.userId),
    );
    router.get(
      '/partners/:partnerId/reps/:userId/statement',
      { config: { access: 'ledger:read' }, schema: { tags: ['ledger'], summary: "The statement of a partner's rep wallet, newest first", params: Rep, querystring: StatementQuery, response: { 200: StatementSchema } } },
      async (request) => ledger().statement(request.ctx, request.params.partnerId, { limit: request.query.limit ?? 100, before: request.query.before, userId: request.params.userId }),
    );
    router.get(
      '/partners/:partnerId/reps/:userId/lots',
      { config: { access: 'ledger:read' }, schema: { tags: ['ledger'], summary: "The open lots of a partner's rep wallet", params: Rep, response: { 200: LotsSchema } } },
      async (request) => ledger().lots(request.ctx, request.params.partnerId, request.params.userId),
    );
    router.get(
      '/me/rep/balances',
      { config: { access: 'ledger:read-own' }, schema: { tags: ['ledger'], summary: 'Your own (rep) wallet: the points the program credits to you personally', response: { 200: BalancesSchema } } },
      async (request) => ledger().balances(request.ctx, ownPartner(request.ctx.actor as never), ownUser(request.ctx.actor as never)),
    );
    router.get(
      '/me/rep/statement',
      { config: { access: 'ledger:read-own' }, schema: { tags: ['ledger'], summary: 'The statement of your own (rep) wallet', querystring: StatementQuery, response: { 200: StatementSchema } } },
      async (request) => ledger().statement(request.ctx, ownPartner(request.ctx.actor as never), { limit: request.query.limit ?? 100, before: request.query.before, userId: ownUser(request.ctx.actor as never) }),
    );
    router.get(
      '/me/rep/lots',
      { config: { access: 'ledger:read-own' }, schema: { tags: ['ledger'], summary: 'The open lots of your own (rep) wallet', response: { 200: LotsSchema } } },
      async (request) => ledger().lots(request.ctx, ownPartner(request.ctx.actor as never), ownUser(request.ctx.actor as never)),
    );
    router.get(
      '/me/balances',
      { config: { access: 'ledger:read-own' }, schema: { tags: ['ledger'], summary: "Your company's balances (partner users)", querystring: UnitQuery, response: { 200: BalancesSchema } } },
      async (request) => ledger().balances(request.ctx, ownPartner(request.ctx.actor as never), null, request.query.unit),
    );
    router.get(
      '/me/statement',
      { config: { access: 'ledger:read-own' }, schema: { tags: ['ledger'], summary: "Your company's statement (partner users)", querystring: StatementQuery, response: { 200: StatementSchema } } },
      async (request) => ledger().statement(request.ctx, ownPartner(request.ctx.actor as never), { limit: request.query.limit ?? 100, before: request.query.before, unit: request.query.unit }),
    );
    router.post(
      '/adjustments',
      {
        config: { access: 'ledger:adjust' },
        schema: {
          tags: ['ledger'],
          summary: "Adjust a partner's available points by hand, with a reason (audited)",
          body: Type.Object(
            { partnerId: Uuid, points: Type.Integer({ minimum: -1_000_000_000, maximum: 1_000_000_000 }), reason: Type.String({ minLength: 3, maxLength: 1000 }), idempotencyKey: Key },
            { additionalProperties: false },
          ),
          response: { 201: EntrySchema, 200: EntrySchema, 202: AdjustmentRequestSchema },
        },
      },
      async (request, reply) => {
        // Above the program's approval threshold it waits for a second admin (202 with the request).
        const outcome: AdjustOutcome = await approvals().adjustOrRequest(request.ctx, request.body);
        if ('pending' in outcome) return reply.status(202).send(outcome.pending);
        return reply.status(outcome.posted.created ? 201 : 200).send(outcome.posted);
      },
    );
    router.post(
      '/entries/:entryId/reversal',
      {
        config: { access: 'ledger:adjust' },
        schema: {
          tags: ['ledger'],
          summary: 'Reverse an entry in full or in part (points), with a reason (a new entry; nothing is changed or deleted)',
          params: Type.Object({ entryId: Type.Integer({ minimum: 1 }) }),
          body: Type.Object(
            { reason: Type.String({ minLength: 3, maxLength: 1000 }), idempotencyKey: Key, points: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'A partial reversal: the points to take back' })) },
            { additionalProperties: false },
          ),
          response: { 201: EntrySchema, 200: EntrySchema, 202: AdjustmentRequestSchema },
        },
      },
      async (request, reply) => {
        // Above the program's approval threshold it waits for a second admin (202 with the request).
        const outcome: AdjustOutcome = await approvals().reverseOrRequest(request.ctx, { entryId: request.params.entryId, ...request.body });
        if ('pending' in outcome) return reply.status(202).send(outcome.pending);
        return reply.status(outcome.posted.created ? 201 : 200).send(outcome.posted);
      },
    );
  };
}
