import { Type, type PluginRouter } from '@laurel/plugin-sdk';
import type { LedgerApprovals } from './ledger.approvals.ts';

const Uuid = Type.String({ format: 'uuid' });
const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableInteger = Type.Union([Type.Integer(), Type.Null()]);
const StatusSchema = Type.Union([Type.Literal('pending'), Type.Literal('posted'), Type.Literal('rejected'), Type.Literal('lapsed'), Type.Literal('failed')]);

/** A manual adjustment or reversal waiting for (or decided by) a second admin. */
export const AdjustmentRequestSchema = Type.Object({
  id: Uuid,
  programId: Uuid,
  partnerId: Uuid,
  kind: Type.Union([Type.Literal('adjustment'), Type.Literal('reversal')]),
  points: Type.Integer({ description: 'Signed for an adjustment; for a reversal, the points it takes back' }),
  entryId: Type.Union([Type.Integer(), Type.Null()], { description: 'For a reversal: the entry to reverse' }),
  reason: Type.String(),
  idempotencyKey: Type.String(),
  requestedBy: Type.Union([Uuid, Type.Null()]),
  requestedByName: NullableString,
  requestedAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time', description: 'When a pending request lapses' }),
  status: StatusSchema,
  decidedBy: Type.Union([Uuid, Type.Null()]),
  decidedByName: NullableString,
  decidedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  decisionComment: NullableString,
  postedEntryId: NullableInteger,
  failure: Type.Union([Type.Object({ code: Type.String(), params: Type.Record(Type.String(), Type.Unknown()) }), Type.Null()]),
});

const PolicySchema = Type.Object({
  programId: Uuid,
  approvalThreshold: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Adjustments and reversals of more points need a second admin; null: none do' }),
  adjustmentTtlDays: Type.Integer({ minimum: 1, description: 'Days a request waits for a decision before it lapses' }),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  updatedBy: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
});

const DecisionBody = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false });

export function ledgerApprovalRoutes(approvals: () => LedgerApprovals) {
  return (router: PluginRouter): void => {
    router.get(
      '/programs/:programId/policy',
      {
        config: { access: 'ledger:read' },
        schema: { tags: ['ledger'], summary: "A program's ledger policy: the approval threshold of manual adjustments and how long requests wait", params: Type.Object({ programId: Uuid }), response: { 200: PolicySchema } },
      },
      async (request) => approvals().policy(request.ctx, request.params.programId),
    );
    router.put(
      '/programs/:programId/policy',
      {
        config: { access: 'ledger:adjust' },
        schema: {
          tags: ['ledger'],
          summary: "Change a program's ledger policy (audited with before and after)",
          params: Type.Object({ programId: Uuid }),
          body: Type.Object(
            {
              approvalThreshold: Type.Union([Type.Integer({ minimum: 0, maximum: 1_000_000_000 }), Type.Null()]),
              adjustmentTtlDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: PolicySchema },
        },
      },
      async (request) => approvals().setPolicy(request.ctx, request.params.programId, request.body),
    );
    router.get(
      '/adjustment-requests',
      {
        config: { access: 'ledger:read' },
        schema: {
          tags: ['ledger'],
          summary: 'Adjustments and reversals waiting for (or decided by) a second admin, newest first',
          querystring: Type.Object({
            status: Type.Optional(StatusSchema),
            partnerId: Type.Optional(Uuid),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            before: Type.Optional(Type.String({ format: 'uuid', description: 'nextBefore of the previous page' })),
          }),
          response: { 200: Type.Object({ items: Type.Array(AdjustmentRequestSchema), nextBefore: Type.Union([Uuid, Type.Null()]) }) },
        },
      },
      async (request) => approvals().list(request.ctx, { ...request.query, limit: request.query.limit ?? 50 }),
    );
    router.get(
      '/adjustment-requests/:id',
      { config: { access: 'ledger:read' }, schema: { tags: ['ledger'], summary: 'One adjustment request', params: Type.Object({ id: Uuid }), response: { 200: AdjustmentRequestSchema } } },
      async (request) => approvals().get(request.ctx, request.params.id),
    );
    router.post(
      '/adjustment-requests/:id/approve',
      {
        config: { access: 'ledger:approve' },
        schema: {
          tags: ['ledger'],
          summary: "Approve another admin's request: the entry is posted at once (four eyes)",
          params: Type.Object({ id: Uuid }),
          body: DecisionBody,
          response: { 200: AdjustmentRequestSchema },
        },
      },
      async (request) => approvals().approve(request.ctx, request.params.id, { comment: request.body.comment ?? null }),
    );
    router.post(
      '/adjustment-requests/:id/reject',
      {
        config: { access: 'ledger:approve' },
        schema: {
          tags: ['ledger'],
          summary: "Reject another admin's request; nothing is posted",
          params: Type.Object({ id: Uuid }),
          body: DecisionBody,
          response: { 200: AdjustmentRequestSchema },
        },
      },
      async (request) => approvals().reject(request.ctx, request.params.id, { comment: request.body.comment ?? null }),
    );
  };
}
