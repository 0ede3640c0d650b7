import { defineEntity, p } from '@laurel/plugin-sdk';

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** The PostgreSQL mirror of an approval workflow: Temporal holds the progress, this row the business state. */
export const ApprovalRequest = defineEntity({
  name: 'ApprovalRequest',
  tableName: 'system_approval_request',
  properties: {
    id: p.uuid().primary(),
    subject: p.string(),
    reference: p.string().nullable(),
    status: p.string().$type<ApprovalStatus>(),
    timeoutSeconds: p.integer(),
    requestedBy: p.json<unknown>(),
    decidedBy: p.json<unknown>().nullable(),
    decisionComment: p.text().nullable(),
    requestedAt: p.datetime(),
    decidedAt: p.datetime().nullable(),
  },
});
