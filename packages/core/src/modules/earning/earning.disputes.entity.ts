import { defineEntity, p, partnerScoped, programScoped } from '@laurel/plugin-sdk';

export const DISPUTE_STATUSES = ['open', 'waiting-for-partner', 'waiting-for-support', 'resolved', 'rejected'] as const;
/** `open`: filed, nobody answered yet; then whose turn it is; `resolved` (with an adjustment) or `rejected` (with a reason). */
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];
export const DISPUTE_SUBJECTS = ['entry', 'missing-event'] as const;
export type DisputeSubject = (typeof DISPUTE_SUBJECTS)[number];

/**
 * A partner's dispute about a ledger entry or a missing event. Partner-scoped: a partner user's queries see only
 * their own company's disputes (another company's is a 404). Its thread and attachments are read by dispute id,
 * once the dispute itself has been found through this entity.
 */
export const EarningDispute = defineEntity({
  name: 'EarningDispute',
  tableName: 'earning_dispute',
  filters: { ...partnerScoped('partnerId'), ...programScoped('programId') },
  properties: {
    id: p.uuid().primary(),
    number: p.bigint().$type<string>().persist(false),
    programId: p.uuid(),
    partnerId: p.uuid(),
    subject: p.string().$type<DisputeSubject>(),
    entryId: p.bigint().$type<string>().nullable(),
    reference: p.string().nullable(),
    text: p.text(),
    status: p.string().$type<DisputeStatus>(),
    idempotencyKey: p.string(),
    requestHash: p.string(),
    filedBy: p.json<Record<string, unknown>>(),
    filedByName: p.string().nullable(),
    filedAt: p.datetime(),
    dueAt: p.datetime(),
    updatedAt: p.datetime(),
    resolution: p.json<Record<string, unknown>>().nullable(),
    resolvedBy: p.json<Record<string, unknown>>().nullable(),
    resolvedAt: p.datetime().nullable(),
  },
});
