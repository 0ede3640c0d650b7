import { AppError, describeActor, type RequestContext } from '@laurel/plugin-sdk';
import { uuidv7 } from '../../platform/ids.ts';
import type { AuditService } from '../audit/index.ts';
import type { PartnerService, PartnerView } from '../partners/index.ts';

/*
 * Sales between related companies: an issued invoice whose buyer is the partner itself, a company the partner
 * declared related (by NIP, EU VAT number or REGON), or another partner of its capital group (the partners module's
 * links) is held for review with the reason. The declared companies are kept here, per partner; admins keep them,
 * audited.
 */

export type RelatedKind = 'nip' | 'euVat' | 'regon';
export interface RelatedCompany {
  id: string;
  partnerId: string;
  kind: RelatedKind;
  identifier: string;
  name: string;
  note: string | null;
  createdAt: string;
}
/** The buyer of an invoice, as the canonical event names it. */
export interface Buyer {
  partnerId?: string;
  nip?: string;
  euVat?: string;
  regon?: string;
  name?: string;
}
export interface RelatedCompanyReason {
  kind: 'related-company';
  /** self: the buyer is the partner; declared: a company the partner declared related; group: a partner of its capital group. */
  relation: 'self' | 'declared' | 'group';
  buyer: Buyer;
  /** What matched: `nip 5250007738`. */
  matched: string;
  name?: string;
  relatedPartnerId?: string;
  relatedCompanyId?: string;
}

const digits = (s: string) => s.replace(/[^0-9]/g, '');
const compact = (s: string) => s.replace(/[\s.-]/g, '').toUpperCase();

/** The identifiers of a company, normalized: a Polish EU VAT number is also its NIP. */
function identifiersOf(c: { nip?: string | null; euVat?: string | null; regon?: string | null }): string[] {
  const ids: string[] = [];
  const vat = c.euVat ? compact(c.euVat) : null;
  const nip = c.nip ? digits(c.nip) : vat?.startsWith('PL') ? digits(vat) : null;
  if (nip) ids.push(`nip ${nip}`);
  if (vat && !vat.startsWith('PL')) ids.push(`euVat ${vat}`);
  if (c.regon) ids.push(`regon ${digits(c.regon)}`);
  return ids;
}

function invalid(code: string, field: string, params: Record<string, unknown> = {}, status = 422): AppError {
  return new AppError(code, status, { params, fields: [{ field, messageKey: `errors.${code}`, params }] });
}

/** An identifier as typed, normalized and checked (a NIP's and a REGON's check digit); throws a 422 at `field`. */
export function normalizeIdentifier(kind: RelatedKind, value: string, field: string): string {
  if (kind === 'euVat') {
    const vat = compact(value);
    if (!/^[A-Z]{2}[0-9A-Z+*]{2,12}$/.test(vat)) throw invalid('EARNING_RELATED_IDENTIFIER', field, { kind, value });
    return vat.startsWith('PL') ? normalizeIdentifier('nip', vat.slice(2), field) : vat;
  }
  const d = digits(value.replace(/^PL/i, ''));
  const weights = kind === 'nip' ? [6, 5, 7, 2, 3, 4, 5, 6, 7] : d.length === 14 ? [2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8] : [8, 9, 2, 3, 4, 5, 6, 7];
  const length = kind === 'nip' ? 10 : d.length === 14 ? 14 : 9;
  if (d.length !== length) throw invalid('EARNING_RELATED_IDENTIFIER', field, { kind, value });
  const sum = weights.reduce((s, w, i) => s + w * Number(d[i]), 0) % 11;
  if ((sum === 10 ? (kind === 'nip' ? -1 : 0) : sum) !== Number(d[length - 1])) throw invalid('EARNING_RELATED_IDENTIFIER', field, { kind, value });
  return d;
}

type Row = { id: string; partner_id: string; kind: RelatedKind; identifier: string; name: string; note: string | null; created_at: Date };
const view = (r: Row): RelatedCompany => ({ id: r.id, partnerId: r.partner_id, kind: r.kind, identifier: r.identifier, name: r.name, note: r.note, createdAt: new Date(r.created_at).toISOString() });

export function createRelatedCompanies(deps: { partners: () => PartnerService; audit: () => AuditService }) {
  return {
    async list(ctx: RequestContext, partnerId: string): Promise<RelatedCompany[]> {
      await deps.partners().get(ctx, partnerId);
      return (await ctx.em.execute<Row[]>(`select * from earning_related_company where partner_id = ? order by name, id`, [partnerId])).map(view);
    },

    async add(ctx: RequestContext, partnerId: string, input: { kind: RelatedKind; identifier: string; name: string; note?: string | null }): Promise<RelatedCompany> {
      const partner = await deps.partners().get(ctx, partnerId);
      const normalized = normalizeIdentifier(input.kind, input.identifier, '/body/identifier');
      const kind: RelatedKind = input.kind === 'euVat' && /^[0-9]+$/.test(normalized) ? 'nip' : input.kind;
      if (identifiersOf(partner).includes(`${kind} ${normalized}`)) throw invalid('EARNING_RELATED_SELF', '/body/identifier', { identifier: normalized });
      return ctx.em.transactional(async (em) => {
        const [row] = await em.execute<Row[]>(
          `insert into earning_related_company (id, program_id, partner_id, kind, identifier, name, note, created_by, created_at)
           values (?, ?, ?, ?, ?, ?, ?, ?::jsonb, now()) on conflict (partner_id, kind, identifier) do nothing returning *`,
          [uuidv7(), partner.programId, partner.id, kind, normalized, input.name.trim(), input.note?.trim() || null, JSON.stringify(describeActor(ctx.actor))],
        );
        if (!row) throw invalid('EARNING_RELATED_EXISTS', '/body/identifier', { identifier: normalized }, 409);
        deps.audit().record({ ...ctx, em }, { action: 'earning.related-company.added', subjectType: 'partner', subjectId: partner.id, data: { after: view(row) } });
        return view(row);
      });
    },

    async remove(ctx: RequestContext, partnerId: string, id: string): Promise<void> {
      await ctx.em.transactional(async (em) => {
        const [row] = await em.execute<Row[]>(`delete from earning_related_company where id = ? and partner_id = ? returning *`, [id, partnerId]);
        if (!row) throw new AppError('EARNING_RELATED_NOT_FOUND', 404, { params: { id } });
        deps.audit().record({ ...ctx, em }, { action: 'earning.related-company.removed', subjectType: 'partner', subjectId: partnerId, data: { before: view(row) } });
      });
    },

    /** Why an invoice to `buyer` is a sale between related companies, or null when it is not (or names no buyer). */
    async reasonFor(ctx: RequestContext, partner: PartnerView, buyer: Buyer | undefined): Promise<RelatedCompanyReason | null> {
      if (!buyer) return null;
      const ids = identifiersOf(buyer);
      const mine = identifiersOf(partner);
      const self = buyer.partnerId === partner.id ? 'partnerId' : ids.find((i) => mine.includes(i));
      if (self) return { kind: 'related-company', relation: 'self', buyer, matched: self === 'partnerId' ? `partnerId ${partner.id}` : self };
      if (ids.length) {
        const [declared] = await ctx.em.execute<Row[]>(
          `select * from earning_related_company where partner_id = ? and (kind || ' ' || identifier) in (select jsonb_array_elements_text(?::jsonb)) limit 1`,
          [partner.id, JSON.stringify(ids)],
        );
        if (declared) return { kind: 'related-company', relation: 'declared', buyer, matched: `${declared.kind} ${declared.identifier}`, name: declared.name, relatedCompanyId: declared.id };
      }
      for (const other of await deps.partners().related(ctx, partner.id)) {
        const hit = buyer.partnerId === other.id ? `partnerId ${other.id}` : identifiersOf(other).find((i) => ids.includes(i));
        if (hit) return { kind: 'related-company', relation: 'group', buyer, matched: hit, name: other.legalName, relatedPartnerId: other.id };
      }
      return null;
    },
  };
}
export type RelatedCompanies = ReturnType<typeof createRelatedCompanies>;
