import { Type, type PluginRouter } from '@laurel/plugin-sdk';
import { auditService } from './audit.service.ts';

export const AuditEntrySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    occurredAt: Type.String({ format: 'date-time' }),
    actor: Type.Unknown(),
    action: Type.String(),
    subjectType: Type.String(),
    subjectId: Type.String(),
    requestId: Type.Union([Type.String(), Type.Null()]),
    data: Type.Record(Type.String(), Type.Unknown()),
  },
);

export function auditRoutes(router: PluginRouter): void {
  router.get(
    '/records',
    {
      config: { access: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'List audit records, newest first',
        querystring: Type.Object({
          subjectType: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          subjectId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
        }),
        response: { 200: Type.Object({ items: Type.Array(AuditEntrySchema) }) },
      },
    },
    async (request) => ({ items: await auditService.list(request.ctx, { ...request.query, limit: request.query.limit ?? 50 }) }),
  );
}
