import { defineEntity, p, partnerScoped, programScoped, type Locale } from '@laurel/plugin-sdk';

export const PARTNER_TYPES = ['distributor', 'wholesaler', 'reseller', 'dealer', 'integrator'] as const;
export type PartnerType = (typeof PARTNER_TYPES)[number];
export const PARTNER_STATUSES = ['applied', 'active', 'suspended', 'closed'] as const;
export type PartnerStatus = (typeof PARTNER_STATUSES)[number];

export interface Applicant {
  name: string;
  email: string;
  locale: Locale;
  phone: string | null;
}

/** A company taking part in a program. Partner users reach only their own row (partner scope). */
export const Partner = defineEntity({
  name: 'Partner',
  tableName: 'partners_partner',
  filters: { ...partnerScoped('id'), ...programScoped('programId') },
  properties: {
    id: p.uuid().primary(),
    programId: p.uuid(),
    partnerCode: p.string(),
    legalName: p.string(),
    country: p.string(),
    nip: p.string().nullable(),
    regon: p.string().nullable(),
    euVat: p.string().nullable(),
    krs: p.string().nullable(),
    type: p.string().$type<PartnerType>(),
    salesChannel: p.string().nullable(),
    region: p.string().nullable(),
    segments: p.json<string[]>(),
    status: p.string().$type<PartnerStatus>(),
    statusReason: p.text().nullable(),
    accountManagerId: p.uuid().nullable(),
    applicant: p.json<Applicant>().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});

export const PartnerRelation = defineEntity({
  name: 'PartnerRelation',
  tableName: 'partners_relation',
  filters: partnerScoped('partnerId'),
  properties: {
    partnerId: p.uuid().primary(),
    relatedPartnerId: p.uuid().primary(),
    kind: p.string().$type<'capital-group'>(),
    createdAt: p.datetime(),
  },
});
