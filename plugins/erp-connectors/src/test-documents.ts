import { readFileSync, readdirSync } from 'node:fs';

/*
 * The documents the tests use: the real ones in test/fixtures (see test/fixtures/SOURCES.md), and documents derived
 * from FA_3_Przyklad_1.xml for the cases no published sample shows (advance, settlement, their corrections, a
 * correction raising an amount or changing none, FA(2)). Derived FA(3) documents are valid against the FA(3) XSD.
 */

const FIXTURES = new URL('../test/fixtures/', import.meta.url);

export function fixture(path: string): string {
  return readFileSync(new URL(path, FIXTURES), 'utf8');
}

/** Every real document: its path under test/fixtures and its text. */
export function realDocuments(): { path: string; xml: string }[] {
  return ['ubl', 'ksef'].flatMap((dir) =>
    readdirSync(new URL(`${dir}/`, FIXTURES))
      .filter((f) => f.endsWith('.xml'))
      .sort()
      .map((f) => ({ path: `${dir}/${f}`, xml: fixture(`${dir}/${f}`) })),
  );
}

const BASE = 'ksef/FA_3_Przyklad_1.xml';

/** FA_3_Przyklad_1 with its <Fa> replaced: the same seller (NIP 9999999999) and buyer (NIP 1111111111). */
export function fa3(fa: string): string {
  const xml = fixture(BASE);
  const adnotacje = xml.slice(xml.indexOf('<Adnotacje>'), xml.indexOf('</Adnotacje>') + '</Adnotacje>'.length);
  return xml.slice(0, xml.indexOf('<Fa>')) + `<Fa>\n${fa.replace('{ADNOTACJE}', adnotacje)}\n\t</Fa>` + xml.slice(xml.indexOf('</Fa>') + '</Fa>'.length);
}

const row = (n: number, indeks: string, qty: string, net: string, extra = '') =>
  `<FaWiersz><NrWierszaFa>${n}</NrWierszaFa><P_7>towar ${indeks}</P_7><Indeks>${indeks}</Indeks><P_8A>szt.</P_8A><P_8B>${qty}</P_8B><P_11>${net}</P_11><P_12>23</P_12>${extra}</FaWiersz>`;
const orderRow = (n: number, indeks: string, qty: string, net: string, extra = '') =>
  `<ZamowienieWiersz><NrWierszaZam>${n}</NrWierszaZam><P_7Z>towar ${indeks}</P_7Z><IndeksZ>${indeks}</IndeksZ><P_8AZ>szt.</P_8AZ><P_8BZ>${qty}</P_8BZ><P_11NettoZ>${net}</P_11NettoZ><P_12Z>23</P_12Z>${extra}</ZamowienieWiersz>`;
const order = `<Zamowienie><WartoscZamowienia>4920.00</WartoscZamowienia>${orderRow(1, 'LOD-1', '2', '3000.00')}${orderRow(2, 'ZMY-1', '1', '1000.00')}</Zamowienie>`;

export const derived = {
  /** ZAL FZ/2026/1: an advance of 1,000.00 net on an order of 4,000.00 net (LOD-1 3,000.00, ZMY-1 1,000.00). */
  advance: () =>
    fa3(`<KodWaluty>PLN</KodWaluty><P_1>2026-02-01</P_1><P_2>FZ/2026/1</P_2><P_13_1>1000.00</P_13_1><P_14_1>230.00</P_14_1><P_15>1230.00</P_15>{ADNOTACJE}<RodzajFaktury>ZAL</RodzajFaktury>${order}`),
  /** ROZ FR/2026/1: settles FZ/2026/1; its lines show the whole order, its totals the 3,000.00 left. Paid 2026-03-10. */
  settlement: () =>
    fa3(
      `<KodWaluty>PLN</KodWaluty><P_1>2026-03-01</P_1><P_2>FR/2026/1</P_2><P_13_1>3000.00</P_13_1><P_14_1>690.00</P_14_1><P_15>3690.00</P_15>{ADNOTACJE}<RodzajFaktury>ROZ</RodzajFaktury>` +
        `<FakturaZaliczkowa><NrKSeFZN>1</NrKSeFZN><NrFaZaliczkowej>FZ/2026/1</NrFaZaliczkowej></FakturaZaliczkowa>${row(1, 'LOD-1', '2', '3000.00')}${row(2, 'ZMY-1', '1', '1000.00')}` +
        `<Platnosc><Zaplacono>1</Zaplacono><DataZaplaty>2026-03-10</DataZaplaty></Platnosc>`,
    ),
  /** KOR_ZAL FZK/2026/1: lowers the advance FZ/2026/1 by 200.00 net. */
  advanceCorrection: () =>
    fa3(
      `<KodWaluty>PLN</KodWaluty><P_1>2026-02-10</P_1><P_2>FZK/2026/1</P_2><P_13_1>-200.00</P_13_1><P_14_1>-46.00</P_14_1><P_15>-246.00</P_15>{ADNOTACJE}<RodzajFaktury>KOR_ZAL</RodzajFaktury>` +
        `<PrzyczynaKorekty>zwrot części zaliczki</PrzyczynaKorekty><TypKorekty>2</TypKorekty><DaneFaKorygowanej><DataWystFaKorygowanej>2026-02-01</DataWystFaKorygowanej><NrFaKorygowanej>FZ/2026/1</NrFaKorygowanej><NrKSeFN>1</NrKSeFN></DaneFaKorygowanej>${order}`,
    ),
  /** KOR FK/2026/2 of FV2026/02/150: the fridge's line goes from 1,626.01 to 1,700.00 (before and after rows). */
  raisingCorrection: () =>
    fa3(
      `<KodWaluty>PLN</KodWaluty><P_1>2026-03-20</P_1><P_2>FK/2026/2</P_2><P_13_1>73.99</P_13_1><P_14_1>17.02</P_14_1><P_15>91.01</P_15>{ADNOTACJE}<RodzajFaktury>KOR</RodzajFaktury>` +
        `<PrzyczynaKorekty>błąd w cenie</PrzyczynaKorekty><TypKorekty>2</TypKorekty><DaneFaKorygowanej><DataWystFaKorygowanej>2026-02-15</DataWystFaKorygowanej><NrFaKorygowanej>FV2026/02/150</NrFaKorygowanej><NrKSeFN>1</NrKSeFN></DaneFaKorygowanej>` +
        `<FaWiersz><NrWierszaFa>1</NrWierszaFa><P_7>lodówka Zimnotech mk1</P_7><P_8A>szt.</P_8A><P_8B>1</P_8B><P_11>1626.01</P_11><P_12>23</P_12><StanPrzed>1</StanPrzed></FaWiersz>` +
        `<FaWiersz><NrWierszaFa>2</NrWierszaFa><P_7>lodówka Zimnotech mk1</P_7><P_8A>szt.</P_8A><P_8B>1</P_8B><P_11>1700.00</P_11><P_12>23</P_12></FaWiersz>`,
    ),
  /** KOR FK/2026/3 of FV2026/02/150 that changes the buyer's address only: rows before and after are equal. */
  neutralCorrection: () =>
    fa3(
      `<KodWaluty>PLN</KodWaluty><P_1>2026-03-21</P_1><P_2>FK/2026/3</P_2><P_13_1>0</P_13_1><P_14_1>0</P_14_1><P_15>0</P_15>{ADNOTACJE}<RodzajFaktury>KOR</RodzajFaktury>` +
        `<PrzyczynaKorekty>zmiana adresu nabywcy</PrzyczynaKorekty><TypKorekty>1</TypKorekty><DaneFaKorygowanej><DataWystFaKorygowanej>2026-02-15</DataWystFaKorygowanej><NrFaKorygowanej>FV2026/02/150</NrFaKorygowanej><NrKSeFN>1</NrKSeFN></DaneFaKorygowanej>` +
        `<FaWiersz><NrWierszaFa>1</NrWierszaFa><P_7>lodówka Zimnotech mk1</P_7><P_8A>szt.</P_8A><P_8B>1</P_8B><P_11>1626.01</P_11><P_12>23</P_12><StanPrzed>1</StanPrzed></FaWiersz>` +
        `<FaWiersz><NrWierszaFa>2</NrWierszaFa><P_7>lodówka Zimnotech mk1</P_7><P_8A>szt.</P_8A><P_8B>1</P_8B><P_11>1626.01</P_11><P_12>23</P_12></FaWiersz>`,
    ),
  /** FA_3_Przyklad_1 written as FA(2): the FA(2) namespace and form code (its schema is not shipped). */
  fa2: () =>
    fixture(BASE)
      .replace('http://crd.gov.pl/wzor/2025/06/25/13775/', 'http://crd.gov.pl/wzor/2023/06/29/12648/')
      .replace('kodSystemowy="FA (3)"', 'kodSystemowy="FA (2)"')
      .replace('<WariantFormularza>3</WariantFormularza>', '<WariantFormularza>2</WariantFormularza>'),
};
