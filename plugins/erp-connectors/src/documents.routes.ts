import { AppError, Type, type PluginRouter, type RequestContext } from '@laurel/plugin-sdk';
import { type DocumentService, type DocumentView, type SubmitInput } from './documents.service.ts';
import { boundaryOf, parseMultipart } from './multipart.ts';
import { MAX_DOCUMENT_BYTES } from './xml.ts';

const Uuid = Type.String({ format: 'uuid' });
const SOURCE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const Status = Type.Union(
  [Type.Literal('posted'), Type.Literal('refused'), Type.Literal('rejected'), Type.Literal('duplicate')],
  { description: 'posted: read, and every event taken by the earning inbox (processed, unmatched or held for review); refused: read, but the inbox refused an event (see outcomes; sending the same document again sends them again); rejected: not read (see rejection), nothing posted; duplicate: the same seller\'s document number was already received from this source for this buyer, nothing posted' },
);
const Rejection = Type.Union([
  Type.Object({
    code: Type.String({ description: 'ERP_XML_MALFORMED, ERP_SCHEMA_INVALID, ERP_REQUIRED_MISSING, ERP_VALUE_INVALID, …' }),
    reason: Type.String({ description: 'What was wrong, as the XML parser, the schema validator or the reader put it (English)' }),
    line: Type.Union([Type.Integer(), Type.Null()], { description: 'The line of the document it is on' }),
    path: Type.Union([Type.String(), Type.Null()], { description: 'The element concerned, e.g. Fa/FaWiersz[2]/P_11' }),
  }),
  Type.Null(),
]);
const Summary = {
  id: Uuid,
  source: Type.String(),
  programId: Type.Union([Uuid, Type.Null()]),
  status: Status,
  format: Type.Union([Type.Literal('peppol-bis3'), Type.Literal('ksef-fa3'), Type.Literal('ksef-fa2'), Type.Null()]),
  kind: Type.Union([Type.String({ description: 'invoice, credit-note, correction, advance, settlement, advance-correction, settlement-correction' }), Type.Null()]),
  number: Type.Union([Type.String(), Type.Null()]),
  sellerKey: Type.Union([Type.String(), Type.Null()]),
  buyerKey: Type.Union([Type.String(), Type.Null()]),
  documentKey: Type.Union([Type.String({ description: '<class>:<seller>:<buyer>:<number>, unique within a source' }), Type.Null()]),
  partnerId: Type.Union([Uuid, Type.Null()]),
  fileName: Type.Union([Type.String(), Type.Null()]),
  rejection: Rejection,
  duplicateOf: Type.Union([Uuid, Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
};
const SummarySchema = Type.Object(Summary);
const DocumentSchema = Type.Object({
  ...Summary,
  rawSha256: Type.String(),
  contentType: Type.Union([Type.String(), Type.Null()]),
  reading: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], { description: 'What was read: parties, number, dates, currency, lines (with before rows and exchange rates), totals, payment' }),
  events: Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'The canonical events made from it, as sent to the earning inbox' }),
  notes: Type.Array(Type.String(), { description: 'How the events were made where a rule applied (advances, corrections changing nothing, …)' }),
  outcomes: Type.Union([Type.Array(Type.Record(Type.String(), Type.Unknown())), Type.Null()], { description: "The inbox's answer per event: { index, ok, event } or { index, ok: false, problem }" }),
  receivedBy: Type.Record(Type.String(), Type.Unknown()),
  updatedAt: Type.String({ format: 'date-time' }),
});
const SubmitAnswer = Type.Object({ ...DocumentSchema.properties, replayed: Type.Boolean({ description: 'true when the same document was received before: this answers with the first (its refused events were sent again)' }) });

function bad(code: string, field: string, params: Record<string, unknown> = {}, status = 400): AppError {
  return new AppError(code, status, { params, fields: [{ field, messageKey: `errors.${code}`, params }] });
}

function checkSource(source: unknown, field: string): string {
  if (typeof source !== 'string' || source.length === 0) throw bad('ERP_SOURCE_REQUIRED', field);
  if (!SOURCE.test(source)) throw bad('ERP_SOURCE_INVALID', field, { source: source.slice(0, 100) });
  return source;
}

function checkProgram(programId: unknown, field: string): string | undefined {
  if (programId === undefined || programId === '') return undefined;
  if (typeof programId !== 'string' || !UUID.test(programId)) throw bad('ERP_PROGRAM_INVALID', field);
  return programId.toLowerCase();
}

/** The request as a document: an XML body (source and programId in the query) or a multipart upload. */
function inputOf(body: unknown, contentType: string, query: Record<string, unknown>): SubmitInput {
  if (!Buffer.isBuffer(body)) throw bad('ERP_DOCUMENT_REQUIRED', '/body');
  if (/^multipart\/form-data/i.test(contentType)) {
    const boundary = boundaryOf(contentType);
    const parts = boundary ? parseMultipart(body, boundary) : null;
    if (!parts) throw bad('ERP_MULTIPART_INVALID', '/body');
    const field = (name: string) => parts.find((p) => p.name === name && p.fileName === null)?.data.toString('utf8').trim();
    const file = parts.find((p) => p.name === 'document');
    if (!file || file.data.length === 0) throw bad('ERP_DOCUMENT_REQUIRED', '/body/document');
    const source = checkSource(field('source') ?? query.source, '/body/source');
    const programId = checkProgram(field('programId') ?? query.programId, '/body/programId');
    const fileName = file.fileName ? [...file.fileName].filter((c) => c.charCodeAt(0) > 0x1f && c !== '\u007f').join('').slice(0, 200).toWellFormed() : undefined;
    return { bytes: file.data, source, ...(programId ? { programId } : {}), ...(fileName ? { fileName } : {}), ...(file.contentType ? { contentType: file.contentType.slice(0, 100) } : {}) };
  }
  if (body.length === 0) throw bad('ERP_DOCUMENT_REQUIRED', '/body');
  const source = checkSource(query.source, '/querystring/source');
  const programId = checkProgram(query.programId, '/querystring/programId');
  return { bytes: body, source, ...(programId ? { programId } : {}), contentType: contentType.split(';')[0]!.trim().slice(0, 100) };
}

/** A refused document as problem+json: the code of the rejection, the reason and the line, in the caller's words. */
function rejected(ctx: RequestContext, document: DocumentView): AppError {
  const r = document.rejection!;
  const at = r.line ? ctx.t('erp-connectors:where.line', { line: r.line }) : '';
  const params = { documentId: document.id, reason: r.reason, at, line: r.line ?? '', path: r.path ?? '' };
  return new AppError(r.code, 422, {
    messageKey: `errors.${r.code}`,
    params,
    fields: [{ field: r.path ? `/body/document/${r.path}` : '/body/document', messageKey: 'erp-connectors:errors.ERP_DOCUMENT_FIELD', params }],
  });
}

export function documentRoutes(documents: () => DocumentService) {
  return (router: PluginRouter): void => {
    const bodyLimit = MAX_DOCUMENT_BYTES + 64 * 1024;
    // Documents come as XML or as a multipart upload: read both as bytes (only within this plugin's routes).
    router.addContentTypeParser(['application/xml', 'text/xml', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
    router.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

    router.post(
      '/documents',
      {
        config: { access: 'erp:write' },
        bodyLimit,
        schema: {
          tags: ['erp-connectors'],
          summary: 'Send an invoice document: Peppol BIS 3.0 UBL (Invoice, CreditNote) or KSeF FA(3)/FA(2)',
          description:
            'The body is the XML (Content-Type application/xml or text/xml) with `source` (the sending system, e.g. erp-acme) and optionally `programId` in the query, or a multipart/form-data upload with the file in `document` and the fields `source` and `programId`. ' +
            'The document is checked (well-formed; FA(3) against its XML Schema; the elements the mapping needs), kept with what was read from it, and its canonical events are sent to the earning inbox. ' +
            '201: read and sent (status posted or refused); 200: the same document again (the first answer; refused events are sent again). ' +
            '422: not read — the problem names the reason and the line, and nothing is posted; 409: the same seller’s document number was already received from this source for this buyer (kept as a duplicate, nothing posted).',
          querystring: Type.Object({ source: Type.Optional(Type.String({ maxLength: 200 })), programId: Type.Optional(Type.String({ maxLength: 100 })) }),
          response: { 200: SubmitAnswer, 201: SubmitAnswer },
        },
      },
      async (request, reply) => {
        const input = inputOf(request.body, String(request.headers['content-type'] ?? ''), request.query as Record<string, unknown>);
        const result = await documents().submit(request.ctx, input);
        if (result.kind === 'rejected') throw rejected(request.ctx, result.document);
        if (result.kind === 'duplicate') {
          const params = { documentId: result.document.id, originalId: result.original.id, number: result.document.number ?? '', source: result.document.source };
          throw new AppError('ERP_DOCUMENT_DUPLICATE', 409, { params, fields: [{ field: '/body/document', messageKey: 'errors.ERP_DOCUMENT_DUPLICATE', params }] });
        }
        return reply.status(result.replayed ? 200 : 201).send({ ...result.document, replayed: result.replayed });
      },
    );

    router.get(
      '/documents',
      {
        config: { access: 'erp:read' },
        schema: {
          tags: ['erp-connectors'],
          summary: 'Received documents, newest first',
          querystring: Type.Object({
            status: Type.Optional(Status),
            source: Type.Optional(Type.String({ maxLength: 100 })),
            programId: Type.Optional(Uuid),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            before: Type.Optional(Uuid),
          }),
          response: { 200: Type.Object({ items: Type.Array(SummarySchema), nextBefore: Type.Union([Uuid, Type.Null()]) }) },
        },
      },
      async (request) => documents().list(request.ctx, { ...request.query, limit: request.query.limit ?? 50 }),
    );

    router.get(
      '/documents/:id',
      {
        config: { access: 'erp:read' },
        schema: { tags: ['erp-connectors'], summary: 'One document: what was read from it, its events and the inbox’s answers, or why it was refused', params: Type.Object({ id: Uuid }), response: { 200: DocumentSchema } },
      },
      async (request) => documents().get(request.ctx, request.params.id),
    );

    router.get(
      '/documents/:id/raw',
      { config: { access: 'erp:read' }, schema: { tags: ['erp-connectors'], summary: 'The document exactly as it was received', params: Type.Object({ id: Uuid }) } },
      async (request, reply) => {
        const raw = await documents().raw(request.ctx, request.params.id);
        return reply.type(raw.contentType?.includes('xml') ? raw.contentType : 'application/xml').header('content-disposition', `attachment; filename="${(raw.fileName ?? `${request.params.id}.xml`).replace(/[^\w.-]/g, '_')}"`).send(raw.bytes);
      },
    );
  };
}
