import { AppError, Type, type PluginRouter } from '@laurel/plugin-sdk';
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
    ip: Type.Union([Type.String(), Type.Null()]),
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
        summary: 'Browse the audit trail, newest first (filters; keyset-paginated)',
        querystring: Type.Object({
          subjectType: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          subjectId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          action: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'An action, or a prefix ending in a dot (partners.)' })),
          actorId: Type.Optional(Type.String({ format: 'uuid' })),
          from: Type.Optional(Type.String({ format: 'date-time' })),
          to: Type.Optional(Type.String({ format: 'date-time' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          cursor: Type.Optional(Type.String({ maxLength: 500, pattern: '^[A-Za-z0-9_-]+$' })),
        }),
        response: { 200: Type.Object({ items: Type.Array(AuditEntrySchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (request) => {
      try {
        return await auditService.list(request.ctx, { ...request.query, limit: request.query.limit ?? 50 });
      } catch (error) {
        if (error instanceof SyntaxError || error instanceof RangeError) {
          throw new AppError('AUDIT_CURSOR_INVALID', 422, { fields: [{ field: '/querystring/cursor', messageKey: 'errors.AUDIT_CURSOR_INVALID' }] });
        }
        throw error;
      }
    },
  );
}
