/**
 * The canonical business events of the earning inbox (`POST /api/v1/earning/events`, its batch route and
 * `earningInboxRef`), as TypeBox schemas: they document the API (OpenAPI), validate every event, and give a
 * connector plugin the exact shape to map its documents to. Money is integer minor units with a currency.
 */
import { Type, type Static } from 'typebox';

const common = {
  source: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$', description: 'The sending system (e.g. erp-acme); with externalId the key of the event' }),
  externalId: Type.String({ minLength: 1, maxLength: 200, description: "The event's id in the sending system: a replay of (source, externalId) returns the first result" }),
  occurredAt: Type.String({ format: 'date-time', description: 'When it happened (the invoice date, the payment date): the rules in force then apply' }),
  programId: Type.Optional(Type.String({ format: 'uuid', description: "The program; may be left out when the API key is scoped to one program or the partner is named by partnerId" })),
};

export const PartnerIdentification = Type.Object(
  {
    partnerId: Type.Optional(Type.String({ format: 'uuid', description: "Laurel's id of the partner" })),
    partnerCode: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'PartnerID: the program-unique code other systems map to' })),
    nip: Type.Optional(Type.String({ minLength: 1, maxLength: 20, description: 'Polish tax id (NIP); separators and a PL prefix are ignored' })),
    regon: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
    euVat: Type.Optional(Type.String({ minLength: 1, maxLength: 20, description: 'EU VAT number with its country prefix' })),
  },
  { additionalProperties: false, minProperties: 1, description: 'How to find the partner: the first given of partnerId, nip, euVat, regon, partnerCode decides' },
);

/**
 * The seller's own item code and the item's GTIN on a line: when a line carries either, the inbox looks it up in the
 * program's SKU mapping and the rules see the program SKU and category it maps to (an unmapped code stays in `sku` and
 * is listed for an admin to map). Leave them out when `sku` is already the program's SKU.
 */
const itemCodes = {
  sellerCode: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "The seller's own item code (UBL SellersItemIdentification, KSeF Indeks): mapped to a program SKU and category by the program's SKU mapping" })),
  gtin: Type.Optional(Type.String({ pattern: '^[0-9]{8,14}$', description: 'The GTIN (EAN/UPC, 8 to 14 digits) of the item: mapped when the seller code is not' })),
};

export const InvoiceLine = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 100, description: 'The program SKU, or the seller code when sellerCode/gtin are given (then the SKU mapping decides)' }),
    ...itemCodes,
    quantity: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000_000 }),
    netAmount: Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: "Net value of the line in the invoice currency's minor units (grosze, cents)" }),
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    margin: Type.Optional(Type.Integer({ minimum: -1_000_000_000_000, maximum: 1_000_000_000_000, description: 'Margin of the line in minor units' })),
  },
  { additionalProperties: false },
);

export const InvoiceIssued = Type.Object(
  {
    type: Type.Literal('invoice.issued'),
    ...common,
    partner: PartnerIdentification,
    repEmail: Type.Optional(Type.String({ format: 'email', maxLength: 254, description: "The selling rep (one of the partner's people) by e-mail" })),
    repUserId: Type.Optional(Type.String({ format: 'uuid', description: 'The selling rep by user id' })),
    number: Type.String({ minLength: 1, maxLength: 100, description: 'The invoice number as printed' }),
    buyer: Type.Optional(
      Type.Object(
        {
          partnerId: Type.Optional(Type.String({ format: 'uuid', description: "Laurel's id, when the buyer is a partner too" })),
          nip: Type.Optional(Type.String({ minLength: 1, maxLength: 20, description: 'Polish tax id (NIP); separators and a PL prefix are ignored' })),
          euVat: Type.Optional(Type.String({ minLength: 1, maxLength: 20, description: 'EU VAT number with its country prefix' })),
          regon: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
        },
        { additionalProperties: false, description: "Who the partner sold to (the invoice's buyer): a sale to the partner itself, a company it declared related or a partner of its capital group is held for review" },
      ),
    ),
    seller: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "The seller as the source names it (e.g. PL5270103391): its item codes are its own, so SKU mappings may be scoped to it" })),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217; for now the program currency (other currencies are refused until FX rates exist)' }),
    lines: Type.Array(InvoiceLine, { minItems: 1, maxItems: 1000 }),
  },
  { additionalProperties: false, title: 'invoice.issued', description: 'An invoice was issued to a partner: its lines earn points, to pending until it is paid' },
);

export const InvoicePaid = Type.Object(
  {
    type: Type.Literal('invoice.paid'),
    ...common,
    invoiceExternalId: Type.String({ minLength: 1, maxLength: 200, description: 'externalId of the invoice.issued event (same source)' }),
  },
  { additionalProperties: false, title: 'invoice.paid', description: "An invoice was paid: its pending points become available" },
);

const ChangedLine = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 100, description: "The SKU as the invoice's line had it (a seller code matches the line it was mapped from)" }),
    ...itemCodes,
    quantity: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000_000_000 })),
    netAmount: Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: "In the invoice currency's minor units" }),
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

export const InvoiceCorrected = Type.Object(
  {
    type: Type.Literal('invoice.corrected'),
    ...common,
    originalExternalId: Type.String({ minLength: 1, maxLength: 200, description: 'externalId of the corrected invoice.issued event (same source)' }),
    number: Type.String({ minLength: 1, maxLength: 100, description: 'The number of the correction or credit note' }),
    kind: Type.Optional(Type.Union([Type.Literal('correction'), Type.Literal('credit-note')], { description: "correction (default): each line is a SKU's net value after the correction (0 removes it; a new SKU is added); credit-note: each line is the net value credited back for the SKU" })),
    lines: Type.Array(ChangedLine, { minItems: 1, maxItems: 1000 }),
  },
  { additionalProperties: false, title: 'invoice.corrected', description: 'A correction or credit note of an invoice: its points follow the corrected lines (reversed in part, or the difference earned when it grows)' },
);

export const OrderReturned = Type.Object(
  {
    type: Type.Literal('order.returned'),
    ...common,
    invoiceExternalId: Type.String({ minLength: 1, maxLength: 200, description: 'externalId of the invoice.issued event the goods were sold on (same source)' }),
    lines: Type.Array(Type.Object({ sku: Type.String({ minLength: 1, maxLength: 100 }), ...itemCodes, quantity: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000_000_000 })), netAmount: Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'Net value returned, in minor units' }) }, { additionalProperties: false }), { minItems: 1, maxItems: 1000 }),
  },
  { additionalProperties: false, title: 'order.returned', description: 'Goods were returned: the points of the returned lines are reversed' },
);

const activity = {
  ...common,
  partner: PartnerIdentification,
  repEmail: Type.Optional(Type.String({ format: 'email', maxLength: 254, description: "The partner's person it is about, by e-mail" })),
  repUserId: Type.Optional(Type.String({ format: 'uuid', description: "The partner's person it is about, by user id" })),
};
const money = {
  amount: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'A value in minor units of currency (a per-amount rule earns on it)' })),
  currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217; the program currency when left out' })),
};
const ref = (name: string, description: string) => ({ [name]: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description })) });

export const DealWon = Type.Object({ type: Type.Literal('deal.won'), ...activity, ...ref('dealId', "The deal's id in the CRM"), ...money }, { additionalProperties: false, title: 'deal.won', description: 'A partner won a deal (a registered opportunity)' });
export const LeadRegistered = Type.Object({ type: Type.Literal('lead.registered'), ...activity, ...ref('leadId', "The lead's id") }, { additionalProperties: false, title: 'lead.registered', description: 'A partner registered a lead' });
export const LeadAccepted = Type.Object({ type: Type.Literal('lead.accepted'), ...activity, ...ref('leadId', "The lead's id") }, { additionalProperties: false, title: 'lead.accepted', description: "The vendor accepted a partner's lead" });
export const TrainingCompleted = Type.Object({ type: Type.Literal('training.completed'), ...activity, ...ref('courseId', 'The course') }, { additionalProperties: false, title: 'training.completed', description: "A partner's person completed a training" });
export const CertificationEarned = Type.Object({ type: Type.Literal('certification.earned'), ...activity, ...ref('certificationId', 'The certification') }, { additionalProperties: false, title: 'certification.earned', description: "A partner's person earned a certification" });
export const CUSTOM_TYPE = '^custom\\.[a-z0-9][a-z0-9._-]{0,63}$';
export const Custom = Type.Object(
  { type: Type.String({ pattern: CUSTOM_TYPE, description: 'custom.<name>, for plugins' }), ...activity, ...money, data: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Anything the plugin needs; conditions read it as event.data' })) },
  { additionalProperties: false, title: 'custom.<name>', description: 'An event of a plugin: rules answer it by its type' },
);

export const EVENT_SCHEMAS = { 'invoice.issued': InvoiceIssued, 'invoice.paid': InvoicePaid, 'invoice.corrected': InvoiceCorrected, 'order.returned': OrderReturned, 'deal.won': DealWon, 'lead.registered': LeadRegistered, 'lead.accepted': LeadAccepted, 'training.completed': TrainingCompleted, 'certification.earned': CertificationEarned } as const;
export type EventType = keyof typeof EVENT_SCHEMAS;
export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as EventType[];
export const AnyEvent = Type.Union([InvoiceIssued, InvoicePaid, InvoiceCorrected, OrderReturned, DealWon, LeadRegistered, LeadAccepted, TrainingCompleted, CertificationEarned, Custom], {
  description: 'A canonical event: invoice.issued, invoice.paid, invoice.corrected, order.returned, deal.won, lead.registered, lead.accepted, training.completed, certification.earned, custom.<name>',
});

export type InvoiceIssuedEvent = Static<typeof InvoiceIssued>;
export type InvoicePaidEvent = Static<typeof InvoicePaid>;
export type InvoiceCorrectedEvent = Static<typeof InvoiceCorrected>;
export type OrderReturnedEvent = Static<typeof OrderReturned>;
/** An event that earns by the rules of its type without lines: deals, leads, trainings, certifications, custom. */
export type ActivityEvent = Static<typeof DealWon> | Static<typeof LeadRegistered> | Static<typeof LeadAccepted> | Static<typeof TrainingCompleted> | Static<typeof CertificationEarned> | (Omit<Static<typeof Custom>, 'type'> & { type: `custom.${string}` });
/** Any canonical event the inbox takes. */
export type EarningEventInput = InvoiceIssuedEvent | InvoicePaidEvent | InvoiceCorrectedEvent | OrderReturnedEvent | ActivityEvent;
export const isActivity = (e: EarningEventInput): e is ActivityEvent => !['invoice.issued', 'invoice.paid', 'invoice.corrected', 'order.returned'].includes(e.type);
