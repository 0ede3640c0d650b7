import { amountOf, currencyOf, dateOf, invalid, optionalText, quantityOf, required, requiredText } from './fields.ts';
import type { DocumentReading, LineReading, PartyReading } from './types.ts';
import { DocumentRejection, at, kid, kids, textOf, type El } from './xml.ts';

/*
 * Peppol BIS Billing 3.0 (UBL 2.1) Invoice and CreditNote → a reading. The UBL XSDs are not shipped with the plugin,
 * so what BIS 3.0 requires of the parts read here is checked element by element (see README, "Validation").
 */

export const UBL_INVOICE_NS = 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2';
export const UBL_CREDIT_NOTE_NS = 'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2';
const CBC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2';
const CAC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2';

const cbc = (el: El | undefined, name: string) => kid(el, CBC, name);
const cac = (el: El | undefined, name: string) => kid(el, CAC, name);

export function isUbl(root: { ns: string; name: string }): boolean {
  return (root.ns === UBL_INVOICE_NS && root.name === 'Invoice') || (root.ns === UBL_CREDIT_NOTE_NS && root.name === 'CreditNote');
}

function party(holder: El | undefined, parent: El, path: string): PartyReading {
  const p = required(cac(holder, 'Party'), parent, `${path}/Party`);
  const endpointEl = required(cbc(p, 'EndpointID'), p, `${path}/Party/EndpointID`);
  const endpointId = requiredText(endpointEl, p, `${path}/Party/EndpointID`);
  const scheme = endpointEl.attrs.schemeID?.trim();
  if (!scheme) throw new DocumentRejection('ERP_REQUIRED_MISSING', `${path}/Party/EndpointID@schemeID is required`, { line: endpointEl.line, path: `${path}/Party/EndpointID@schemeID`, params: { element: `${path}/Party/EndpointID@schemeID` } });
  const vatScheme = kids(p, CAC, 'PartyTaxScheme').find((t) => textOf(at(t, CAC, 'TaxScheme')?.children.find((c) => c.ns === CBC && c.name === 'ID')) === 'VAT');
  const vat = optionalText(cbc(vatScheme, 'CompanyID'), `${path}/Party/PartyTaxScheme/CompanyID`, 40)?.replace(/[\s.-]/g, '').toUpperCase() ?? null;
  const legal = cac(p, 'PartyLegalEntity');
  requiredText(cbc(legal, 'RegistrationName'), legal ?? p, `${path}/Party/PartyLegalEntity/RegistrationName`, 500);
  const legalEl = cbc(legal, 'CompanyID');
  const legalId = optionalText(legalEl, `${path}/Party/PartyLegalEntity/CompanyID`, 60);
  const name = optionalText(cbc(legal, 'RegistrationName'), 'RegistrationName', 500) ?? optionalText(cbc(cac(p, 'PartyName'), 'Name'), 'PartyName/Name', 500);
  const nip = vat && /^PL\d{10}$/.test(vat) ? vat.slice(2) : null;
  const endpoint = { scheme, id: endpointId };
  return {
    name,
    nip,
    vat,
    endpoint,
    legalId: legalId ? { scheme: legalEl?.attrs.schemeID?.trim() || null, id: legalId } : null,
    key: vat ?? `${scheme}:${endpointId}`,
  };
}

export function readUbl(root: El): DocumentReading {
  const credit = root.name === 'CreditNote';
  const linesName = credit ? 'CreditNoteLine' : 'InvoiceLine';
  const quantityName = credit ? 'CreditedQuantity' : 'InvoicedQuantity';
  requiredText(cbc(root, 'CustomizationID'), root, 'CustomizationID', 200);
  requiredText(cbc(root, 'ProfileID'), root, 'ProfileID', 200);
  const number = requiredText(cbc(root, 'ID'), root, 'ID');
  const issueDate = dateOf(required(cbc(root, 'IssueDate'), root, 'IssueDate'), 'IssueDate');
  const typeCode = requiredText(cbc(root, credit ? 'CreditNoteTypeCode' : 'InvoiceTypeCode'), root, credit ? 'CreditNoteTypeCode' : 'InvoiceTypeCode', 10);
  const currencyEl = required(cbc(root, 'DocumentCurrencyCode'), root, 'DocumentCurrencyCode');
  const { code: currency, digits } = currencyOf(currencyEl, 'DocumentCurrencyCode');
  const dueEl = cbc(root, 'DueDate') ?? cbc(cac(root, 'PaymentMeans'), 'PaymentDueDate');
  const dueDate = dueEl ? dateOf(dueEl, dueEl.name) : null;
  const seller = party(cac(root, 'AccountingSupplierParty'), root, 'AccountingSupplierParty');
  const buyer = party(cac(root, 'AccountingCustomerParty'), root, 'AccountingCustomerParty');
  required(cac(root, 'TaxTotal'), root, 'TaxTotal');
  const totals = required(cac(root, 'LegalMonetaryTotal'), root, 'LegalMonetaryTotal');
  const money = (el: El | undefined, parent: El, path: string): number => {
    const e = required(el, parent, path);
    const c = e.attrs.currencyID?.trim();
    if (c !== currency) throw invalid(e, `${path}@currencyID`, `is "${(c ?? '').slice(0, 10)}", not the document currency ${currency}`);
    return amountOf(e, path, digits);
  };
  const lineTotal = money(cbc(totals, 'LineExtensionAmount'), totals, 'LegalMonetaryTotal/LineExtensionAmount');
  const netTotal = money(cbc(totals, 'TaxExclusiveAmount'), totals, 'LegalMonetaryTotal/TaxExclusiveAmount');
  money(cbc(totals, 'TaxInclusiveAmount'), totals, 'LegalMonetaryTotal/TaxInclusiveAmount');
  money(cbc(totals, 'PayableAmount'), totals, 'LegalMonetaryTotal/PayableAmount');

  const lineEls = kids(root, CAC, linesName);
  if (lineEls.length === 0) throw new DocumentRejection('ERP_REQUIRED_MISSING', `${linesName} is required (at least one)`, { line: root.line, path: linesName, params: { element: linesName } });
  const lines: LineReading[] = lineEls.map((l, i) => {
    const path = `${linesName}[${i + 1}]`;
    const item = required(cac(l, 'Item'), l, `${path}/Item`);
    const name = requiredText(cbc(item, 'Name'), item, `${path}/Item/Name`, 500);
    required(cac(item, 'ClassifiedTaxCategory'), item, `${path}/Item/ClassifiedTaxCategory`);
    money(cbc(required(cac(l, 'Price'), l, `${path}/Price`), 'PriceAmount'), l, `${path}/Price/PriceAmount`);
    const sellerItemId = optionalText(cbc(cac(item, 'SellersItemIdentification'), 'ID'), `${path}/Item/SellersItemIdentification/ID`);
    const stdEl = cbc(cac(item, 'StandardItemIdentification'), 'ID');
    const std = optionalText(stdEl, `${path}/Item/StandardItemIdentification/ID`);
    const quantityEl = required(cbc(l, quantityName), l, `${path}/${quantityName}`);
    return {
      number: requiredText(cbc(l, 'ID'), l, `${path}/ID`),
      line: l.line,
      ...skuOf(sellerItemId, std, name),
      sellerItemId,
      standardItemId: std ? { scheme: stdEl?.attrs.schemeID?.trim() || null, id: std } : null,
      name,
      quantity: quantityOf(quantityEl, `${path}/${quantityName}`),
      netAmount: money(cbc(l, 'LineExtensionAmount'), l, `${path}/LineExtensionAmount`),
      before: false,
      exchangeRate: null,
    };
  });
  const sum = lines.reduce((s, l) => s + l.netAmount, 0);
  if (sum !== lineTotal) throw invalid(cbc(totals, 'LineExtensionAmount')!, 'LegalMonetaryTotal/LineExtensionAmount', `is not the sum of the lines' LineExtensionAmount (BR-CO-10)`);

  const ref = at(root, CAC, 'BillingReference', 'InvoiceDocumentReference');
  const refNumber = optionalText(cbc(ref, 'ID'), 'BillingReference/InvoiceDocumentReference/ID');
  const refDate = cbc(ref, 'IssueDate');
  return {
    format: 'peppol-bis3',
    kind: credit ? 'credit-note' : netTotal < 0 ? 'correction' : 'invoice',
    typeCode,
    number,
    issueDate,
    dueDate,
    currency,
    seller,
    buyer,
    lines,
    netTotal,
    corrects: refNumber ? { number: refNumber, issueDate: refDate ? dateOf(refDate, 'BillingReference/InvoiceDocumentReference/IssueDate') : null } : null,
    advances: [],
    paid: null,
  };
}

/** The SKU of a line: the seller's code, else the standard id (GTIN), else the item's name (at most 100 characters). */
export function skuOf(sellerItemId: string | null, standardId: string | null, name: string | null): Pick<LineReading, 'sku' | 'skuFrom'> {
  if (sellerItemId) return { sku: sellerItemId, skuFrom: 'seller' };
  if (standardId) return { sku: standardId, skuFrom: 'standard' };
  return { sku: [...(name ?? '-')].slice(0, 100).join('').trim() || '-', skuFrom: 'name' };
}
