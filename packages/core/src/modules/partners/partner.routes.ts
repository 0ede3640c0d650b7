import { Type, type PluginRouter } from '@laurel/plugin-sdk';
import type { PartnerService } from './partner.service.ts';
import type { ImportService } from './import.service.ts';
import { IMPORT_COLUMNS } from './import.service.ts';

const Uuid = Type.String({ format: 'uuid' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const PartnerType = Type.Union([Type.Literal('distributor'), Type.Literal('wholesaler'), Type.Literal('reseller'), Type.Literal('dealer'), Type.Literal('integrator')]);
const PartnerStatus = Type.Union([Type.Literal('applied'), Type.Literal('active'), Type.Literal('suspended'), Type.Literal('closed')]);
const Locale = Type.Union([Type.Literal('en'), Type.Literal('pl'), Type.Literal('ru')]);

const ApplicantSchema = Type.Object({ name: Type.String(), email: Type.String(), locale: Locale, phone: Type.Union([Type.String(), Type.Null()]) });

const PartnerSchema = Type.Object({
  id: Uuid,
  programId: Uuid,
  partnerCode: Type.String({ description: 'PartnerID: program-unique; the identifier other systems map to' }),
  legalName: Type.String(),
  country: Type.String(),
  nip: Nullable(Type.String()),
  regon: Nullable(Type.String()),
  euVat: Nullable(Type.String()),
  krs: Nullable(Type.String()),
  type: PartnerType,
  salesChannel: Nullable(Type.String()),
  region: Nullable(Type.String()),
  segments: Type.Array(Type.String()),
  status: PartnerStatus,
  statusReason: Nullable(Type.String()),
  accountManagerId: Nullable(Type.String({ format: 'uuid' })),
  applicant: Type.Union([ApplicantSchema, Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const identity = {
  legalName: Type.String({ minLength: 1, maxLength: 300 }),
  country: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2}$', description: 'ISO 3166-1 alpha-2; PL by default' })),
  nip: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 20 }), Type.Null()])),
  regon: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 20 }), Type.Null()])),
  euVat: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 20 }), Type.Null()])),
  krs: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 20 }), Type.Null()])),
  type: PartnerType,
  salesChannel: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
  region: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
};

const ProblemRow = Type.Object({ line: Type.Integer(), column: Type.String(), code: Type.String(), message: Type.String() });
const ImportSchema = Type.Object({
  id: Uuid,
  programId: Uuid,
  status: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
  total: Type.Integer(),
  processed: Type.Integer(),
  created: Type.Integer(),
  skipped: Type.Integer(),
  problems: Type.Array(ProblemRow),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export function partnerRoutes(partners: () => PartnerService, imports: () => ImportService) {
  return (router: PluginRouter): void => {
    // CSV bodies for imports (10 MiB); everything else stays JSON.
    router.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string', bodyLimit: 10 * 1024 * 1024 }, (_request, body, done) => done(null, body));

    router.post(
      '/imports',
      {
        config: { access: 'partners:write' },
        schema: {
          tags: ['partners'],
          summary: `Import partners from CSV (columns: ${IMPORT_COLUMNS.join(', ')}); every row is checked first`,
          description:
            'Send the file as text/csv (comma or semicolon separated, UTF-8). Bad rows are reported with line, column and reason; nothing is imported while a row is bad unless importGood=true. Rows whose NIP or PartnerID already exist are skipped, so a file can be re-run. With dryRun=true only the report is returned. The import runs in the background: poll GET /imports/{id} for progress.',
          querystring: Type.Object({ programId: Uuid, importGood: Type.Optional(Type.Boolean({ default: false })), dryRun: Type.Optional(Type.Boolean({ default: false })) }),
          body: Type.String({ minLength: 1 }),
          response: {
            202: Type.Object({
              report: Type.Object({ total: Type.Integer(), valid: Type.Integer(), alreadyPresent: Type.Integer(), problems: Type.Array(ProblemRow) }),
              import: Type.Union([ImportSchema, Type.Null()]),
            }),
          },
        },
      },
      async (request, reply) =>
        reply.status(202).send(await imports().start(request.ctx, { programId: request.query.programId, csv: request.body, importGood: request.query.importGood ?? false, dryRun: request.query.dryRun ?? false })),
    );

    router.get(
      '/imports/:id',
      { config: { access: 'partners:write' }, schema: { tags: ['partners'], summary: 'Progress and outcome of an import', params: Type.Object({ id: Uuid }), response: { 200: ImportSchema } } },
      async (request) => imports().get(request.ctx, request.params.id),
    );

    router.get(
      '/',
      {
        config: { access: 'partners:read' },
        schema: {
          tags: ['partners'],
          summary: 'Search partners (name, NIP or PartnerID in q; filters), keyset-paginated by name',
          querystring: Type.Object({
            programId: Type.Optional(Uuid),
            q: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            type: Type.Optional(PartnerType),
            region: Type.Optional(Type.String({ maxLength: 100 })),
            status: Type.Optional(PartnerStatus),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 1000 })),
          }),
          response: { 200: Type.Object({ items: Type.Array(PartnerSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }) },
        },
      },
      async (request) => partners().list(request.ctx, { ...request.query, limit: request.query.limit ?? 50 }),
    );

    router.get(
      '/me',
      {
        config: { access: 'partner-profile:read' },
        schema: {
          tags: ['partners'],
          summary: 'Your company, its program and your account manager (partner users)',
          response: {
            200: Type.Object({
              partner: PartnerSchema,
              programName: Type.Union([Type.Object({ en: Type.String(), pl: Type.String(), ru: Type.String() }), Type.Null()]),
              accountManager: Type.Union([Type.Object({ id: Uuid, displayName: Type.String(), email: Type.String() }), Type.Null()]),
            }),
          },
        },
      },
      async (request) => partners().mine(request.ctx),
    );

    router.get(
      '/:id',
      { config: { access: 'partners:read' }, schema: { tags: ['partners'], summary: 'One partner', params: Type.Object({ id: Uuid }), response: { 200: PartnerSchema } } },
      async (request) => partners().get(request.ctx, request.params.id),
    );

    router.post(
      '/',
      {
        config: { access: 'partners:write' },
        schema: {
          tags: ['partners'],
          summary: 'Add an active partner to a program (NIP, REGON, EU VAT and KRS are validated)',
          body: Type.Object(
            {
              programId: Uuid,
              partnerCode: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$' })),
              ...identity,
              segments: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 50 })),
              accountManagerId: Type.Optional(Type.Union([Uuid, Type.Null()])),
            },
            { additionalProperties: false },
          ),
          response: { 201: PartnerSchema },
        },
      },
      async (request, reply) => reply.status(201).send(await partners().create(request.ctx, request.body)),
    );

    router.patch(
      '/:id',
      {
        config: { access: 'partners:write' },
        schema: {
          tags: ['partners'],
          summary: "Change a partner's data",
          params: Type.Object({ id: Uuid }),
          body: Type.Partial(
            Type.Object(
              {
                partnerCode: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$' }),
                ...identity,
                legalName: identity.legalName,
                type: identity.type,
                segments: Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 50 }),
                accountManagerId: Type.Union([Uuid, Type.Null()]),
              },
              { additionalProperties: false },
            ),
          ),
          response: { 200: PartnerSchema },
        },
      },
      async (request) => partners().update(request.ctx, request.params.id, request.body),
    );

    router.post(
      '/:id/status',
      {
        config: { access: 'partners:write' },
        schema: {
          tags: ['partners'],
          summary: 'Suspend, reactivate or close a partner, with a reason',
          params: Type.Object({ id: Uuid }),
          body: Type.Object({ status: PartnerStatus, reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
          response: { 200: PartnerSchema },
        },
      },
      async (request) => partners().changeStatus(request.ctx, request.params.id, request.body),
    );

    router.post(
      '/applications',
      {
        config: { access: 'public' },
        schema: {
          tags: ['partners'],
          summary: 'Apply to join a program as a partner (public; an admin approves or rejects)',
          body: Type.Object(
            {
              programCode: Type.String({ minLength: 3, maxLength: 50 }),
              ...identity,
              applicant: Type.Object(
                { name: Type.String({ minLength: 1, maxLength: 200 }), email: Type.String({ format: 'email', maxLength: 254 }), locale: Locale, phone: Type.Optional(Type.String({ maxLength: 40 })) },
                { additionalProperties: false },
              ),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ id: Uuid, partnerCode: Type.String(), status: PartnerStatus }) },
        },
      },
      async (request, reply) => {
        const partner = await partners().apply(request.ctx, request.body);
        return reply.status(201).send({ id: partner.id, partnerCode: partner.partnerCode, status: partner.status });
      },
    );

    router.post(
      '/:id/approve',
      {
        config: { access: 'partners:approve' },
        schema: {
          tags: ['partners'],
          summary: 'Approve an application: the partner becomes active and the applicant is invited as partner admin',
          params: Type.Object({ id: Uuid }),
          body: Type.Object({ accountManagerId: Type.Optional(Type.Union([Uuid, Type.Null()])) }, { additionalProperties: false }),
          response: { 200: Type.Object({ partner: PartnerSchema, partnerAdmin: Type.Object({ id: Uuid, email: Type.String() }) }) },
        },
      },
      async (request) => {
        const { partner, partnerAdmin } = await partners().approve(request.ctx, request.params.id, { ...request.body, baseUrl: request.publicOrigin });
        return { partner, partnerAdmin: { id: partnerAdmin.id, email: partnerAdmin.email } };
      },
    );

    router.post(
      '/:id/reject',
      {
        config: { access: 'partners:approve' },
        schema: {
          tags: ['partners'],
          summary: 'Reject an application, with a reason',
          params: Type.Object({ id: Uuid }),
          body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
          response: { 200: PartnerSchema },
        },
      },
      async (request) => partners().reject(request.ctx, request.params.id, request.body),
    );

    router.get(
      '/:id/related',
      { config: { access: 'partners:read' }, schema: { tags: ['partners'], summary: 'Companies linked in a capital group', params: Type.Object({ id: Uuid }), response: { 200: Type.Object({ items: Type.Array(PartnerSchema) }) } } },
      async (request) => ({ items: await partners().related(request.ctx, request.params.id) }),
    );

    router.post(
      '/:id/related',
      {
        config: { access: 'partners:write' },
        schema: { tags: ['partners'], summary: 'Link two partners of one capital group', params: Type.Object({ id: Uuid }), body: Type.Object({ relatedPartnerId: Uuid }, { additionalProperties: false }) },
      },
      async (request, reply) => {
        await partners().link(request.ctx, request.params.id, request.body.relatedPartnerId);
        return reply.status(204).send();
      },
    );
  };
}
