import { AppError, Type, type PluginRouter } from '@laurel/plugin-sdk';
import { boundaryOf, parseMultipart } from '../multipart.ts';
import { MAX_CSV_BYTES, type CsvService, type UploadInput } from './csv.service.ts';
import { DATE_FORMATS, DECIMAL_SEPARATORS, DELIMITERS, ENCODINGS, INVOICE_FIELDS, PAYMENT_FIELDS, THOUSANDS_SEPARATORS } from './mapping.ts';
import type { ImportKind } from './reader.ts';

const Uuid = Type.String({ format: 'uuid' });
const Column = Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Integer({ minimum: 1, maximum: 500 })], { description: 'The column: its header, or its number (1 for the first) when the file has no header row' });
const literals = <T extends string>(values: readonly T[], description: string) => Type.Unsafe<T>(Type.String({ enum: [...values], description }));

const Mapping = Type.Object(
  {
    delimiter: literals(DELIMITERS, 'Between fields: , ; TAB or |'),
    decimalSeparator: literals(DECIMAL_SEPARATORS, 'In amounts and quantities: . or , (Polish files: ,)'),
    thousandsSeparator: Type.Optional(literals(THOUSANDS_SEPARATORS, 'Digit grouping in amounts besides spaces (always allowed): "" none, " ", ".", ",", "\'"')),
    encoding: Type.Optional(literals(ENCODINGS, 'utf-8 (default) or windows-1250 (Polish ERP exports)')),
    headerRow: Type.Optional(Type.Boolean({ description: 'The first row names the columns (default true); without it columns are given by number' })),
    dateFormat: literals(DATE_FORMATS, 'How dates are written'),
    defaultCurrency: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Z]{3}$' }), Type.Null()], { description: 'ISO 4217; for rows without a currency column or with it empty' })),
    columns: Type.Object(
      Object.fromEntries(INVOICE_FIELDS.map((f) => [f, Type.Optional(Column)])),
      {
        description:
          'Invoice files, one row per invoice line: invoiceNumber, issueDate and netAmount are required, and the item: sku (the program SKU) or sellerCode / gtin (mapped by the program’s SKU mapping); at least one of partnerCode (PartnerID), nip, regon, euVat (the first filled on a row identifies the partner); currency (or defaultCurrency); quantity (1 when absent); category; paymentDate (a filled one also posts invoice.paid)',
      },
    ),
    paymentColumns: Type.Optional(
      Type.Union([Type.Object(Object.fromEntries(PAYMENT_FIELDS.map((f) => [f, Type.Optional(Column)]))), Type.Null()], { description: 'Payments files, one row per payment: invoiceNumber and paymentDate' }),
    ),
  },
  { description: 'How the source’s files are written and which column holds which field' },
);

const SourceSchema = Type.Object({
  id: Uuid,
  programId: Uuid,
  code: Type.String({ description: 'The source name of its events (with the invoice number, the inbox key)' }),
  name: Type.String(),
  mapping: Mapping,
  version: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const Kind = Type.Union([Type.Literal('invoices'), Type.Literal('payments')], { description: 'invoices: one row per invoice line; payments: one row per payment' });
const ImportSchema = Type.Object({
  id: Uuid,
  sourceId: Uuid,
  sourceCode: Type.String(),
  programId: Uuid,
  kind: Kind,
  status: Type.Union([Type.Literal('queued'), Type.Literal('reading'), Type.Literal('posting'), Type.Literal('done'), Type.Literal('failed')], {
    description: 'queued: waiting for a runner; reading: rows being read and checked; posting: valid invoices being sent to the earning inbox; done; failed (see failure)',
  }),
  fileName: Type.Union([Type.String(), Type.Null()]),
  bytes: Type.Integer(),
  rawSha256: Type.String(),
  progress: Type.Object({
    rowsTotal: Type.Union([Type.Integer(), Type.Null()], { description: 'Rows of the file past its header; null until counted' }),
    rowsRead: Type.Integer(),
    rowsRejected: Type.Integer({ description: 'Rows with a problem (see the report)' }),
    invoicesValid: Type.Integer({ description: 'Invoices (payments files: payments) whose rows are all valid' }),
    invoicesRejected: Type.Integer({ description: 'Invoices left out because a row of theirs is not valid: nothing of them is posted' }),
    eventsTotal: Type.Integer(),
    eventsSent: Type.Integer(),
    eventsPosted: Type.Integer({ description: 'Taken by the inbox for the first time' }),
    eventsReplayed: Type.Integer({ description: 'Taken before (the same file or invoice uploaded again): nothing posted twice' }),
    eventsRefused: Type.Integer({ description: 'Refused by the inbox (see the report)' }),
    problems: Type.Integer({ description: 'Lines of the validation report' }),
    percent: Type.Integer({ minimum: 0, maximum: 100 }),
  }),
  failure: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  attempts: Type.Integer(),
  uploadedBy: Type.Record(Type.String(), Type.Unknown()),
  startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const ReportSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      row: Type.Union([Type.Integer(), Type.Null()], { description: 'The line of the file (the header is line 1)' }),
      column: Type.Union([Type.String(), Type.Null()], { description: 'The column’s header (or number)' }),
      columnNumber: Type.Union([Type.Integer(), Type.Null()]),
      invoiceNumber: Type.Union([Type.String(), Type.Null()]),
      code: Type.String({ description: 'required, date, amount, precision, negative, nip, differs, invoiceLeftOut, invoiceRefused, …' }),
      message: Type.String({ description: 'In the caller’s language' }),
    }),
  ),
  nextAfter: Type.Union([Type.Integer(), Type.Null()]),
  total: Type.Integer(),
});

function cleanName(name: string): string {
  return [...name].filter((c) => c.charCodeAt(0) > 0x1f && c !== '\u007f').join('').slice(0, 200).toWellFormed();
}

function kindOf(value: unknown, field: string): ImportKind {
  if (value === undefined || value === '' || value === 'invoices') return 'invoices';
  if (value === 'payments') return 'payments';
  throw new AppError('ERP_CSV_KIND_INVALID', 400, { fields: [{ field, messageKey: 'errors.ERP_CSV_KIND_INVALID' }] });
}

/** The upload as a file: a multipart form (file in `file`, field `kind`) or the CSV as the body (`?kind=&fileName=`). */
function uploadOf(body: unknown, contentType: string, query: { kind?: string; fileName?: string }): UploadInput & { sourceId?: string } {
  if (!Buffer.isBuffer(body)) throw new AppError('ERP_CSV_FILE_REQUIRED', 400, { fields: [{ field: '/body', messageKey: 'errors.ERP_CSV_FILE_REQUIRED' }] });
  if (/^multipart\/form-data/i.test(contentType)) {
    const boundary = boundaryOf(contentType);
    const parts = boundary ? parseMultipart(body, boundary) : null;
    if (!parts) throw new AppError('ERP_CSV_MULTIPART_INVALID', 400, { fields: [{ field: '/body', messageKey: 'errors.ERP_CSV_MULTIPART_INVALID' }] });
    const file = parts.find((p) => p.name === 'file' && p.fileName !== null) ?? parts.find((p) => p.name === 'file');
    if (!file || file.data.length === 0) throw new AppError('ERP_CSV_FILE_REQUIRED', 400, { fields: [{ field: '/body/file', messageKey: 'errors.ERP_CSV_FILE_REQUIRED' }] });
    const kind = parts.find((p) => p.name === 'kind' && p.fileName === null)?.data.toString('utf8').trim();
    const fileName = file.fileName ? cleanName(file.fileName) : undefined;
    const sourceId = parts.find((p) => p.name === 'sourceId' && p.fileName === null)?.data.toString('utf8').trim();
    return { bytes: file.data, kind: kindOf(kind ?? query.kind, '/body/kind'), fileField: '/body/file', ...(fileName ? { fileName } : {}), ...(sourceId ? { sourceId } : {}) };
  }
  const fileName = query.fileName ? cleanName(query.fileName) : undefined;
  return { bytes: body, kind: kindOf(query.kind, '/querystring/kind'), fileField: '/body', ...(fileName ? { fileName } : {}) };
}

const FORM_DELIMITERS = { comma: ',', semicolon: ';', tab: '\t', pipe: '|' } as const;
const FORM_DECIMALS = { point: '.', comma: ',' } as const;
const FORM_THOUSANDS = { none: '', space: ' ', point: '.', comma: ',', apostrophe: "'" } as const;
const words = <T extends string>(values: T[]) => Type.Union(values.map((v) => Type.Literal(v))) as unknown as ReturnType<typeof Type.Unsafe<T>>;
const header = (description: string) => Type.Optional(Type.String({ maxLength: 100, description }));
/** The mapping as a flat form (the admin panel's forms have top-level fields only); the files have a header row. */
const SourceForm = Type.Object({
  programId: Uuid,
  code: Type.String({ maxLength: 100 }),
  name: Type.String({ maxLength: 200 }),
  delimiter: words(Object.keys(FORM_DELIMITERS) as (keyof typeof FORM_DELIMITERS)[]),
  decimalSeparator: words(Object.keys(FORM_DECIMALS) as (keyof typeof FORM_DECIMALS)[]),
  thousandsSeparator: words(Object.keys(FORM_THOUSANDS) as (keyof typeof FORM_THOUSANDS)[]),
  encoding: words(['utf-8', 'windows-1250']),
  dateFormat: Type.String({ maxLength: 20, description: DATE_FORMATS.join(', ') }),
  defaultCurrency: Type.Optional(Type.String({ maxLength: 3 })),
  ...Object.fromEntries(INVOICE_FIELDS.map((f) => [f, header(`The header of the ${f} column`)])),
  paymentsInvoiceNumber: header('Payments files: the header of the invoice number column'),
  paymentsPaymentDate: header('Payments files: the header of the payment date column'),
});

export function csvRoutes(csv: () => CsvService) {
  return (router: PluginRouter): void => {
    const bodyLimit = MAX_CSV_BYTES + 64 * 1024;
    router.addContentTypeParser(['text/csv', 'text/plain', 'application/octet-stream', 'application/vnd.ms-excel'], { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
    router.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

    router.get(
      '/csv/sources',
      {
        config: { access: 'erp:read' },
        schema: { tags: ['erp-connectors'], summary: 'CSV sources, with their column mappings', querystring: Type.Object({ programId: Type.Optional(Uuid) }), response: { 200: Type.Object({ items: Type.Array(SourceSchema) }) } },
      },
      async (request) => ({ items: await csv().listSources(request.ctx, request.query) }),
    );

    router.post(
      '/csv/sources',
      {
        config: { access: 'erp:write' },
        schema: {
          tags: ['erp-connectors'],
          summary: 'Create a CSV source with its column mapping',
          description: 'A problem with the mapping is a 400 naming each field (/body/mapping/…); a code taken by another source is a 409. Audited (erp-connectors.csv-source.created).',
          body: Type.Object({ programId: Uuid, code: Type.String({ maxLength: 100, description: 'The sending system, e.g. erp-acme-csv; the source of its events, fixed once created' }), name: Type.String({ maxLength: 200 }), mapping: Mapping }),
          response: { 201: SourceSchema },
        },
      },
      async (request, reply) => reply.status(201).send(await csv().createSource(request.ctx, request.body)),
    );

    router.post(
      '/csv/source-forms',
      {
        config: { access: 'erp:write' },
        schema: {
          tags: ['erp-connectors'],
          summary: 'Create a CSV source from a flat form (the admin panel): the mapping’s settings and column headers as fields',
          description: 'The same source as POST /csv/sources with a header row; a problem names the form’s field (/body/netAmount, /body/dateFormat …).',
          body: SourceForm,
          response: { 201: SourceSchema },
        },
      },
      async (request, reply) => {
        const b = request.body as Record<string, string | undefined>;
        const filled = (v: string | undefined) => (v && v.trim() ? v.trim() : undefined);
        const columns = Object.fromEntries(INVOICE_FIELDS.map((f) => [f, filled(b[f])]).filter(([, v]) => v));
        const payments = { invoiceNumber: filled(b.paymentsInvoiceNumber), paymentDate: filled(b.paymentsPaymentDate) };
        const mapping = {
          delimiter: FORM_DELIMITERS[b.delimiter as keyof typeof FORM_DELIMITERS],
          decimalSeparator: FORM_DECIMALS[b.decimalSeparator as keyof typeof FORM_DECIMALS],
          thousandsSeparator: FORM_THOUSANDS[b.thousandsSeparator as keyof typeof FORM_THOUSANDS],
          encoding: b.encoding,
          headerRow: true,
          dateFormat: b.dateFormat,
          ...(filled(b.defaultCurrency) ? { defaultCurrency: filled(b.defaultCurrency)!.toUpperCase() } : {}),
          columns,
          ...(payments.invoiceNumber || payments.paymentDate ? { paymentColumns: payments } : {}),
        };
        try {
          return reply.status(201).send(await csv().createSource(request.ctx, { programId: b.programId, code: b.code, name: b.name, mapping }));
        } catch (error) {
          // The mapping's fields are the form's: /body/mapping/columns/netAmount → /body/netAmount.
          if (error instanceof AppError && error.code === 'ERP_CSV_MAPPING_INVALID') {
            const field = (f: string) => f.replace(/^\/body\/mapping\/paymentColumns\/(\w)/, (_m, c: string) => `/body/payments${c.toUpperCase()}`).replace(/^\/body\/mapping\/columns\//, '/body/').replace(/^\/body\/mapping\//, '/body/');
            throw new AppError(error.code, error.status, { params: error.params, fields: error.fields.map((x) => ({ ...x, field: field(x.field) })) });
          }
          throw error;
        }
      },
    );

    router.post(
      '/csv/imports',
      {
        config: { access: 'erp:write' },
        bodyLimit,
        schema: {
          tags: ['erp-connectors'],
          summary: 'Upload a CSV file from the admin panel: multipart with sourceId, kind and the file',
          response: { 202: ImportSchema },
        },
      },
      async (request, reply) => {
        const input = uploadOf(request.body, String(request.headers['content-type'] ?? ''), {});
        const id = input.sourceId ?? '';
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new AppError('ERP_CSV_SOURCE_REQUIRED', 400, { fields: [{ field: '/body/sourceId', messageKey: 'errors.ERP_CSV_SOURCE_REQUIRED' }] });
        return reply.status(202).send(await csv().upload(request.ctx, id.toLowerCase(), input));
      },
    );

    router.get(
      '/csv/sources/:id',
      { config: { access: 'erp:read' }, schema: { tags: ['erp-connectors'], summary: 'A CSV source', params: Type.Object({ id: Uuid }), response: { 200: SourceSchema } } },
      async (request) => csv().getSource(request.ctx, request.params.id),
    );

    router.put(
      '/csv/sources/:id',
      {
        config: { access: 'erp:write' },
        schema: {
          tags: ['erp-connectors'],
          summary: 'Change a CSV source’s name or column mapping',
          description: 'Files uploaded from then on are read with the new mapping (an import keeps the mapping it was uploaded with). `version` (optional) guards against overwriting a change made meanwhile (409). Audited with before and after (erp-connectors.csv-source.updated).',
          params: Type.Object({ id: Uuid }),
          body: Type.Object({ name: Type.Optional(Type.String({ maxLength: 200 })), mapping: Type.Optional(Mapping), version: Type.Optional(Type.Integer({ minimum: 1 })), code: Type.Optional(Type.String()), programId: Type.Optional(Type.String()) }),
          response: { 200: SourceSchema },
        },
      },
      async (request) => csv().updateSource(request.ctx, request.params.id, request.body),
    );

    router.post(
      '/csv/sources/:id/imports',
      {
        config: { access: 'erp:write' },
        bodyLimit,
        schema: {
          tags: ['erp-connectors'],
          summary: 'Upload a CSV file of invoices or payments: an import read in the background',
          description:
            'multipart/form-data with the file in `file` and `kind` (invoices, payments), or the file as the body (text/csv) with `kind` and `fileName` in the query. ' +
            'The encoding and the header are checked at once (422 naming the missing columns); the rest is read in the background: follow GET /csv/imports/:id, then its report. ' +
            'Re-uploading a file posts nothing twice: the events’ keys are the source’s code and the invoice number. Audited (erp-connectors.csv-import.uploaded).',
          params: Type.Object({ id: Uuid }),
          querystring: Type.Object({ kind: Type.Optional(Type.String({ maxLength: 20 })), fileName: Type.Optional(Type.String({ maxLength: 300 })) }),
          response: { 202: ImportSchema },
        },
      },
      async (request, reply) => {
        const input = uploadOf(request.body, String(request.headers['content-type'] ?? ''), request.query);
        return reply.status(202).send(await csv().upload(request.ctx, request.params.id, input));
      },
    );

    router.get(
      '/csv/imports',
      {
        config: { access: 'erp:read' },
        schema: {
          tags: ['erp-connectors'],
          summary: 'CSV imports, newest first, with their progress',
          querystring: Type.Object({ sourceId: Type.Optional(Uuid), programId: Type.Optional(Uuid), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })), before: Type.Optional(Uuid) }),
          response: { 200: Type.Object({ items: Type.Array(ImportSchema), nextBefore: Type.Union([Uuid, Type.Null()]) }) },
        },
      },
      async (request) => csv().listImports(request.ctx, { ...request.query, limit: request.query.limit ?? 50 }),
    );

    router.get(
      '/csv/imports/:id',
      { config: { access: 'erp:read' }, schema: { tags: ['erp-connectors'], summary: 'A CSV import’s status and progress (poll it while it runs)', params: Type.Object({ id: Uuid }), response: { 200: ImportSchema } } },
      async (request) => csv().getImport(request.ctx, request.params.id),
    );

    router.get(
      '/csv/import-reports/:id',
      {
        config: { access: 'erp:read' },
        schema: {
          tags: ['erp-connectors'],
          summary: 'A CSV import with the first 200 lines of its validation report (the admin panel’s detail view)',
          params: Type.Object({ id: Uuid }),
          response: { 200: Type.Object({ ...ImportSchema.properties, report: ReportSchema.properties.items }) },
        },
      },
      async (request) => ({ ...(await csv().getImport(request.ctx, request.params.id)), report: (await csv().report(request.ctx, request.params.id, { limit: 200 })).items }),
    );

    router.get(
      '/csv/imports/:id/report',
      {
        config: { access: 'erp:read' },
        schema: {
          tags: ['erp-connectors'],
          summary: 'The validation report of a CSV import: each problem with its row and column, in the caller’s language',
          params: Type.Object({ id: Uuid }),
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })), after: Type.Optional(Type.Integer({ minimum: 0 })) }),
          response: { 200: ReportSchema },
        },
      },
      async (request) => csv().report(request.ctx, request.params.id, { limit: request.query.limit ?? 100, ...(request.query.after !== undefined ? { after: request.query.after } : {}) }),
    );
  };
}
