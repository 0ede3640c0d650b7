import { Type, skuMappingRef, type PluginRouter, type PluginSetupContext } from '@laurel/plugin-sdk';
import { auditServiceRef } from '../audit/index.ts';
import { programServiceRef } from '../programs/index.ts';
import { createSkuMappingRef, createSkuMappingService, skuMappingServiceRef, type SkuMappingService } from './earning.sku.ts';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Text = (max: number, description?: string) => Type.String({ minLength: 1, maxLength: max, ...(description ? { description } : {}) });
const Scope = {
  source: Type.Optional(Nullable(Text(100, 'Only events of this source (the sending system); null or left out: any source'))),
  seller: Type.Optional(Nullable(Text(100, "Only lines of this seller (the event's seller field); null or left out: any seller"))),
};
const Validity = {
  validFrom: Type.Optional(Nullable(Type.String({ format: 'date-time', description: "From when (the event's occurredAt) it applies; null: always before validTo" }))),
  validTo: Type.Optional(Nullable(Type.String({ format: 'date-time', description: 'Until when (exclusive); null: open-ended' }))),
};
const Target = {
  programSku: Text(100, 'The program SKU the rules see'),
  category: Type.Optional(Nullable(Text(100, 'The category the rules see; null keeps the category the line came with'))),
};
const Note = { note: Type.Optional(Nullable(Type.String({ maxLength: 500 }))) };

const MappingSchema = Type.Object({
  id: Uuid,
  programId: Uuid,
  kind: Type.Union([Type.Literal('seller-code'), Type.Literal('gtin')]),
  code: Type.String({ description: 'The seller code, or the GTIN as 14 digits' }),
  source: Nullable(Type.String()),
  seller: Nullable(Type.String()),
  programSku: Type.String(),
  category: Nullable(Type.String()),
  validFrom: Nullable(DateTime),
  validTo: Nullable(DateTime),
  status: Type.Union([Type.Literal('active'), Type.Literal('retired')]),
  note: Nullable(Type.String()),
  createdAt: DateTime,
  updatedAt: DateTime,
});
const UnmappedSchema = Type.Object({
  id: Uuid,
  programId: Uuid,
  source: Type.String(),
  seller: Nullable(Type.String()),
  sellerCode: Nullable(Type.String()),
  gtin: Nullable(Type.String()),
  firstSeen: DateTime,
  lastSeen: DateTime,
  count: Type.Integer({ description: 'Invoice lines that came with the code unmapped' }),
  sampleEventId: Uuid,
  sampleInvoice: Nullable(Type.String()),
  status: Type.Union([Type.Literal('open'), Type.Literal('mapped')]),
  mappingId: Nullable(Uuid),
});
const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
};
const page = <T extends Parameters<typeof Type.Array>[0]>(item: T) => Type.Object({ items: Type.Array(item), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() });
const IdParams = Type.Object({ id: Uuid });

/** Admin routes of the SKU mapping (`earning:manage`). */
export function skuMappingRoutes(skus: () => SkuMappingService) {
  return (router: PluginRouter): void => {
    router.get(
      '/sku-mappings',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: "The program's SKU mapping table, searched in codes, program SKUs, categories, sources and sellers; latest changed first",
          querystring: Type.Object({ programId: Uuid, q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('retired')])), ...Paging }),
          response: { 200: page(MappingSchema) },
        },
      },
      async (request) => skus().list(request.ctx, { ...request.query, limit: request.query.limit ?? 50, offset: request.query.offset ?? 0 }),
    );
    router.post(
      '/sku-mappings',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'Map a seller code or a GTIN to a program SKU and category (audited)',
          description:
            'Exactly one of sellerCode and gtin. Applies to invoice lines of events evaluated from now on whose occurredAt is in its validity; events already posted are not evaluated again. A seller-scoped mapping wins over a source-scoped one, which wins over one for any source; a seller code over a GTIN. Two active mappings of the same code and scope may not overlap in time (409).',
          body: Type.Object({ programId: Uuid, sellerCode: Type.Optional(Nullable(Text(100))), gtin: Type.Optional(Nullable(Type.String({ pattern: '^[0-9]{8,14}$', description: 'GTIN-8, -12, -13 or -14 (kept as 14 digits; a wrong check digit is taken as it comes)' }))), ...Scope, ...Target, ...Validity, ...Note }, { additionalProperties: false }),
          response: { 201: MappingSchema },
        },
      },
      async (request, reply) => reply.status(201).send(await skus().create(request.ctx, request.body)),
    );
    router.post(
      '/sku-mappings/import',
      {
        config: { access: 'earning:manage' },
        bodyLimit: 12 * 1024 * 1024,
        schema: {
          tags: ['earning'],
          summary: 'Import a mapping list (CSV): all rows or none, with the problem of each bad cell (audited)',
          description:
            'A header row, then one mapping a row; comma or semicolon separated, UTF-8. Columns: seller_code or gtin (one of them per row), program_sku, and optionally category, source, seller, valid_from, valid_to (dates or date-times), note. A bad row is a 422 naming /csv/<line>/<column>. A row with the code, scope and valid_from of an active mapping updates it (or leaves it unchanged), so the same list can be imported again. dryRun: only the report.',
          body: Type.Object({ programId: Uuid, csv: Type.String({ minLength: 1, maxLength: 10 * 1024 * 1024 }), dryRun: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
          response: { 200: Type.Object({ rows: Type.Integer(), created: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer(), dryRun: Type.Boolean() }) },
        },
      },
      async (request) => skus().importCsv(request.ctx, { ...request.body, dryRun: request.body.dryRun ?? false }),
    );
    router.get(
      '/sku-mappings/:id',
      { config: { access: 'earning:manage' }, schema: { tags: ['earning'], summary: 'One SKU mapping', params: IdParams, response: { 200: MappingSchema } } },
      async (request) => skus().get(request.ctx, request.params.id),
    );
    router.patch(
      '/sku-mappings/:id',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'Change the program SKU, category, validity or note of a mapping (its code and scope stay; audited)',
          params: IdParams,
          body: Type.Object({ programSku: Type.Optional(Target.programSku), category: Target.category, ...Validity, ...Note }, { additionalProperties: false }),
          response: { 200: MappingSchema },
        },
      },
      async (request) => skus().update(request.ctx, request.params.id, request.body),
    );
    router.post(
      '/sku-mappings/:id/retire',
      {
        config: { access: 'earning:manage' },
        schema: { tags: ['earning'], summary: 'Retire a mapping: its code is unmapped again for events evaluated from now on (kept, audited)', params: IdParams, body: Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }), response: { 200: MappingSchema } },
      },
      async (request) => skus().retire(request.ctx, request.params.id, request.body.reason?.trim() || null),
    );
    router.get(
      '/sku-unmapped',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'Seller codes and GTINs that came in on invoice lines with no mapping (open by default), most recently seen first',
          querystring: Type.Object({ programId: Uuid, status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('mapped')])), q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), ...Paging }),
          response: { 200: page(UnmappedSchema) },
        },
      },
      async (request) => skus().listUnmapped(request.ctx, { ...request.query, limit: request.query.limit ?? 50, offset: request.query.offset ?? 0 }),
    );
    router.post(
      '/sku-unmapped/:id/map',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'Map an unmapped code in one step (its seller code, else its GTIN) for its source, its seller or any source (audited)',
          description: 'Applies to events evaluated from now on; events already posted are not evaluated again.',
          params: IdParams,
          body: Type.Object({ ...Target, scope: Type.Optional(Type.Union([Type.Literal('source'), Type.Literal('seller'), Type.Literal('any')], { description: 'source (default): this source only; seller: this seller only; any: every source' })) }, { additionalProperties: false }),
          response: { 201: MappingSchema },
        },
      },
      async (request, reply) => reply.status(201).send(await skus().mapUnmapped(request.ctx, request.params.id, request.body)),
    );
  };
}

/** Wire the SKU mapping into the earning module: the admin service, its routes and `skuMappingRef` for plugins. */
export function setupSkuMapping(ctx: PluginSetupContext<unknown>): void {
  const service = createSkuMappingService({ programs: ctx.inject(programServiceRef), audit: ctx.inject(auditServiceRef) });
  ctx.provide(skuMappingServiceRef, service);
  ctx.provide(skuMappingRef, createSkuMappingRef());
  ctx.routes(skuMappingRoutes(() => service));
}
