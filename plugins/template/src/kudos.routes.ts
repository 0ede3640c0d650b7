import { Type, type PluginRouter } from '@laurel/plugin-sdk';
import type { KudosService } from './kudos.service.ts';

const Uuid = Type.String({ format: 'uuid' });
const Level = Type.Union([Type.Literal('thanks'), Type.Literal('great'), Type.Literal('outstanding')], { description: 'thanks, great or outstanding: what the program rules for custom.kudos answer (event.data.level)' });
const KudosSchema = Type.Object({
  id: Uuid,
  programId: Uuid,
  partnerId: Uuid,
  message: Type.String(),
  level: Level,
  status: Type.Union([Type.Literal('awaiting-approval'), Type.Literal('approved'), Type.Literal('granted'), Type.Literal('rejected'), Type.Literal('expired')], { description: 'awaiting-approval, approved (being granted), granted (sent to the earning rules), rejected or expired' }),
  points: Type.Union([Type.Integer(), Type.Null()], { description: 'What the earning rules gave, once granted' }),
  createdAt: Type.String({ format: 'date-time' }),
});

/**
 * Routes are mounted under /api/v1/<plugin id>, typed with TypeBox (the body is validated and a bad field is a 400
 * naming it, in the caller's language), listed in the OpenAPI document, and each names who may call it.
 */
export function kudosRoutes(kudos: () => KudosService) {
  return (router: PluginRouter): void => {
    router.post(
      '/kudos',
      {
        config: { access: 'template:write' },
        schema: {
          tags: ['template'],
          summary: 'Give kudos to a partner',
          description: 'Levels listed in the plugin setting approvalFor wait for an approval; the others are sent to the earning rules at once (as a custom.kudos event).',
          body: Type.Object({ partnerId: Uuid, message: Type.String({ minLength: 1, maxLength: 500 }), level: Level }, { additionalProperties: false }),
          response: { 201: KudosSchema },
        },
      },
      async (request, reply) => reply.status(201).send(await kudos().give(request.ctx, request.body)),
    );

    router.get(
      '/kudos',
      {
        config: { access: 'template:read' },
        schema: {
          tags: ['template'],
          summary: 'Kudos, newest first (a partner user sees their own company’s only)',
          querystring: Type.Object({ partnerId: Type.Optional(Uuid), limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }) }, { additionalProperties: false }),
          response: { 200: Type.Object({ items: Type.Array(KudosSchema) }) },
        },
      },
      async (request) => ({ items: await kudos().list(request.ctx, request.query) }),
    );

    router.post(
      '/kudos/:id/decision',
      {
        config: { access: 'template:write' },
        schema: {
          tags: ['template'],
          summary: 'Approve or reject kudos awaiting approval',
          params: Type.Object({ id: Uuid }),
          body: Type.Object({ decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]), reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false }),
          response: { 202: KudosSchema },
        },
      },
      async (request, reply) => reply.status(202).send(await kudos().decide(request.ctx, request.params.id, { decision: request.body.decision, reason: request.body.reason ?? null })),
    );

    router.get(
      '/leaderboard',
      {
        config: { access: 'template:read' },
        schema: {
          tags: ['template'],
          summary: 'Partners by the number of kudos they received',
          querystring: Type.Object({ programId: Uuid }, { additionalProperties: false }),
          response: { 200: Type.Object({ items: Type.Array(Type.Object({ partnerId: Uuid, kudos: Type.Integer() })) }) },
        },
      },
      async (request) => ({ items: await kudos().leaderboard(request.ctx, request.query.programId) }),
    );
  };
}
