import { Type, type PluginSetupContext } from '@laurel/plugin-sdk';
import { auditServiceRef } from '../audit/index.ts';
import { partnerServiceRef } from '../partners/index.ts';
import { createRelatedCompanies, type RelatedCompanies } from './earning.related.ts';

const Uuid = Type.String({ format: 'uuid' });
const Kind = Type.Union([Type.Literal('nip'), Type.Literal('euVat'), Type.Literal('regon')]);
const RelatedSchema = Type.Object({
  id: Uuid,
  partnerId: Uuid,
  kind: Kind,
  identifier: Type.String({ description: 'Normalized: NIP and REGON digits, an EU VAT number compact and upper case (a Polish one is stored as its NIP)' }),
  name: Type.String(),
  note: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

/** A partner's declared related companies: the list the related-companies guardrail checks an invoice's buyer against. */
export function setupRelatedCompanies(ctx: PluginSetupContext<unknown>): RelatedCompanies {
  const related = createRelatedCompanies({ partners: ctx.inject(partnerServiceRef), audit: ctx.inject(auditServiceRef) });
  ctx.routes((router) => {
    const params = Type.Object({ partnerId: Uuid });
    router.get(
      '/partners/:partnerId/related-companies',
      {
        config: { access: 'earning:manage' },
        schema: { tags: ['earning'], summary: 'Companies a partner declared related: an invoice it issues to one of them (or to itself, or to a partner of its capital group) goes to review', params, response: { 200: Type.Object({ items: Type.Array(RelatedSchema) }) } },
      },
      async (request) => ({ items: await related.list(request.ctx, request.params.partnerId) }),
    );
    router.post(
      '/partners/:partnerId/related-companies',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'Declare a company related to the partner, by NIP, EU VAT number or REGON (checked); audited',
          params,
          body: Type.Object(
            { kind: Kind, identifier: Type.String({ minLength: 1, maxLength: 20 }), name: Type.String({ minLength: 1, maxLength: 300 }), note: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])) },
            { additionalProperties: false },
          ),
          response: { 201: RelatedSchema },
        },
      },
      async (request, reply) => reply.status(201).send(await related.add(request.ctx, request.params.partnerId, request.body)),
    );
    router.delete(
      '/partners/:partnerId/related-companies/:id',
      { config: { access: 'earning:manage' }, schema: { tags: ['earning'], summary: 'Remove a declared related company; audited', params: Type.Object({ partnerId: Uuid, id: Uuid }) } },
      async (request, reply) => {
        await related.remove(request.ctx, request.params.partnerId, request.params.id);
        return reply.status(204).send();
      },
    );
  });
  return related;
}
