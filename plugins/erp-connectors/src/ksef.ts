import { amountOf, currencyOf, dateOf, invalid, optionalText, quantityOf, required, requiredText } from './fields.ts';
import type { DocumentKind, DocumentReading, LineReading, PartyReading } from './types.ts';
import { skuOf } from './ubl.ts';
import { DocumentRejection, at, kid, kids, textOf, type El } from './xml.ts';

/*
 * KSeF structured invoices → a reading. FA(3) is validated against its XSD before this runs; FA(2) (still found in
 * archives; its schema is not shipped) has the elements read here checked one by one.
 */

export const FA3_NS = 'http://crd.gov.pl/wzor/2025/06/25/13775/';
export const FA2_NS = 'http://crd.gov.pl/wzor/2023/06/29/12648/';

export function ksefVersion(root: { ns: string; name: string }): 'ksef-fa3' | 'ksef-fa2' | null {
  if (root.name !== 'Faktura') return null;
  return root.ns === FA3_NS ? 'ksef-fa3' : root.ns === FA2_NS ? 'ksef-fa2' : null;
}

const KINDS: Record<string, DocumentKind> = {
  VAT: 'invoice',
  UPR: 'invoice',
  KOR: 'correction',
  ZAL: 'advance',
  ROZ: 'settlement',
  KOR_ZAL: 'advance-correction',
  KOR_ROZ: 'settlement-correction',
};

/** Net totals per rate: P_13_1 … P_13_11 (FA(3) splits 0 % into P_13_6_1/2/3, FA(2) has P_13_6). */
const NET_TOTALS = ['P_13_1', 'P_13_2', 'P_13_3', 'P_13_4', 'P_13_5', 'P_13_6', 'P_13_6_1', 'P_13_6_2', 'P_13_6_3', 'P_13_7', 'P_13_8', 'P_13_9', 'P_13_10', 'P_13_11'];

export function readKsef(root: El, format: 'ksef-fa3' | 'ksef-fa2'): DocumentReading {
  const ns = root.ns;
  const k = (el: El | undefined, name: string) => kid(el, ns, name);
  required(k(root, 'Naglowek'), root, 'Naglowek');

  const p1 = required(k(root, 'Podmiot1'), root, 'Podmiot1');
  const id1 = required(k(p1, 'DaneIdentyfikacyjne'), p1, 'Podmiot1/DaneIdentyfikacyjne');
  const sellerNipEl = required(k(id1, 'NIP'), id1, 'Podmiot1/DaneIdentyfikacyjne/NIP');
  const sellerNip = requiredText(sellerNipEl, id1, 'Podmiot1/DaneIdentyfikacyjne/NIP', 10);
  if (!/^\d{10}$/.test(sellerNip)) throw invalid(sellerNipEl, 'Podmiot1/DaneIdentyfikacyjne/NIP', 'is not 10 digits');
  const seller: PartyReading = { name: optionalText(k(id1, 'Nazwa'), 'Podmiot1/DaneIdentyfikacyjne/Nazwa', 512), nip: sellerNip, vat: `PL${sellerNip}`, endpoint: null, legalId: null, key: `PL${sellerNip}` };

  const p2 = required(k(root, 'Podmiot2'), root, 'Podmiot2');
  const id2 = required(k(p2, 'DaneIdentyfikacyjne'), p2, 'Podmiot2/DaneIdentyfikacyjne');
  const buyer = buyerOf(id2, ns);

  const fa = required(k(root, 'Fa'), root, 'Fa');
  const { code: currency, digits } = currencyOf(required(k(fa, 'KodWaluty'), fa, 'Fa/KodWaluty'), 'Fa/KodWaluty');
  const issueDate = dateOf(required(k(fa, 'P_1'), fa, 'Fa/P_1'), 'Fa/P_1');
  const number = requiredText(k(fa, 'P_2'), fa, 'Fa/P_2');
  amountOf(required(k(fa, 'P_15'), fa, 'Fa/P_15'), 'Fa/P_15', digits);
  const typeEl = required(k(fa, 'RodzajFaktury'), fa, 'Fa/RodzajFaktury');
  const typeCode = requiredText(typeEl, fa, 'Fa/RodzajFaktury', 20);
  const kind = KINDS[typeCode];
  if (!kind) throw invalid(typeEl, 'Fa/RodzajFaktury', `"${typeCode.slice(0, 20)}" is not one of ${Object.keys(KINDS).join(', ')}`);

  let netTotal: number | null = null;
  for (const name of NET_TOTALS) {
    const el = k(fa, name);
    if (el) netTotal = (netTotal ?? 0) + amountOf(el, `Fa/${name}`, digits);
  }

  const order = kind === 'advance' || kind === 'advance-correction';
  const lines = order ? orderLines(k(fa, 'Zamowienie'), ns, digits, k(fa, 'KursWalutyZ')) : invoiceLines(fa, ns, digits);

  let corrects: DocumentReading['corrects'] = null;
  if (kind === 'correction' || kind === 'advance-correction' || kind === 'settlement-correction') {
    const refs = kids(fa, ns, 'DaneFaKorygowanej');
    if (refs.length === 0) throw new DocumentRejection('ERP_CORRECTION_REFERENCE_MISSING', `Fa/DaneFaKorygowanej is required for RodzajFaktury ${typeCode}`, { line: typeEl.line, path: 'Fa/DaneFaKorygowanej', params: { element: 'Fa/DaneFaKorygowanej' } });
    if (refs.length > 1) throw new DocumentRejection('ERP_UNSUPPORTED', `The correction corrects ${refs.length} invoices; only a correction of one invoice can be posted`, { line: refs[1]!.line, path: 'Fa/DaneFaKorygowanej' });
    const ref = refs[0]!;
    const refDate = k(ref, 'DataWystFaKorygowanej');
    corrects = { number: requiredText(k(ref, 'NrFaKorygowanej'), ref, 'Fa/DaneFaKorygowanej/NrFaKorygowanej'), issueDate: refDate ? dateOf(refDate, 'Fa/DaneFaKorygowanej/DataWystFaKorygowanej') : null };
  }
  const advances = kids(fa, ns, 'FakturaZaliczkowa').map((z) => textOf(k(z, 'NrFaZaliczkowej')) ?? textOf(k(z, 'NrKSeFFaZaliczkowej')) ?? '').filter(Boolean);

  const platnosc = k(fa, 'Platnosc');
  let paid: DocumentReading['paid'] = null;
  if (textOf(k(platnosc, 'Zaplacono')) === '1') {
    paid = { date: dateOf(required(k(platnosc, 'DataZaplaty'), platnosc!, 'Fa/Platnosc/DataZaplaty'), 'Fa/Platnosc/DataZaplaty') };
  } else if (textOf(k(platnosc, 'ZnacznikZaplatyCzesciowej')) === '2') {
    // Paid in full in two or more parts: paid on the day of the last part.
    const dates = kids(platnosc, ns, 'ZaplataCzesciowa').map((z, i) => dateOf(required(k(z, 'DataZaplatyCzesciowej'), z, `Fa/Platnosc/ZaplataCzesciowa[${i + 1}]/DataZaplatyCzesciowej`), `Fa/Platnosc/ZaplataCzesciowa[${i + 1}]/DataZaplatyCzesciowej`));
    if (dates.length > 0) paid = { date: dates.sort().at(-1)! };
  }
  const due = at(platnosc, ns, 'TerminPlatnosci', 'Termin');

  return {
    format,
    kind,
    typeCode,
    number,
    issueDate,
    dueDate: due ? dateOf(due, 'Fa/Platnosc/TerminPlatnosci/Termin') : null,
    currency,
    seller,
    buyer,
    lines,
    netTotal,
    corrects,
    advances,
    paid,
  };
}

function buyerOf(id: El, ns: string): PartyReading {
  const k = (name: string) => kid(id, ns, name);
  const name = optionalText(k('Nazwa'), 'Podmiot2/DaneIdentyfikacyjne/Nazwa', 512);
  const nipEl = k('NIP');
  if (nipEl) {
    const nip = requiredText(nipEl, id, 'Podmiot2/DaneIdentyfikacyjne/NIP', 10);
    if (!/^\d{10}$/.test(nip)) throw invalid(nipEl, 'Podmiot2/DaneIdentyfikacyjne/NIP', 'is not 10 digits');
    return { name, nip, vat: `PL${nip}`, endpoint: null, legalId: null, key: `PL${nip}` };
  }
  if (k('NrVatUE')) {
    const country = requiredText(k('KodUE'), id, 'Podmiot2/DaneIdentyfikacyjne/KodUE', 2);
    const vat = `${country}${requiredText(k('NrVatUE'), id, 'Podmiot2/DaneIdentyfikacyjne/NrVatUE', 30)}`.replace(/[\s.-]/g, '').toUpperCase();
    return { name, nip: null, vat, endpoint: null, legalId: null, key: vat };
  }
  if (k('NrID')) {
    const country = optionalText(k('KodKraju'), 'Podmiot2/DaneIdentyfikacyjne/KodKraju', 2);
    const nr = requiredText(k('NrID'), id, 'Podmiot2/DaneIdentyfikacyjne/NrID', 50);
    return { name, nip: null, vat: null, endpoint: null, legalId: { scheme: country, id: nr }, key: `${country ?? 'XX'}:${nr}` };
  }
  throw new DocumentRejection('ERP_PARTY_UNIDENTIFIED', 'The buyer (Podmiot2) has no NIP, EU VAT number or other identifier (BrakID): no partner can be found for it', { line: id.line, path: 'Podmiot2/DaneIdentyfikacyjne' });
}

function invoiceLines(fa: El, ns: string, digits: number): LineReading[] {
  return kids(fa, ns, 'FaWiersz').map((w, i) => {
    const path = `Fa/FaWiersz[${i + 1}]`;
    const k = (name: string) => kid(w, ns, name);
    const name = optionalText(k('P_7'), `${path}/P_7`, 512);
    const sellerItemId = optionalText(k('Indeks'), `${path}/Indeks`);
    const gtin = optionalText(k('GTIN'), `${path}/GTIN`, 20);
    let net: number;
    if (k('P_11')) net = amountOf(k('P_11')!, `${path}/P_11`, digits);
    else if (k('P_11A') && k('P_11Vat')) net = amountOf(k('P_11A')!, `${path}/P_11A`, digits) - amountOf(k('P_11Vat')!, `${path}/P_11Vat`, digits);
    else throw new DocumentRejection('ERP_REQUIRED_MISSING', `${path}/P_11 (or P_11A with P_11Vat) is required: the line's net value`, { line: w.line, path: `${path}/P_11`, params: { element: `${path}/P_11` } });
    const quantityEl = k('P_8B');
    const rateEl = k('KursWaluty');
    return {
      number: optionalText(k('NrWierszaFa'), `${path}/NrWierszaFa`, 20) ?? String(i + 1),
      line: w.line,
      ...skuOf(sellerItemId, gtin, name),
      sellerItemId,
      standardItemId: gtin ? { scheme: 'GTIN', id: gtin } : null,
      name,
      quantity: quantityEl ? quantityOf(quantityEl, `${path}/P_8B`) : null,
      netAmount: net,
      before: textOf(k('StanPrzed')) === '1',
      exchangeRate: rateEl ? (textOf(rateEl) ?? null) : null,
    };
  });
}

/** The order of an advance invoice (Zamowienie/ZamowienieWiersz): the whole order, not the advance. */
function orderLines(order: El | undefined, ns: string, digits: number, rateEl: El | undefined): LineReading[] {
  return kids(order, ns, 'ZamowienieWiersz').map((w, i) => {
    const path = `Fa/Zamowienie/ZamowienieWiersz[${i + 1}]`;
    const k = (name: string) => kid(w, ns, name);
    const name = optionalText(k('P_7Z'), `${path}/P_7Z`, 512);
    const sellerItemId = optionalText(k('IndeksZ'), `${path}/IndeksZ`);
    const gtin = optionalText(k('GTINZ'), `${path}/GTINZ`, 20);
    const quantityEl = k('P_8BZ');
    return {
      number: optionalText(k('NrWierszaZam'), `${path}/NrWierszaZam`, 20) ?? String(i + 1),
      line: w.line,
      ...skuOf(sellerItemId, gtin, name),
      sellerItemId,
      standardItemId: gtin ? { scheme: 'GTIN', id: gtin } : null,
      name,
      quantity: quantityEl ? quantityOf(quantityEl, `${path}/P_8BZ`) : null,
      netAmount: k('P_11NettoZ') ? amountOf(k('P_11NettoZ')!, `${path}/P_11NettoZ`, digits) : 0,
      before: textOf(k('StanPrzedZ')) === '1',
      exchangeRate: rateEl ? (textOf(rateEl) ?? null) : null,
    };
  });
}
