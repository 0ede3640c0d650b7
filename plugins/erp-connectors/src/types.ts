/*
 * What a document says (its reading) and the canonical events it becomes. The event shapes are those the earning
 * inbox accepts (POST /api/v1/earning/events): invoice.issued, invoice.paid, invoice.corrected.
 */

export type DocumentFormat = 'peppol-bis3' | 'ksef-fa3' | 'ksef-fa2';

/**
 * invoice: an ordinary invoice (UBL 380 and kin, KSeF VAT/UPR); credit-note: UBL CreditNote; correction: a UBL invoice
 * with a negative total, KSeF KOR; advance: KSeF ZAL; settlement: KSeF ROZ; advance-correction / settlement-correction:
 * KSeF KOR_ZAL / KOR_ROZ.
 */
export type DocumentKind = 'invoice' | 'credit-note' | 'correction' | 'advance' | 'settlement' | 'advance-correction' | 'settlement-correction';

export interface PartyReading {
  name: string | null;
  /** Polish NIP (10 digits), from KSeF NIP or a VAT number starting with PL. */
  nip: string | null;
  /** A VAT number with its country prefix (UBL PartyTaxScheme/CompanyID, KSeF KodUE + NrVatUE). */
  vat: string | null;
  /** Peppol EndpointID with its scheme (e.g. 0088 GLN, 0192 Norwegian organisation number). */
  endpoint: { scheme: string; id: string } | null;
  /** UBL PartyLegalEntity/CompanyID (scheme optional); KSeF KodKraju + NrID as scheme and id. */
  legalId: { scheme: string | null; id: string } | null;
  /** The key the plugin files the party under: PL<NIP>, the VAT number, scheme:endpoint or scheme:legal id. */
  key: string;
}

export interface LineReading {
  /** Line number as the document gives it (UBL cbc:ID, KSeF NrWierszaFa); for orders NrWierszaZam. */
  number: string;
  /** The document's line the element starts on. */
  line: number;
  /** What the events use as SKU: the seller's item id, else the standard id (GTIN), else the item's name. */
  sku: string;
  skuFrom: 'seller' | 'standard' | 'name';
  sellerItemId: string | null;
  standardItemId: { scheme: string | null; id: string } | null;
  name: string | null;
  /** Exactly as written (may be negative in UBL); null when the document gives none. */
  quantity: string | null;
  /** Net value in minor units of the document currency, signed as in the document. */
  netAmount: number;
  /** KSeF StanPrzed: the row shows the state before the correction. */
  before: boolean;
  /** KSeF KursWaluty of the line (PLN per unit of the document currency), exactly as written. */
  exchangeRate: string | null;
}

export interface DocumentReading {
  format: DocumentFormat;
  kind: DocumentKind;
  /** InvoiceTypeCode / CreditNoteTypeCode (UBL) or RodzajFaktury (KSeF), as written. */
  typeCode: string;
  number: string;
  issueDate: string;
  dueDate: string | null;
  currency: string;
  seller: PartyReading;
  buyer: PartyReading;
  /** Invoice lines (FaWiersz, InvoiceLine, CreditNoteLine); for a KSeF advance the order lines (ZamowienieWiersz). */
  lines: LineReading[];
  /** Net total in minor units: UBL LegalMonetaryTotal/TaxExclusiveAmount; KSeF the sum of P_13_*. */
  netTotal: number | null;
  /** The invoice this one corrects (UBL BillingReference, KSeF DaneFaKorygowanej). */
  corrects: { number: string; issueDate: string | null } | null;
  /** KSeF ROZ: the advance invoices it settles (FakturaZaliczkowa). */
  advances: string[];
  /** Paid in full, and when (KSeF Platnosc). UBL says nothing about payment. */
  paid: { date: string } | null;
}

export interface PartnerIdentification {
  nip?: string;
  euVat?: string;
  partnerCode?: string;
}

export interface InvoiceIssued {
  type: 'invoice.issued';
  source: string;
  programId?: string;
  externalId: string;
  occurredAt: string;
  partner: PartnerIdentification;
  number: string;
  /** The seller's key (PL<NIP>, VAT number, scheme:id): the core's SKU mapping may be scoped to it. */
  seller?: string;
  currency: string;
  lines: ({ sku: string; quantity: number; netAmount: number } & ItemCodes)[];
}

/** A line's codes for the core's SKU mapping: the seller's item id (Indeks, SellersItemIdentification) and its GTIN. */
export interface ItemCodes {
  sellerCode?: string;
  gtin?: string;
}

export interface InvoicePaid {
  type: 'invoice.paid';
  source: string;
  programId?: string;
  externalId: string;
  occurredAt: string;
  invoiceExternalId: string;
}

export interface InvoiceCorrected {
  type: 'invoice.corrected';
  source: string;
  programId?: string;
  externalId: string;
  occurredAt: string;
  originalExternalId: string;
  number: string;
  kind: 'correction' | 'credit-note';
  lines: ({ sku: string; quantity?: number; netAmount: number } & ItemCodes)[];
}

export type CanonicalEvent = InvoiceIssued | InvoicePaid | InvoiceCorrected;

/** What reading a document gave: the reading, the events it posts and notes on how they were made. */
export interface DocumentResult {
  reading: DocumentReading;
  events: CanonicalEvent[];
  /** The document's key for duplicates, within a source: `<class>:<seller>:<buyer>:<number>`. */
  documentKey: string;
  /** Plain-English remarks on what was left out or derived (e.g. "the correction changes no amount"). */
  notes: string[];
}
