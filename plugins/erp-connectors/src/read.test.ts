import { describe, expect, it } from 'vitest';
import { eventProblem } from './fuzz.ts';
import { allocate, isValidNip, toMinor } from './money.ts';
import { DocumentRejection, readDocument } from './read.ts';
import { derived, fa3, fixture, realDocuments } from './test-documents.ts';

const read = (xml: string) => readDocument(xml, { source: 'erp-test' });

function rejection(xml: string): DocumentRejection {
  try {
    read(xml);
  } catch (error) {
    expect(error).toBeInstanceOf(DocumentRejection);
    return error as DocumentRejection;
  }
  throw new Error('the document was accepted');
}

const SELLER_GB = 'GB1232434';
const BUYER_SE = 'SE4598375937';
const KSEF = 'PL9999999999:PL1111111111';

describe('Peppol BIS 3.0 (UBL 2.1), the published examples', () => {
  it('base-example: an invoice whose two lines of one GTIN (2,800.00 and -1,500.00 EUR) earn once, on 1,300.00', () => {
    const r = read(fixture('ubl/peppol-bis3__examples_base-example.xml'));
    expect(r.reading).toMatchObject({
      format: 'peppol-bis3',
      kind: 'invoice',
      typeCode: '380',
      number: 'Snippet1',
      issueDate: '2017-11-13',
      dueDate: '2017-12-01',
      currency: 'EUR',
      netTotal: 132500,
      corrects: null,
      paid: null,
      seller: { vat: SELLER_GB, endpoint: { scheme: '0088', id: '9482348239847239874' }, legalId: { scheme: null, id: 'GB983294' }, nip: null, name: 'SupplierOfficialName Ltd' },
      buyer: { vat: BUYER_SE, endpoint: { scheme: '0002', id: 'FR23342' }, legalId: { scheme: '0183', id: '39937423947' } },
    });
    expect(r.reading.lines.map((l) => [l.number, l.sku, l.skuFrom, l.standardItemId, l.quantity, l.netAmount])).toEqual([
      ['1', '21382183120983', 'standard', { scheme: '0088', id: '21382183120983' }, '7', 280000],
      ['2', '21382183120983', 'standard', { scheme: '0088', id: '21382183120983' }, '-3', -150000],
    ]);
    expect(r.documentKey).toBe(`inv:${SELLER_GB}:${BUYER_SE}:Snippet1`);
    expect(r.events).toEqual([
      {
        type: 'invoice.issued',
        source: 'erp-test',
        externalId: `inv:${SELLER_GB}:${BUYER_SE}:Snippet1`,
        occurredAt: '2017-11-13T00:00:00.000Z',
        partner: { euVat: BUYER_SE },
        number: 'Snippet1',
        seller: 'GB1232434',
        currency: 'EUR',
        lines: [{ sku: '21382183120983', gtin: '21382183120983', quantity: 4, netAmount: 130000 }],
      },
    ]);
  });

  it('base-creditnote-correction: a credit note of 1,300.00 EUR against invoice Snippet1, credited back', () => {
    const r = read(fixture('ubl/peppol-bis3__examples_base-creditnote-correction.xml'));
    expect(r.reading).toMatchObject({ kind: 'credit-note', typeCode: '381', number: 'Snippet1', corrects: { number: 'Snippet1', issueDate: null } });
    expect(r.documentKey).toBe(`cn:${SELLER_GB}:${BUYER_SE}:Snippet1`);
    expect(r.events).toEqual([
      {
        type: 'invoice.corrected',
        source: 'erp-test',
        externalId: `cn:${SELLER_GB}:${BUYER_SE}:Snippet1`,
        occurredAt: '2017-11-13T00:00:00.000Z',
        originalExternalId: `inv:${SELLER_GB}:${BUYER_SE}:Snippet1`,
        number: 'Snippet1',
        kind: 'credit-note',
        lines: [{ sku: '21382183120983', gtin: '21382183120983', quantity: 4, netAmount: 130000 }],
      },
    ]);
  });

  it('vat-category-O: SEK, the seller item id RT3000, a buyer known only by its endpoint', () => {
    const r = read(fixture('ubl/peppol-bis3__examples_vat-category-O.xml'));
    expect(r.reading).toMatchObject({ currency: 'SEK', number: 'Vat-O', seller: { vat: null, key: '0088:7300010000001' }, buyer: { vat: null, endpoint: { scheme: '0192', id: '987654325' } } });
    expect(r.reading.lines[0]).toMatchObject({ sku: 'RT3000', skuFrom: 'seller', sellerItemId: 'RT3000', quantity: '1', netAmount: 320000 });
    expect(r.events).toEqual([
      {
        type: 'invoice.issued',
        source: 'erp-test',
        externalId: 'inv:0088:7300010000001:0192:987654325:Vat-O',
        occurredAt: '2018-08-30T00:00:00.000Z',
        partner: { partnerCode: '0192:987654325' },
        number: 'Vat-O',
        seller: '0088:7300010000001',
        currency: 'SEK',
        lines: [{ sku: 'RT3000', sellerCode: 'RT3000', quantity: 1, netAmount: 320000 }],
      },
    ]);
  });

  it('an invoice with a negative total is a correction of the invoice it references', () => {
    const xml = fixture('ubl/peppol-bis3__examples_vat-category-O.xml')
      .replaceAll('>3200.00<', '>-3200.00<')
      .replace('<cbc:InvoicedQuantity unitCode="EA">1<', '<cbc:InvoicedQuantity unitCode="EA">-1<')
      .replace('<cac:AccountingSupplierParty>', '<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>Vat-1</cbc:ID></cac:InvoiceDocumentReference></cac:BillingReference><cac:AccountingSupplierParty>');
    const r = read(xml);
    expect(r.reading.kind).toBe('correction');
    expect(r.events).toEqual([
      expect.objectContaining({ type: 'invoice.corrected', externalId: 'cor:0088:7300010000001:0192:987654325:Vat-O', originalExternalId: 'inv:0088:7300010000001:0192:987654325:Vat-1', kind: 'credit-note', lines: [{ sku: 'RT3000', sellerCode: 'RT3000', quantity: 1, netAmount: 320000 }] }),
    ]);
    const unreferenced = rejection(xml.replace(/<cac:BillingReference>.*<\/cac:BillingReference>/, ''));
    expect(unreferenced.code).toBe('ERP_CORRECTION_REFERENCE_MISSING');
  });

  it('required BIS elements are checked one by one, with the line', () => {
    const xml = fixture('ubl/peppol-bis3__examples_vat-category-O.xml');
    const noEndpoint = rejection(xml.replace('<cbc:EndpointID schemeID="0192">987654325</cbc:EndpointID>', ''));
    expect(noEndpoint).toMatchObject({ code: 'ERP_REQUIRED_MISSING', path: 'AccountingCustomerParty/Party/EndpointID', line: 33 });
    const badSum = rejection(xml.replace('<cbc:LineExtensionAmount currencyID="SEK">3200.00</cbc:LineExtensionAmount>', '<cbc:LineExtensionAmount currencyID="SEK">3100.00</cbc:LineExtensionAmount>'));
    expect(badSum).toMatchObject({ code: 'ERP_VALUE_INVALID', path: 'LegalMonetaryTotal/LineExtensionAmount', line: 77 });
    const precision = rejection(xml.replace('<cbc:LineExtensionAmount currencyID="SEK">3200.00</cbc:LineExtensionAmount>\n        <cac:Item>', '').replace(/(<cac:InvoiceLine>[\s\S]*?<cbc:LineExtensionAmount currencyID="SEK">)3200.00/, '$13200.005'));
    expect(precision).toMatchObject({ code: 'ERP_VALUE_INVALID', path: 'InvoiceLine[1]/LineExtensionAmount', line: 85 });
    expect(rejection(xml.replace('<cbc:DocumentCurrencyCode>SEK<', '<cbc:DocumentCurrencyCode>XAU<'))).toMatchObject({ code: 'ERP_CURRENCY_UNKNOWN', line: 11 });
    expect(rejection(xml.replace('<cbc:IssueDate>2018-08-30<', '<cbc:IssueDate>2018-02-30<'))).toMatchObject({ code: 'ERP_VALUE_INVALID', path: 'IssueDate', line: 9 });
  });
});

describe('KSeF FA(3), the published examples', () => {
  it('FA_3_Przyklad_1: a paid VAT invoice in PLN; lines without a code are named by P_7', () => {
    const r = read(fixture('ksef/FA_3_Przyklad_1.xml'));
    expect(r.reading).toMatchObject({ format: 'ksef-fa3', kind: 'invoice', typeCode: 'VAT', number: 'FV2026/02/150', issueDate: '2026-02-15', currency: 'PLN', netTotal: 166761, paid: { date: '2026-01-27' } });
    expect(r.reading.seller).toMatchObject({ nip: '9999999999', name: 'ABC AGD sp. z o. o.' });
    expect(r.reading.buyer).toMatchObject({ nip: '1111111111', name: 'F.H.U. Jan Kowalski' });
    expect(r.events).toEqual([
      {
        type: 'invoice.issued',
        source: 'erp-test',
        externalId: `inv:${KSEF}:FV2026/02/150`,
        occurredAt: '2026-02-15T00:00:00.000Z',
        partner: { nip: '1111111111' },
        number: 'FV2026/02/150',
        seller: 'PL9999999999',
        currency: 'PLN',
        lines: [
          { sku: 'lodówka Zimnotech mk1', quantity: 1, netAmount: 162601 },
          { sku: 'wniesienie sprzętu', quantity: 1, netAmount: 4065 },
          { sku: 'promocja lodówka pełna mleka', quantity: 1, netAmount: 95 },
        ],
      },
      { type: 'invoice.paid', source: 'erp-test', externalId: `paid:${KSEF}:FV2026/02/150`, occurredAt: '2026-01-27T00:00:00.000Z', invoiceExternalId: `inv:${KSEF}:FV2026/02/150` },
    ]);
  });

  it('FA_3_Przyklad_2: a KOR lowering the fridge from 1,626.01 to 1,463.41 credits back the 162.60 difference', () => {
    const r = read(fixture('ksef/FA_3_Przyklad_2.xml'));
    expect(r.reading).toMatchObject({ kind: 'correction', typeCode: 'KOR', number: 'FK2026/03/200', corrects: { number: 'FV2026/02/150', issueDate: '2026-02-15' }, netTotal: -16260 });
    expect(r.reading.lines.map((l) => [l.before, l.netAmount])).toEqual([
      [true, 162601],
      [false, 146341],
    ]);
    expect(r.events).toEqual([
      {
        type: 'invoice.corrected',
        source: 'erp-test',
        externalId: `cor:${KSEF}:FK2026/03/200`,
        occurredAt: '2026-03-15T00:00:00.000Z',
        originalExternalId: `inv:${KSEF}:FV2026/02/150`,
        number: 'FK2026/03/200',
        kind: 'credit-note',
        lines: [{ sku: 'lodówka Zimnotech mk1', netAmount: 16260 }],
      },
    ]);
  });

  it('FA_3_Przyklad_21: EUR with a rate per line, kept in the reading; the events stay in EUR; not paid', () => {
    const r = read(fixture('ksef/FA_3_Przyklad_21.xml'));
    expect(r.reading.lines.map((l) => [l.quantity, l.netAmount, l.exchangeRate])).toEqual([
      ['10', 406000, '4.4080'],
      ['20', 500000, '4.5005'],
      ['15', 450000, '4.3250'],
    ]);
    expect(r.reading).toMatchObject({ currency: 'EUR', paid: null, dueDate: '2026-03-15', netTotal: 1356000 });
    expect(r.events).toEqual([
      {
        type: 'invoice.issued',
        source: 'erp-test',
        externalId: `inv:${KSEF}:FV2026/02/150`,
        occurredAt: '2026-02-15T00:00:00.000Z',
        partner: { nip: '1111111111' },
        number: 'FV2026/02/150',
        seller: 'PL9999999999',
        currency: 'EUR',
        lines: [
          { sku: 'lodówka Zimnotech mk1', quantity: 10, netAmount: 406000 },
          { sku: 'zamrażarka Zimnotech mk2', quantity: 20, netAmount: 500000 },
          { sku: 'zmywarka Bryza 100', quantity: 15, netAmount: 450000 },
        ],
      },
    ]);
    // The same seller, buyer and number as FA_3_Przyklad_1: the same document key, so a duplicate in one source.
    expect(r.documentKey).toBe(read(fixture('ksef/FA_3_Przyklad_1.xml')).documentKey);
  });

  it('ksef-fop Przyklad_5: two lines of Indeks 55 make one SKU line of 777.00', () => {
    const r = read(fixture('ksef/ksef-fop__fa3_podstawowa_FA_3_Przyklad_5_Indeks.xml'));
    expect(r.reading.lines.map((l) => [l.sku, l.skuFrom, l.netAmount])).toEqual([
      ['55', 'seller', 22200],
      ['55', 'seller', 55500],
    ]);
    expect(r.events).toEqual([
      {
        type: 'invoice.issued',
        source: 'erp-test',
        externalId: 'inv:PL5451824119:PL1111111111:5t4343trgfds',
        occurredAt: '2026-02-11T00:00:00.000Z',
        partner: { nip: '1111111111' },
        number: '5t4343trgfds',
        seller: 'PL5451824119',
        currency: 'PLN',
        lines: [{ sku: '55', sellerCode: '55', quantity: 2, netAmount: 77700 }],
      },
    ]);
  });

  it('rejections carry the reason and the line: not well-formed, not valid against the XSD, DOCTYPE, unknown root', () => {
    const xml = fixture('ksef/FA_3_Przyklad_2.xml');
    expect(rejection(xml.replace('</P_2>', '</P_3>'))).toMatchObject({ code: 'ERP_XML_MALFORMED', line: 47 });
    const invalid = rejection(xml.replace('<P_2>FK2026/03/200</P_2>', '<P_2x>FK2026/03/200</P_2x>'));
    expect(invalid).toMatchObject({ code: 'ERP_SCHEMA_INVALID', line: 47 });
    expect(invalid.reason).toContain('P_2x');
    expect(rejection(xml.replace('<P_13_1>-162.60</P_13_1>', '<P_13_1>-162.605</P_13_1>'))).toMatchObject({ code: 'ERP_SCHEMA_INVALID', line: 49 });
    expect(rejection(xml.replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE Faktura [<!ENTITY a "b">]>'))).toMatchObject({ code: 'ERP_XML_DOCTYPE', line: 2 });
    expect(rejection('<?xml version="1.0"?>\n<Order xmlns="urn:x"/>')).toMatchObject({ code: 'ERP_FORMAT_UNKNOWN', line: 2 });
    expect(rejection('   ')).toMatchObject({ code: 'ERP_DOCUMENT_EMPTY' });
    expect(rejection(xml.replace(/<Podmiot2>[\s\S]*<\/DaneIdentyfikacyjne>/, '<Podmiot2><DaneIdentyfikacyjne><BrakID>1</BrakID><Nazwa>Jan</Nazwa></DaneIdentyfikacyjne>'))).toMatchObject({ code: 'ERP_PARTY_UNIDENTIFIED' });
  });
});

describe('KSeF: corrections, advances and settlements (derived from FA_3_Przyklad_1)', () => {
  it('every derived FA(3) document is valid against the FA(3) schema', () => {
    for (const make of [derived.advance, derived.settlement, derived.advanceCorrection, derived.raisingCorrection, derived.neutralCorrection]) expect(() => read(make())).not.toThrow();
  });

  it('ZAL earns on the advance (1,000.00) spread over the order; ROZ on what is left (3,000.00): together the order, once', () => {
    const advance = read(derived.advance());
    expect(advance.reading).toMatchObject({ kind: 'advance', netTotal: 100000 });
    expect(advance.events).toEqual([
      {
        type: 'invoice.issued',
        source: 'erp-test',
        externalId: `inv:${KSEF}:FZ/2026/1`,
        occurredAt: '2026-02-01T00:00:00.000Z',
        partner: { nip: '1111111111' },
        number: 'FZ/2026/1',
        seller: 'PL9999999999',
        currency: 'PLN',
        lines: [
          { sku: 'LOD-1', sellerCode: 'LOD-1', quantity: 0.5, netAmount: 75000 },
          { sku: 'ZMY-1', sellerCode: 'ZMY-1', quantity: 0.25, netAmount: 25000 },
        ],
      },
    ]);
    const settlement = read(derived.settlement());
    expect(settlement.reading).toMatchObject({ kind: 'settlement', advances: ['FZ/2026/1'], netTotal: 300000, paid: { date: '2026-03-10' } });
    expect(settlement.events).toEqual([
      {
        type: 'invoice.issued',
        source: 'erp-test',
        externalId: `inv:${KSEF}:FR/2026/1`,
        occurredAt: '2026-03-01T00:00:00.000Z',
        partner: { nip: '1111111111' },
        number: 'FR/2026/1',
        seller: 'PL9999999999',
        currency: 'PLN',
        lines: [
          { sku: 'LOD-1', sellerCode: 'LOD-1', quantity: 1.5, netAmount: 225000 },
          { sku: 'ZMY-1', sellerCode: 'ZMY-1', quantity: 0.75, netAmount: 75000 },
        ],
      },
      { type: 'invoice.paid', source: 'erp-test', externalId: `paid:${KSEF}:FR/2026/1`, occurredAt: '2026-03-10T00:00:00.000Z', invoiceExternalId: `inv:${KSEF}:FR/2026/1` },
    ]);
    const earned = (sku: string) => [advance, settlement].flatMap((d) => d.events).flatMap((e) => (e.type === 'invoice.issued' ? e.lines : [])).filter((l) => l.sku === sku).reduce((s, l) => s + l.netAmount, 0);
    expect([earned('LOD-1'), earned('ZMY-1')]).toEqual([300000, 100000]);
  });

  it('a settlement whose total is more than its lines is refused; one fully paid by advances earns nothing', () => {
    expect(rejection(derived.settlement().replace('<P_13_1>3000.00</P_13_1>', '<P_13_1>4000.01</P_13_1>'))).toMatchObject({ code: 'ERP_VALUE_INVALID' });
    const settled = read(derived.settlement().replace('<P_13_1>3000.00</P_13_1><P_14_1>690.00</P_14_1><P_15>3690.00</P_15>', '<P_13_1>0</P_13_1><P_14_1>0</P_14_1><P_15>0</P_15>'));
    expect(settled.events).toEqual([]);
    expect(settled.notes).toContain('The advances paid the whole order: the settlement earns nothing more');
  });

  it('KOR_ZAL lowering the advance by 200.00 credits it back over the order the same way', () => {
    const r = read(derived.advanceCorrection());
    expect(r.events).toEqual([
      {
        type: 'invoice.corrected',
        source: 'erp-test',
        externalId: `cor:${KSEF}:FZK/2026/1`,
        occurredAt: '2026-02-10T00:00:00.000Z',
        originalExternalId: `inv:${KSEF}:FZ/2026/1`,
        number: 'FZK/2026/1',
        kind: 'credit-note',
        lines: [
          { sku: 'LOD-1', sellerCode: 'LOD-1', quantity: 0.1, netAmount: 15000 },
          { sku: 'ZMY-1', sellerCode: 'ZMY-1', quantity: 0.05, netAmount: 5000 },
        ],
      },
    ]);
    expect(rejection(derived.advanceCorrection().replace('<P_13_1>-200.00</P_13_1><P_14_1>-46.00</P_14_1><P_15>-246.00</P_15>', '<P_13_1>200.00</P_13_1><P_14_1>46.00</P_14_1><P_15>246.00</P_15>'))).toMatchObject({ code: 'ERP_UNSUPPORTED' });
  });

  it('a KOR raising a line posts its value after; a KOR changing no amount posts nothing', () => {
    expect(read(derived.raisingCorrection()).events).toEqual([
      {
        type: 'invoice.corrected',
        source: 'erp-test',
        externalId: `cor:${KSEF}:FK/2026/2`,
        occurredAt: '2026-03-20T00:00:00.000Z',
        originalExternalId: `inv:${KSEF}:FV2026/02/150`,
        number: 'FK/2026/2',
        kind: 'correction',
        lines: [{ sku: 'lodówka Zimnotech mk1', quantity: 1, netAmount: 170000 }],
      },
    ]);
    const neutral = read(derived.neutralCorrection());
    expect(neutral.events).toEqual([]);
    expect(neutral.notes).toEqual(['The correction changes no amount: nothing is reversed']);
  });

  it('FA(2) reads like FA(3), its required elements checked one by one', () => {
    const r = read(derived.fa2());
    expect(r.reading.format).toBe('ksef-fa2');
    expect(r.events).toEqual(read(fixture('ksef/FA_3_Przyklad_1.xml')).events);
    expect(rejection(derived.fa2().replace('<P_2>FV2026/02/150</P_2>', ''))).toMatchObject({ code: 'ERP_REQUIRED_MISSING', path: 'Fa/P_2', line: 43 });
    // Found by the fuzz test (seed 16): an element where a value belongs.
    expect(rejection(derived.fa2().replace('<RodzajFaktury>VAT</RodzajFaktury>', '<RodzajFaktury><x/></RodzajFaktury>'))).toMatchObject({ code: 'ERP_REQUIRED_MISSING', path: 'Fa/RodzajFaktury' });
  });

  it('the program chosen by the caller goes on every event', () => {
    const programId = '0190c1a4-0000-7000-8000-000000000001';
    expect(readDocument(fixture('ksef/FA_3_Przyklad_1.xml'), { source: 's', programId }).events.every((e) => e.programId === programId)).toBe(true);
  });
  it('a paid-in-parts invoice (ZnacznikZaplatyCzesciowej 2) is paid on the day of the last part', () => {
    const xml = fa3(
      `<KodWaluty>PLN</KodWaluty><P_1>2026-02-15</P_1><P_2>FV/9</P_2><P_13_1>100</P_13_1><P_14_1>23</P_14_1><P_15>123</P_15>{ADNOTACJE}<RodzajFaktury>VAT</RodzajFaktury>` +
        `<FaWiersz><NrWierszaFa>1</NrWierszaFa><P_7>x</P_7><Indeks>X-1</Indeks><P_8B>1</P_8B><P_11>100</P_11><P_12>23</P_12></FaWiersz>` +
        `<Platnosc><ZnacznikZaplatyCzesciowej>2</ZnacznikZaplatyCzesciowej><ZaplataCzesciowa><KwotaZaplatyCzesciowej>100</KwotaZaplatyCzesciowej><DataZaplatyCzesciowej>2026-03-02</DataZaplatyCzesciowej></ZaplataCzesciowa><ZaplataCzesciowa><KwotaZaplatyCzesciowej>23</KwotaZaplatyCzesciowej><DataZaplatyCzesciowej>2026-03-09</DataZaplatyCzesciowej></ZaplataCzesciowa></Platnosc>`,
    );
    expect(read(xml).events.at(-1)).toMatchObject({ type: 'invoice.paid', occurredAt: '2026-03-09T00:00:00.000Z' });
  });
});

describe('exact money', () => {
  it('decimal strings become minor units without floating point; extra digits are refused, never rounded', () => {
    expect(toMinor('1463.41', 2)).toEqual({ ok: true, value: 146341 });
    expect(toMinor('-0.1', 2)).toEqual({ ok: true, value: -10 });
    expect(toMinor(' 13560 ', 2)).toEqual({ ok: true, value: 1356000 });
    expect(toMinor('0.30', 0)).toEqual({ ok: false, problem: 'precision' });
    expect(toMinor('100.000', 0)).toEqual({ ok: true, value: 100 });
    expect(toMinor('1.005', 3)).toEqual({ ok: true, value: 1005 });
    expect(toMinor('1e3', 2)).toEqual({ ok: false, problem: 'format' });
    expect(toMinor('10000000000.01', 2)).toEqual({ ok: false, problem: 'range' });
  });
  it('allocation adds up exactly and follows the weights', () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocate(-100, [1, 1, 1])).toEqual([-34, -33, -33]);
    expect(allocate(7, [0, 0])).toEqual([7, 0]);
    expect(allocate(100000, [300000, 100000])).toEqual([75000, 25000]);
  });
  it('NIP checksums as in pl_identifiers.csv', () => {
    const rows = fixture('pl_identifiers.csv').trim().split('\n').slice(1).map((l) => l.split(','));
    const nips = rows.filter((r) => r[0] === 'NIP');
    expect(nips.length).toBeGreaterThan(3);
    for (const [, value, expected] of nips) expect([value, isValidNip(value!)]).toEqual([value, expected === 'true']);
  });
});

describe('every real document', () => {
  it.each(realDocuments().map((d) => [d.path, d.xml]))('%s reads into complete events', (_path, xml) => {
    const r = read(xml);
    expect(r.events.length).toBeGreaterThan(0);
    for (const e of r.events) {
      expect(eventProblem(e)).toBeNull();
      expect(e.source).toBe('erp-test');
      expect(e.externalId.length).toBeLessThanOrEqual(200);
      if (e.type !== 'invoice.paid') for (const l of e.lines) expect(Number.isSafeInteger(l.netAmount) && l.netAmount >= 0).toBe(true);
    }
  });
});
