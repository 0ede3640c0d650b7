import { defineEntity, p } from '@laurel/plugin-sdk';

export const AuditRecord = defineEntity({
  name: 'AuditRecord',
  tableName: 'audit_record',
  properties: {
    id: p.uuid().primary(),
    occurredAt: p.datetime(),
    actor: p.json<unknown>(),
    action: p.string(),
    subjectType: p.string(),
    subjectId: p.string(),
    requestId: p.string().nullable(),
    ip: p.string().nullable(),
    data: p.json<Record<string, unknown>>(),
  },
});
