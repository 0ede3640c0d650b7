import { Type, type PluginRouter } from '@laurel/plugin-sdk';
import type { ProgramService } from './program.service.ts';

const Uuid = Type.String({ format: 'uuid' });
const Locale = Type.Union([Type.Literal('en'), Type.Literal('pl'), Type.Literal('ru')]);
const Status = Type.Union([Type.Literal('draft'), Type.Literal('pilot'), Type.Literal('live'), Type.Literal('closed')]);
const LocalizedName = Type.Object(
  { en: Type.String({ minLength: 1, maxLength: 120 }), pl: Type.String({ minLength: 1, maxLength: 120 }), ru: Type.String({ minLength: 1, maxLength: 120 }) },
  { additionalProperties: false },
);
const ExpiryPolicy = Type.Union([
  Type.Object({ kind: Type.Literal('never') }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('months-after-earning'), months: Type.Integer({ minimum: 1, maximum: 120 }) }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('end-of-quarter-after'), quarters: Type.Integer({ minimum: 0, maximum: 40 }) }, { additionalProperties: false }),
]);
const RepSplitPolicy = Type.Object({ repPercent: Type.Integer({ minimum: 0, maximum: 100 }) }, { additionalProperties: false });

const ProgramSchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  name: LocalizedName,
  currency: Type.String(),
  pointValueMinorPerThousand: Type.Integer(),
  timeZone: Type.String(),
  defaultLocale: Locale,
  status: Status,
  pilotPartnerIds: Type.Array(Uuid),
  expiryPolicy: ExpiryPolicy,
  repSplitPolicy: RepSplitPolicy,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const editable = {
  name: LocalizedName,
  currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' }),
  pointValueMinorPerThousand: Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'Value of 1000 points in minor units of the currency' }),
  timeZone: Type.String({ minLength: 1, maxLength: 64 }),
  defaultLocale: Locale,
  expiryPolicy: ExpiryPolicy,
  repSplitPolicy: RepSplitPolicy,
};

export function programRoutes(programs: () => ProgramService) {
  return (router: PluginRouter): void => {
    router.get(
      '/',
      { config: { access: 'programs:read' }, schema: { tags: ['programs'], summary: 'Loyalty programs you may see', response: { 200: Type.Object({ items: Type.Array(ProgramSchema) }) } } },
      async (request) => ({ items: await programs().list(request.ctx) }),
    );
    router.get(
      '/:id',
      { config: { access: 'programs:read' }, schema: { tags: ['programs'], summary: 'One program', params: Type.Object({ id: Uuid }), response: { 200: ProgramSchema } } },
      async (request) => programs().get(request.ctx, request.params.id),
    );
    router.post(
      '/',
      {
        config: { access: 'programs:manage' },
        schema: {
          tags: ['programs'],
          summary: 'Create a program (starts as a draft)',
          body: Type.Object(
            {
              code: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$', description: 'URL-safe, unique' }),
              name: editable.name,
              currency: editable.currency,
              pointValueMinorPerThousand: editable.pointValueMinorPerThousand,
              timeZone: Type.Optional(editable.timeZone),
              defaultLocale: Type.Optional(editable.defaultLocale),
              expiryPolicy: Type.Optional(editable.expiryPolicy),
              repSplitPolicy: Type.Optional(editable.repSplitPolicy),
            },
            { additionalProperties: false },
          ),
          response: { 201: ProgramSchema },
        },
      },
      async (request, reply) => reply.status(201).send(await programs().create(request.ctx, request.body)),
    );
    router.patch(
      '/:id',
      {
        config: { access: 'programs:manage' },
        schema: {
          tags: ['programs'],
          summary: 'Change a program; the currency is fixed once it leaves draft',
          params: Type.Object({ id: Uuid }),
          body: Type.Object(
            {
              name: Type.Optional(editable.name),
              currency: Type.Optional(editable.currency),
              pointValueMinorPerThousand: Type.Optional(editable.pointValueMinorPerThousand),
              timeZone: Type.Optional(editable.timeZone),
              defaultLocale: Type.Optional(editable.defaultLocale),
              expiryPolicy: Type.Optional(editable.expiryPolicy),
              repSplitPolicy: Type.Optional(editable.repSplitPolicy),
              pilotPartnerIds: Type.Optional(Type.Array(Uuid, { maxItems: 10_000 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: ProgramSchema },
        },
      },
      async (request) => programs().update(request.ctx, request.params.id, request.body),
    );
    router.post(
      '/:id/status',
      {
        config: { access: 'programs:manage' },
        schema: {
          tags: ['programs'],
          summary: 'Move a program: draft → pilot → live → closed',
          params: Type.Object({ id: Uuid }),
          body: Type.Object({ status: Status, reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
          response: { 200: ProgramSchema },
        },
      },
      async (request) => programs().changeStatus(request.ctx, request.params.id, request.body),
    );
  };
}
