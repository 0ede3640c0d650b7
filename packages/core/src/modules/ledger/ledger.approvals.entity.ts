import { defineEntity, p, partnerScoped, programScoped } from '@laurel/plugin-sdk';

export const ADJUSTMENT_REQUEST_STATUSES = ['pending', 'posted', 'rejected', 'lapsed', 'failed'] as const;
export type AdjustmentRequestStatus = (typeof ADJUSTMENT_REQUEST_STATUSES)[number];
export type AdjustmentRequestKind = 'adjustment' | 'reversal';

/** A manual adjustment or reversal above the program's threshold, waiting for (or decided by) a second admin. */
export const LedgerAdjustmentRequest = defineEntity({
  name: 'LedgerAdjustmentRequest',
  tableName: 'ledger_adjustment_request',
  filters: { ...partnerScoped('partnerId'), ...programScoped('programId') },
  properties: {
    id: p.uuid().primary(),
    programId: p.uuid(),
    partnerId: p.uuid(),
    kind: p.string().$type<AdjustmentRequestKind>(),
    points: p.bigint('number'),
    entryId: p.bigint('number').nullable(),
    reason: p.text(),
    idempotencyKey: p.string(),
    requestedBy: p.uuid().nullable(),
    requestedByName: p.text().nullable(),
    requestedAt: p.datetime(),
    status: p.string().$type<AdjustmentRequestStatus>(),
    decidedBy: p.uuid().nullable(),
    decidedByName: p.text().nullable(),
    decidedAt: p.datetime().nullable(),
    decisionComment: p.text().nullable(),
    postedEntryId: p.bigint('number').nullable(),
    failure: p.json<{ code: string; params: Record<string, unknown> }>().nullable(),
  },
});
