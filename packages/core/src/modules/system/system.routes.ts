import { Type, type PluginRouter } from '@laurel/plugin-sdk';
import type { createDeadLetterService } from './dead-letter.service.ts';
import type { ApprovalService } from './approval.service.ts';

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

export function systemRoutes(deadLetters: ReturnType<typeof createDeadLetterService>, approvals: () => ApprovalService) {
  return (router: PluginRouter): void => {
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
