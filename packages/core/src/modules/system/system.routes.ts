import { Type, type PluginRouter } from '@laurel/plugin-sdk';
import type { createDeadLetterService } from './dead-letter.service.ts';
import type { ApprovalService } from './approval.service.ts';
import type { AdminUi } from '../../platform/admin-ui.ts';

const Uuid = Type.String({ format: 'uuid' });

const DeadLetterSchema = Type.Object(
  {
    id: Uuid,
    eventId: Uuid,
    event: Type.String(),
    listener: Type.String(),
    attempts: Type.Integer(),
    lastError: Type.Union([Type.String(), Type.Null()]),
    payload: Type.Unknown(),
    occurredAt: Type.String({ format: 'date-time' }),
    parkedAt: Type.String({ format: 'date-time' }),
  },
);

const ApprovalSchema = Type.Object(
  {
    id: Uuid,
    subject: Type.String(),
    reference: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected'), Type.Literal('expired')]),
    timeoutSeconds: Type.Integer(),
    requestedAt: Type.String({ format: 'date-time' }),
    decidedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    decisionComment: Type.Union([Type.String(), Type.Null()]),
    workflowId: Type.String(),
  },
);

const Loose = Type.Record(Type.String(), Type.Unknown());
const AdminPagesSchema = Type.Object({
  pages: Type.Array(
    Type.Object(
      {
        pluginId: Type.String(),
        id: Type.String(),
        nav: Type.Object({ label: Type.String(), icon: Type.Optional(Type.String()), permission: Type.String(), order: Type.Optional(Type.Integer()) }),
        title: Type.String(),
        description: Type.Optional(Type.String()),
        sections: Type.Array(Loose),
        detail: Type.Optional(Loose),
      },
      { description: 'A declarative admin page (see AdminPage in @laurel/plugin-sdk); texts are i18n keys of the plugin namespace' },
    ),
  ),
  strings: Type.Record(Type.String(), Loose, { description: "Each plugin's i18n namespace in the asked locale" }),
});

export function systemRoutes(deadLetters: ReturnType<typeof createDeadLetterService>, approvals: () => ApprovalService, adminUi: () => AdminUi) {
  return (router: PluginRouter): void => {
    router.get(
      '/admin-pages',
      {
        config: { access: 'signed-in' },
        schema: {
          tags: ['system'],
          summary: "The enabled plugins' admin pages the caller may open, with their strings",
          description: 'Nav entries and pages that plugins contribute with ctx.ui.adminPage; a disabled plugin, or a page whose permission the caller lacks, is not listed. `locale` (en, pl, ru) picks the strings; by default the caller’s language.',
          querystring: Type.Object({ locale: Type.Optional(Type.Union([Type.Literal('en'), Type.Literal('pl'), Type.Literal('ru')])) }),
          response: { 200: AdminPagesSchema },
        },
      },
      async (request) => adminUi().manifest(request.ctx.actor, request.query.locale ?? request.ctx.locale) as never,
    );

    router.get(
      '/dead-letters',
      {
        config: { access: 'system:operate' },
        schema: {
          tags: ['system'],
          summary: 'List event deliveries parked after failing past their retries',
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) }),
          response: { 200: Type.Object({ items: Type.Array(DeadLetterSchema) }) },
        },
      },
      async (request) => ({ items: await deadLetters.list(request.ctx, { limit: request.query.limit ?? 100 }) }),
    );

    router.post(
      '/dead-letters/:id/replay',
      {
        config: { access: 'system:operate' },
        schema: {
          tags: ['system'],
          summary: 'Queue a parked delivery again, with fresh retries',
          params: Type.Object({ id: Uuid }),
          response: { 202: Type.Object({ id: Uuid, status: Type.Literal('pending') }) },
        },
      },
      async (request, reply) => reply.status(202).send(await deadLetters.replay(request.ctx, request.params.id)),
    );

    router.post(
      '/approvals',
      {
        config: { access: 'system:operate' },
        schema: {
          tags: ['system'],
          summary: 'Ask for an approval; it waits in a workflow for a decision or expires',
          body: Type.Object(
            {
              subject: Type.String({ minLength: 1, maxLength: 200 }),
              reference: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
              timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 90 * 24 * 3600, default: 7 * 24 * 3600 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: ApprovalSchema },
        },
      },
      async (request, reply) => reply.status(201).send(await approvals().request(request.ctx, { ...request.body, timeoutSeconds: request.body.timeoutSeconds ?? 7 * 24 * 3600 })),
    );

    router.get(
      '/approvals/:id',
      {
        config: { access: 'system:operate' },
        schema: { tags: ['system'], summary: 'An approval request and its status', params: Type.Object({ id: Uuid }), response: { 200: ApprovalSchema } },
      },
      async (request) => approvals().get(request.ctx, request.params.id),
    );

    router.post(
      '/approvals/:id/decision',
      {
        config: { access: 'system:operate' },
        schema: {
          tags: ['system'],
          summary: 'Approve or reject; the decision is delivered to the waiting workflow',
          params: Type.Object({ id: Uuid }),
          body: Type.Object(
            {
              decision: Type.Union([Type.Literal('approved'), Type.Literal('rejected')]),
              comment: Type.Optional(Type.String({ maxLength: 2000 })),
            },
            { additionalProperties: false },
          ),
          response: { 202: ApprovalSchema },
        },
      },
      async (request, reply) => reply.status(202).send(await approvals().decide(request.ctx, request.params.id, request.body)),
    );
  };
}
