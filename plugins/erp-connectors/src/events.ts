import { createHash } from 'node:crypto';
import { allocate, formatMinor, isValidNip, minorUnitsOf } from './money.ts';
import type { CanonicalEvent as InboxEvent } from '@laurel/plugin-sdk';
import type { CanonicalEvent, DocumentReading, DocumentResult, InvoiceCorrected, InvoiceIssued, ItemCodes, LineReading, PartnerIdentification } from './types.ts';
import { DocumentRejection } from './xml.ts';

/*
 * A reading → the canonical events it posts. The rules (README, "Mapping") in short:
 * - lines are summed per SKU (a discount line of the same SKU lowers it);
 * - an invoice posts invoice.issued, and invoice.paid when it says it was paid in full;
 * - a credit note, an invoice with a negative total and a KSeF correction post invoice.corrected against the invoice
 *   they name, with the change per SKU: only decreases → kind credit-note with what is credited back; an increase
 *   (KSeF rows before/after) → kind correction with each changed SKU's value after; no change → no event;
 * - an advance (ZAL) earns on its own net total, a settlement (ROZ) on its own net total (what is left after the
 *   advances), each spread over the order's lines in proportion to their net values: the advances and the settlement
 *   add up to the order once.
 */

const MAX_ID = 200;

/** Compile-time check: every event made here is an event the earning inbox takes. */
export const asInboxEvent = (e: CanonicalEvent): InboxEvent => e;

/** A key from parts, kept within the inbox's 200 characters (a long one ends in a hash of the whole). */
function keyOf(prefix: string, reading: DocumentReading, number: string): string {
  const key = `${prefix}:${reading.seller.key}:${reading.buyer.key}:${number}`;
  if (key.length <= MAX_ID) return key;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 32);
  return `${key.slice(0, MAX_ID - 34)}~${hash}`;
}

/** The seller's key on invoice.issued (it scopes SKU mappings), when it fits the inbox's 100 characters. */
const sellerOf = (r: DocumentReading) => (r.seller.key.length <= 100 ? { seller: r.seller.key } : {});

export const invoiceKey = (r: DocumentReading, number: string) => keyOf('inv', r, number);

function occurredAt(date: string): string {
  return `${date}T00:00:00.000Z`;
}

export function partnerOf(r: DocumentReading): PartnerIdentification {
  const b = r.buyer;
  if (b.nip) return { nip: b.nip };
  if (b.vat && /^[A-Z]{2}[0-9A-Z+*]{2,18}$/.test(b.vat)) return { euVat: b.vat };
  const code = b.endpoint ? `${b.endpoint.scheme}:${b.endpoint.id}` : b.legalId ? `${b.legalId.scheme ?? 'id'}:${b.legalId.id}` : null;
  if (code && code.length <= 40) return { partnerCode: code };
  throw new DocumentRejection('ERP_PARTY_UNIDENTIFIED', 'The buyer has no NIP, VAT number or identifier of at most 40 characters: no partner can be found for it', { path: 'buyer' });
}

/** Exact sum of decimal strings. */
function addDecimals(values: string[]): string {
  const scale = Math.max(0, ...values.map((v) => (v.split('.')[1] ?? '').length));
  let sum = 0n;
  for (const v of values) {
    const negative = v.startsWith('-');
    const [w, f = ''] = v.replace(/^[+-]/, '').split('.');
    const n = BigInt(w!) * 10n ** BigInt(scale) + BigInt(f.padEnd(scale, '0') || '0');
    sum += negative ? -n : n;
  }
  const negative = sum < 0n;
  const s = (negative ? -sum : sum).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? s : `${s.slice(0, -scale)}.${s.slice(-scale)}`.replace(/\.?0+$/, '');
  return (negative ? '-' : '') + text;
}

interface SkuTotal {
  sku: string;
  net: number;
  quantity: string | null;
  line: number;
  codes: ItemCodes;
}

/**
 * The codes the core's SKU mapping resolves: the seller's item id, and the standard id when it is a GTIN (8, 12, 13 or
 * 14 digits; UBL scheme 0160 GTIN, or 0088 as the Peppol examples write it). A line named only by its item name has none.
 */
export function itemCodesOf(l: Pick<LineReading, 'sellerItemId' | 'standardItemId'>): ItemCodes {
  const id = l.standardItemId;
  const gtin = id && /^([0-9]{8}|[0-9]{12,14})$/.test(id.id) && (id.scheme === null || id.scheme === '0160' || id.scheme === '0088' || id.scheme === 'GTIN') ? id.id : null;
  const seller = l.sellerItemId && l.sellerItemId.length <= 100 ? l.sellerItemId : null;
  return { ...(seller ? { sellerCode: seller } : {}), ...(gtin ? { gtin } : {}) };
}

/** Lines summed per SKU, in the order each SKU first appears. */
function perSku(lines: LineReading[]): SkuTotal[] {
  const map = new Map<string, { sku: string; net: number; quantities: string[]; line: number; missing: boolean; codes: ItemCodes }>();
  for (const l of lines) {
    const t = map.get(l.sku) ?? { sku: l.sku, net: 0, quantities: [], line: l.line, missing: false, codes: itemCodesOf(l) };
    t.net += l.netAmount;
    if (l.quantity === null) t.missing = true;
    else t.quantities.push(l.quantity);
    map.set(l.sku, t);
  }
  return [...map.values()].map((t) => ({ sku: t.sku, net: t.net, quantity: t.missing || t.quantities.length === 0 ? null : addDecimals(t.quantities), line: t.line, codes: t.codes }));
}

/** A quantity the inbox takes (> 0): the summed quantity, its absolute value, or 1 when the document gives none. */
function positiveQuantity(q: string | null): number {
  const n = q === null ? 0 : Math.abs(Number(q));
  return n > 0 ? n : 1;
}

function tooMany(count: number) {
  if (count > 1000) throw new DocumentRejection('ERP_UNSUPPORTED', `The document has ${count} distinct SKUs; at most 1,000 can be posted as one event`, { params: { count } });
}

export function toEvents(r: DocumentReading, source: string, programId?: string): DocumentResult {
  const notes: string[] = [];
  const made: CanonicalEvent[] = [];
  // Every event names the program when the caller chose one.
  const events = { push: (e: CanonicalEvent) => made.push(programId ? { ...e, programId } : e) };
  const digits = minorUnitsOf(r.currency)!;
  const partner = partnerOf(r);
  if (r.buyer.nip && !isValidNip(r.buyer.nip)) notes.push(`The buyer's NIP ${r.buyer.nip} fails its checksum: no partner is likely to match it`);
  if (r.seller.nip && !isValidNip(r.seller.nip)) notes.push(`The seller's NIP ${r.seller.nip} fails its checksum`);
  const money = (n: number) => `${formatMinor(n, digits)} ${r.currency}`;
  const correctionOf = (kind: 'correction' | 'credit-note', lines: InvoiceCorrected['lines'], prefix: string): InvoiceCorrected => {
    if (!r.corrects) {
      throw new DocumentRejection('ERP_CORRECTION_REFERENCE_MISSING', r.format === 'peppol-bis3' ? 'A credit note or an invoice with a negative total needs BillingReference/InvoiceDocumentReference/ID: the invoice it corrects' : 'A correction needs DaneFaKorygowanej', { path: r.format === 'peppol-bis3' ? 'BillingReference' : 'Fa/DaneFaKorygowanej' });
    }
    return { type: 'invoice.corrected', source, externalId: keyOf(prefix, r, r.number), occurredAt: occurredAt(r.issueDate), originalExternalId: invoiceKey(r, r.corrects.number), number: r.number, kind, lines };
  };

  if (r.kind === 'invoice') {
    const totals = perSku(r.lines);
    tooMany(totals.length);
    const positive = totals.filter((t) => t.net > 0 || (t.net === 0 && t.quantity !== null && Number(t.quantity) > 0));
    const negative = totals.filter((t) => t.net < 0);
    for (const t of totals) if (t.net === 0 && !positive.includes(t)) notes.push(`SKU ${t.sku}: its lines add up to nothing and are left out`);
    if (positive.length === 0) throw new DocumentRejection('ERP_NO_LINES', 'No SKU of the invoice has a positive net value: there is nothing to post');
    const issued: InvoiceIssued = {
      type: 'invoice.issued',
      source,
      externalId: invoiceKey(r, r.number),
      occurredAt: occurredAt(r.issueDate),
      partner,
      number: r.number,
      ...sellerOf(r),
      currency: r.currency,
      lines: positive.map((t) => ({ sku: t.sku, ...t.codes, quantity: positiveQuantity(t.quantity), netAmount: t.net })),
    };
    events.push(issued);
    if (negative.length > 0) {
      if (!r.corrects) {
        throw new DocumentRejection('ERP_UNSUPPORTED', `SKU ${negative[0]!.sku} has a negative net value (${money(negative[0]!.net)}) and the invoice names no invoice it corrects (BillingReference)`, { line: negative[0]!.line });
      }
      events.push(correctionOf('credit-note', negative.map((t) => ({ sku: t.sku, ...t.codes, ...(t.quantity ? { quantity: Math.abs(Number(t.quantity)) } : {}), netAmount: -t.net })), 'cor'));
      notes.push(`Negative lines (${negative.map((t) => t.sku).join(', ')}) are credited back on invoice ${r.corrects.number}`);
    }
    if (r.paid) {
      events.push({ type: 'invoice.paid', source, externalId: keyOf('paid', r, r.number), occurredAt: occurredAt(r.paid.date), invoiceExternalId: issued.externalId });
    }
    return { reading: r, events: made, documentKey: issued.externalId, notes };
  }

  if (r.kind === 'credit-note' || (r.kind === 'correction' && r.format === 'peppol-bis3')) {
    // UBL: a credit note's lines are credited back; an invoice with a negative total lowers by its negative lines.
    const sign = r.kind === 'credit-note' ? 1 : -1;
    const totals = perSku(r.lines).map((t) => ({ ...t, credited: sign * t.net }));
    tooMany(totals.length);
    const documentKey = keyOf(r.kind === 'credit-note' ? 'cn' : 'cor', r, r.number);
    const up = totals.find((t) => t.credited < 0);
    if (up) throw new DocumentRejection('ERP_UNSUPPORTED', `SKU ${up.sku} would grow by ${money(-up.credited)} in a ${r.kind === 'credit-note' ? 'credit note' : 'negative invoice'}; send the increase as an invoice`, { line: up.line });
    const changed = totals.filter((t) => t.credited > 0);
    if (changed.length === 0) {
      correctionOf('credit-note', [], r.kind === 'credit-note' ? 'cn' : 'cor'); // still needs its reference
      notes.push('The document changes no amount: nothing is reversed');
      return { reading: r, events: made, documentKey, notes };
    }
    events.push(correctionOf('credit-note', changed.map((t) => ({ sku: t.sku, ...t.codes, ...(t.quantity ? { quantity: Math.abs(Number(t.quantity)) } : {}), netAmount: t.credited })), r.kind === 'credit-note' ? 'cn' : 'cor'));
    return { reading: r, events: made, documentKey, notes };
  }

  if (r.kind === 'correction') {
    // KSeF KOR: the change per SKU is the rows after minus the rows before (StanPrzed); without before rows the
    // rows are the differences themselves.
    const documentKey = keyOf('cor', r, r.number);
    const after = perSku(r.lines.filter((l) => !l.before));
    const before = perSku(r.lines.filter((l) => l.before));
    const hasBefore = before.length > 0;
    const skus = [...new Set([...before.map((t) => t.sku), ...after.map((t) => t.sku)])];
    tooMany(skus.length);
    const changes = skus.map((sku) => {
      const a = after.find((t) => t.sku === sku);
      const b = before.find((t) => t.sku === sku);
      return { sku, codes: (a ?? b)!.codes, delta: (a?.net ?? 0) - (b?.net ?? 0), after: a, line: (a ?? b)!.line };
    });
    const changed = changes.filter((c) => c.delta !== 0);
    if (changed.length === 0) {
      correctionOf('credit-note', [], 'cor');
      notes.push('The correction changes no amount: nothing is reversed');
      return { reading: r, events: made, documentKey, notes };
    }
    if (changed.every((c) => c.delta < 0)) {
      events.push(correctionOf('credit-note', changed.map((c) => ({ sku: c.sku, ...c.codes, netAmount: -c.delta })), 'cor'));
      return { reading: r, events: made, documentKey, notes };
    }
    const up = changed.find((c) => c.delta > 0)!;
    if (!hasBefore) {
      throw new DocumentRejection('ERP_UNSUPPORTED', `SKU ${up.sku} grows by ${money(up.delta)} in a correction without rows before the correction (StanPrzed): the value after it cannot be known`, { line: up.line });
    }
    const negativeAfter = changed.find((c) => (c.after?.net ?? 0) < 0);
    if (negativeAfter) throw new DocumentRejection('ERP_VALUE_INVALID', `SKU ${negativeAfter.sku} has a negative net value after the correction`, { line: negativeAfter.line });
    events.push(
      correctionOf(
        'correction',
        changed.map((c) => ({ sku: c.sku, ...c.codes, ...(c.after?.quantity ? { quantity: Math.abs(Number(c.after.quantity)) } : {}), netAmount: c.after?.net ?? 0 })),
        'cor',
      ),
    );
    notes.push('The correction raises an amount: each changed SKU is posted with its value after the correction');
    return { reading: r, events: made, documentKey, notes };
  }

  // Advances and settlements: the net total of the document, spread over the order's lines.
  const orderLines = perSku(r.lines.filter((l) => !l.before));
  tooMany(orderLines.length);
  const weights = orderLines.map((t) => Math.max(0, t.net));
  const orderTotal = weights.reduce((a, b) => a + b, 0);
  const net = r.netTotal;
  if (net === null) throw new DocumentRejection('ERP_REQUIRED_MISSING', 'Fa/P_13_1 (a net total per rate) is required for an advance or a settlement: it is what earns', { path: 'Fa/P_13_1', params: { element: 'Fa/P_13_1' } });
  if (orderLines.length === 0) throw new DocumentRejection('ERP_NO_LINES', r.kind.startsWith('advance') ? 'The advance invoice has no order lines (Zamowienie/ZamowienieWiersz) to spread the advance over' : 'The settlement invoice has no lines (FaWiersz)');
  const spread = (amount: number) => {
    const shares = allocate(amount, weights);
    return orderLines
      .map((t, i) => ({ t, share: shares[i]! }))
      .filter(({ share }) => share !== 0)
      .map(({ t, share }) => {
        // The order's quantity in the proportion this document pays, to 4 decimal places (at least 0.0001).
        const q = positiveQuantity(t.quantity);
        const quantity = t.net > 0 ? Math.max(0.0001, Math.round((q * Math.abs(share)) / t.net * 10_000) / 10_000) : q;
        return { sku: t.sku, ...t.codes, quantity, netAmount: share };
      });
  };

  if (r.kind === 'advance' || r.kind === 'settlement') {
    const documentKey = invoiceKey(r, r.number);
    if (r.kind === 'settlement' && net > orderTotal) throw new DocumentRejection('ERP_VALUE_INVALID', `The settlement's net total (${money(net)}) is more than its lines' (${money(orderTotal)})`, { path: 'Fa/P_13_1' });
    if (net < 0) throw new DocumentRejection('ERP_UNSUPPORTED', `The ${r.kind === 'advance' ? 'advance' : 'settlement'} has a negative net total (${money(net)})`, { path: 'Fa/P_13_1' });
    if (net === 0) {
      notes.push(r.kind === 'settlement' ? 'The advances paid the whole order: the settlement earns nothing more' : 'The advance is of no net value: nothing is posted');
      return { reading: r, events: made, documentKey, notes };
    }
    const issued: InvoiceIssued = { type: 'invoice.issued', source, externalId: documentKey, occurredAt: occurredAt(r.issueDate), partner, number: r.number, ...sellerOf(r), currency: r.currency, lines: spread(net) };
    events.push(issued);
    notes.push(
      r.kind === 'advance'
        ? `The advance earns on its net total ${money(net)}, spread over the order (${money(orderTotal)})`
        : `The settlement earns on its net total ${money(net)}, what is left of the order (${money(orderTotal)}) after the advances${r.advances.length ? ` (${r.advances.join(', ')})` : ''}`,
    );
    if (r.paid) events.push({ type: 'invoice.paid', source, externalId: keyOf('paid', r, r.number), occurredAt: occurredAt(r.paid.date), invoiceExternalId: issued.externalId });
    return { reading: r, events: made, documentKey, notes };
  }

  // KOR_ZAL / KOR_ROZ: their net totals are the difference.
  const documentKey = keyOf('cor', r, r.number);
  if (net === 0) {
    correctionOf('credit-note', [], 'cor');
    notes.push('The correction changes no amount: nothing is reversed');
    return { reading: r, events: made, documentKey, notes };
  }
  if (net > 0) throw new DocumentRejection('ERP_UNSUPPORTED', `The correction raises the ${r.kind === 'advance-correction' ? 'advance' : 'settlement'} by ${money(net)}; only decreases of advances and settlements can be posted`, { path: 'Fa/P_13_1' });
  events.push(correctionOf('credit-note', spread(-net), 'cor'));
  notes.push(`The correction lowers the ${r.kind === 'advance-correction' ? 'advance' : 'settlement'} by ${money(-net)}, spread over the order like the invoice it corrects`);
  return { reading: r, events: made, documentKey, notes };
}
