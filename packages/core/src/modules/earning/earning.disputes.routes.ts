import { Type, type PluginRouter, type PluginSetupContext } from '@laurel/plugin-sdk';
import type { FastifyReply } from 'fastify';
import { auditServiceRef } from '../audit/index.ts';
import { ledgerApprovalsRef, ledgerServiceRef } from '../ledger/index.ts';
import { partnerServiceRef } from '../partners/index.ts';
import { programServiceRef } from '../programs/index.ts';
import { ATTACHMENT_TYPES, createDisputeService, disputeServiceRef, MAX_ATTACHMENT_BYTES, type DisputeService, type DisputeSide } from './earning.disputes.ts';

declare module '@laurel/plugin-sdk' {
  interface LaurelPermissions {
    /** A partner user's: file disputes about their own company's points and follow them. */
    'disputes:file': true;
    /** Support: answer disputes, settle them with an adjustment or a reasoned rejection, set the program's SLA. */
    'disputes:manage': true;
  }
}

const Uuid = Type.String({ format: 'uuid' });
const Key = Type.String({ minLength: 1, maxLength: 200, description: 'Idempotency key: a replay returns the first result; a different request with the same key is a 409' });
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Status = Type.Union(
  [Type.Literal('open'), Type.Literal('waiting-for-partner'), Type.Literal('waiting-for-support'), Type.Literal('resolved'), Type.Literal('rejected')],
  { description: 'open: nobody answered yet; waiting-for-partner / waiting-for-support: whose turn it is; resolved: settled with an adjustment; rejected: with a reason' },
);
const Side = Type.Union([Type.Literal('partner'), Type.Literal('support')]);
const ContentType = Type.Union([Type.Literal(ATTACHMENT_TYPES[0]), Type.Literal(ATTACHMENT_TYPES[1]), Type.Literal(ATTACHMENT_TYPES[2])]);
/** Attachments come base64-encoded in JSON: 5 MiB of file, a third more as base64, plus the rest of the body. */
const ATTACHMENT_BODY_LIMIT = Math.ceil((MAX_ATTACHMENT_BYTES * 4) / 3) * 2;

const AttachmentBody = Type.Object(
  {
    filename: Type.String({ minLength: 1, maxLength: 200 }),
    contentType: Type.String({ minLength: 1, maxLength: 100, description: 'application/pdf, image/png or image/jpeg' }),
    data: Type.String({ minLength: 1, description: 'The file, base64-encoded; at most 5 MiB once decoded' }),
  },
  { additionalProperties: false },
);

const ResolutionSchema = Type.Object({
  kind: Type.Union([Type.Literal('adjustment'), Type.Literal('rejection')]),
  points: Nullable(Type.Integer({ description: 'The adjustment: credited, or (negative) taken back' })),
  comment: Type.String({ description: "Support's explanation (adjustment) or reason (rejection)" }),
  entryId: Nullable(Type.Integer({ description: 'The ledger entry that posted the adjustment' })),
  requestId: Nullable(Type.String({ format: 'uuid', description: 'The four-eyes request, when the adjustment needed approval' })),
  requestStatus: Nullable(Type.String({ description: "The request's state: pending, posted, rejected, lapsed or failed" })),
});

const DisputeSchema = Type.Object({
  id: Uuid,
  number: Type.Integer({ description: 'The dispute number people quote (#123)' }),
  programId: Uuid,
  partnerId: Uuid,
  partnerCode: Nullable(Type.String()),
  partnerName: Nullable(Type.String()),
  subject: Type.Union([Type.Literal('entry'), Type.Literal('missing-event')]),
  entryId: Nullable(Type.Integer()),
  reference: Nullable(Type.String()),
  text: Type.String(),
  status: Status,
  filedByName: Nullable(Type.String()),
  filedAt: DateTime,
  dueAt: Type.String({ format: 'date-time', description: "When support should have settled it (the program's SLA)" }),
  overdue: Type.Boolean({ description: 'Still open past its due time' }),
  updatedAt: DateTime,
  resolution: Nullable(ResolutionSchema),
  resolvedAt: Nullable(DateTime),
  resolvedByName: Nullable(Type.String({ description: 'Staff only; null for partner users' })),
});

const AttachmentSchema = Type.Object({ id: Uuid, side: Side, filename: Type.String(), contentType: ContentType, size: Type.Integer(), uploadedAt: DateTime });

const DisputeDetailSchema = Type.Object({
  ...DisputeSchema.properties,
  entry: Nullable(Type.Object({ kind: Type.String(), postedAt: DateTime, amount: Type.Integer({ description: "Points the entry moved in the company's available wallet" }), reason: Nullable(Type.String()) })),
  messages: Type.Array(
    Type.Object({
      id: Uuid,
      side: Side,
      kind: Type.Union([Type.Literal('message'), Type.Literal('resolution'), Type.Literal('rejection')]),
      body: Type.String(),
      authorName: Nullable(Type.String({ description: "Null for support's people as partner users see them" })),
      createdAt: DateTime,
    }),
  ),
  attachments: Type.Array(AttachmentSchema),
});

const Page = Type.Object({ items: Type.Array(DisputeSchema), nextBefore: Nullable(Uuid) });
const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 }));
const Before = Type.Optional(Type.String({ format: 'uuid', description: 'nextBefore of the previous page' }));
const IdParams = Type.Object({ id: Uuid });
const AttachmentParams = Type.Object({ id: Uuid, attachmentId: Uuid });
const MessageBody = Type.Object({ text: Type.String({ minLength: 1, maxLength: 5000 }), idempotencyKey: Type.Optional(Key) }, { additionalProperties: false });
const PolicySchema = Type.Object({ programId: Uuid, slaDays: Type.Integer({ description: 'Days after filing a dispute is due' }), updatedAt: Nullable(DateTime) });

function sendFile(reply: FastifyReply, file: { filename: string; contentType: string; content: Buffer }) {
  const ascii = file.filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return reply
    .header('content-type', file.contentType)
    .header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('cache-control', 'private, no-store')
    .send(file.content);
}

/** Routes of disputes: the partner side under /disputes (`disputes:file`), support's under /staff/disputes (`disputes:manage`). */
export function disputeRoutes(disputes: () => DisputeService) {
  return (router: PluginRouter): void => {
    const thread = (side: DisputeSide, base: string, access: 'disputes:file' | 'disputes:manage', who: string) => {
      router.get(
        `${base}/:id`,
        { config: { access }, schema: { tags: ['earning'], summary: `One dispute with its thread and attachments (${who})`, params: IdParams, response: { 200: DisputeDetailSchema } } },
        async (request) => disputes().get(request.ctx, request.params.id, side),
      );
      router.post(
        `${base}/:id/messages`,
        { config: { access }, schema: { tags: ['earning'], summary: `Write in a dispute's thread (${who})`, params: IdParams, body: MessageBody, response: { 200: DisputeDetailSchema } } },
        async (request) => disputes().message(request.ctx, request.params.id, request.body, side),
      );
      router.post(
        `${base}/:id/attachments`,
        {
          config: { access },
          bodyLimit: ATTACHMENT_BODY_LIMIT,
          schema: { tags: ['earning'], summary: `Attach a file to an open dispute: PDF, PNG or JPEG, at most 5 MiB (${who})`, params: IdParams, body: AttachmentBody, response: { 201: AttachmentSchema } },
        },
        async (request, reply) => reply.status(201).send(await disputes().attach(request.ctx, request.params.id, request.body, side)),
      );
      router.get(
        `${base}/:id/attachments/:attachmentId`,
        { config: { access }, schema: { tags: ['earning'], summary: `Download a dispute's attachment (${who})`, params: AttachmentParams } },
        async (request, reply) => sendFile(reply, await disputes().attachment(request.ctx, request.params.id, request.params.attachmentId, side)),
      );
    };

    // ---- Partner side: the signed-in partner user's own company ----
    router.post(
      '/disputes',
      {
        config: { access: 'disputes:file' },
        bodyLimit: ATTACHMENT_BODY_LIMIT,
        schema: {
          tags: ['earning'],
          summary: "File a dispute about an entry of your company's statement, or about an event that earned nothing",
          body: Type.Object(
            {
              subject: Type.Union([Type.Literal('entry'), Type.Literal('missing-event')]),
              entryId: Type.Optional(Nullable(Type.Integer({ minimum: 1, description: 'subject=entry: the entry id from the statement' }))),
              reference: Type.Optional(Nullable(Type.String({ maxLength: 200, description: 'An invoice number or another reference (required for a missing event)' }))),
              text: Type.String({ minLength: 1, maxLength: 5000 }),
              idempotencyKey: Key,
              attachment: Type.Optional(Nullable(AttachmentBody)),
            },
            { additionalProperties: false },
          ),
          response: { 200: DisputeDetailSchema, 201: DisputeDetailSchema },
        },
      },
      async (request, reply) => {
        const { dispute, created } = await disputes().file(request.ctx, request.body);
        return reply.status(created ? 201 : 200).send(dispute);
      },
    );
    router.get(
      '/disputes',
      {
        config: { access: 'disputes:file' },
        schema: { tags: ['earning'], summary: "Your company's disputes, newest first", querystring: Type.Object({ status: Type.Optional(Status), limit: Limit, before: Before }), response: { 200: Page } },
      },
      async (request) => disputes().list(request.ctx, { ...request.query, limit: request.query.limit ?? 50 }, 'partner'),
    );
    thread('partner', '/disputes', 'disputes:file', 'partner users: their own company’s');

    // ---- Support ----
    router.get(
      '/staff/disputes',
      {
        config: { access: 'disputes:manage' },
        schema: {
          tags: ['earning'],
          summary: 'The disputes queue, newest first, with overdue ones flagged',
          querystring: Type.Object({
            status: Type.Optional(Status),
            overdue: Type.Optional(Type.Boolean({ description: 'true: only open disputes past their due time' })),
            partnerId: Type.Optional(Uuid),
            programId: Type.Optional(Uuid),
            limit: Limit,
            before: Before,
          }),
          response: { 200: Page },
        },
      },
      async (request) => disputes().list(request.ctx, { ...request.query, limit: request.query.limit ?? 50 }, 'support'),
    );
    thread('support', '/staff/disputes', 'disputes:manage', 'support');
    router.post(
      '/staff/disputes/:id/resolve',
      {
        config: { access: 'disputes:manage' },
        schema: {
          tags: ['earning'],
          summary: "Resolve a dispute with an adjustment (linked to it; above the program's threshold it goes to four-eyes approval)",
          params: IdParams,
          body: Type.Object(
            { points: Type.Integer({ minimum: -1_000_000_000, maximum: 1_000_000_000, description: 'Credited, or (negative) taken back; not 0' }), comment: Type.String({ minLength: 1, maxLength: 900 }) },
            { additionalProperties: false },
          ),
          response: { 200: DisputeDetailSchema },
        },
      },
      async (request) => disputes().resolve(request.ctx, request.params.id, request.body),
    );
    router.post(
      '/staff/disputes/:id/reject',
      {
        config: { access: 'disputes:manage' },
        schema: { tags: ['earning'], summary: 'Reject a dispute with a reason the partner reads; nothing is posted', params: IdParams, body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 5000 }) }, { additionalProperties: false }), response: { 200: DisputeDetailSchema } },
      },
      async (request) => disputes().reject(request.ctx, request.params.id, request.body),
    );
    router.get(
      '/programs/:programId/dispute-policy',
      { config: { access: 'disputes:manage' }, schema: { tags: ['earning'], summary: "A program's dispute SLA: days after filing a dispute is due", params: Type.Object({ programId: Uuid }), response: { 200: PolicySchema } } },
      async (request) => disputes().policy(request.ctx, request.params.programId),
    );
    router.put(
      '/programs/:programId/dispute-policy',
      {
        config: { access: 'disputes:manage' },
        schema: {
          tags: ['earning'],
          summary: "Change a program's dispute SLA (for disputes filed from now on; audited)",
          params: Type.Object({ programId: Uuid }),
          body: Type.Object({ slaDays: Type.Integer({ minimum: 1, maximum: 365 }) }, { additionalProperties: false }),
          response: { 200: PolicySchema },
        },
      },
      async (request) => disputes().setPolicy(request.ctx, request.params.programId, request.body),
    );
  };
}

/** Wire disputes into the earning module: permissions, the service and its routes. */
export function setupDisputes(ctx: PluginSetupContext<unknown>): void {
  ctx.grant('disputes:file', ['partner-admin', 'partner-user']);
  ctx.grant('disputes:manage', ['admin', 'support', 'program-manager']);
  const service = createDisputeService({
    partners: ctx.inject(partnerServiceRef),
    programs: ctx.inject(programServiceRef),
    ledger: ctx.inject(ledgerServiceRef),
    approvals: ctx.inject(ledgerApprovalsRef),
    audit: ctx.inject(auditServiceRef),
  });
  ctx.provide(disputeServiceRef, service);
  ctx.routes(disputeRoutes(() => service));
}
