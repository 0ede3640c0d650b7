import { auditTrailRef, definePlugin } from '@laurel/plugin-sdk';

declare module '@laurel/plugin-sdk' {
  interface LaurelPermissions {
    /** Browse and filter the audit trail. */
    'audit:read': true;
  }
}
import { CORE_VERSION } from '../../version.ts';
import { AuditRecord } from './audit.entity.ts';
import { auditRoutes } from './audit.routes.ts';
import { auditService, auditServiceRef } from './audit.service.ts';
import { migration as m0001 } from './migrations/0001_audit_record.ts';
import { migration as m0002 } from './migrations/0002_audit_ip.ts';
import en from './locales/en.json' with { type: 'json' };
import pl from './locales/pl.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };

/** Core module `audit`: the append-only trail of every admin action. */
export const auditModule = definePlugin({
  id: 'audit',
  version: CORE_VERSION,
  compatibility: `^${CORE_VERSION}`,
  entities: [AuditRecord],
  migrations: [m0001, m0002],
  setup(ctx) {
    ctx.grant('audit:read', ['admin', 'program-manager', 'finance', 'support'], { apiKeys: true });
    ctx.locales({ en, pl, ru });
    ctx.provide(auditServiceRef, auditService);
    // The public audit trail of the plugin SDK.
    ctx.provide(auditTrailRef, { record: (recordCtx, input) => auditService.record(recordCtx, input) });
    ctx.routes(auditRoutes);
  },
});

export { auditServiceRef };
export type { AuditEntry, AuditEntryInput, AuditService } from './audit.service.ts';
