/*
 * Exchange rates: exact fractions (BigInt numerator/denominator, never floats), the importers of the National Bank of
 * Poland's table A (JSON and XML of its API) and the ECB daily reference rates (XML), and the conversion of an amount
 * in minor units, rounded half to even. Pure: no I/O.
 */

/** 1 unit of `currency` = numerator / denominator units of `quote`, on `date` (a calendar day, YYYY-MM-DD). */
export interface FxRate {
  currency: string;
  quote: string;
  date: string;
  numerator: bigint;
  denominator: bigint;
  source: string;
}

export type FxFormat = 'nbp-json' | 'nbp-xml' | 'ecb-xml';

/** Why a file could not be read: the caller names the field (`/body/content`) and says this. */
export class FxParseError extends Error {
  readonly detail: string;
  constructor(detail: string) {
    super(detail);
    this.detail = detail;
  }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

/** A fraction in lowest terms with a positive denominator. */
export function reduce(numerator: bigint, denominator: bigint): { numerator: bigint; denominator: bigint } {
  if (denominator === 0n) throw new FxParseError('a rate of zero');
  const g = gcd(numerator, denominator);
  const sign = denominator < 0n ? -1n : 1n;
  return { numerator: (sign * numerator) / g, denominator: (sign * denominator) / g };
}

/** A decimal as written ("4.7276", "4,7276", "395.10") → an exact positive fraction. */
export function decimalFraction(text: string): { numerator: bigint; denominator: bigint } {
  const s = text.trim().replace(',', '.');
  const m = /^(\d{1,12})(?:\.(\d{1,12}))?$/.exec(s);
  if (!m) throw new FxParseError(`"${text.slice(0, 40)}" is not a rate`);
  const frac = m[2] ?? '';
  const numerator = BigInt(m[1]! + frac);
  if (numerator === 0n) throw new FxParseError('a rate of zero');
  return reduce(numerator, 10n ** BigInt(frac.length));
}

const CODE = /^[A-Z]{3}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function checkDate(date: string): string {
  if (!DATE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) throw new FxParseError(`"${date.slice(0, 40)}" is not a date`);
  return date;
}

function checkCode(code: string): string {
  if (!CODE.test(code)) throw new FxParseError(`"${code.slice(0, 40)}" is not a currency code`);
  return code;
}

/** NBP table A as its API answers in JSON: `[{ table: 'A', no, effectiveDate, rates: [{ currency, code, mid }] }]` (mid: PLN per 1 unit). */
export function parseNbpJson(content: string): FxRate[] {
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch {
    throw new FxParseError('not JSON');
  }
  const tables = Array.isArray(data) ? data : [data];
  const out: FxRate[] = [];
  for (const t of tables as { table?: unknown; no?: unknown; effectiveDate?: unknown; rates?: unknown }[]) {
    if (!t || typeof t !== 'object' || t.table !== 'A' || typeof t.effectiveDate !== 'string' || !Array.isArray(t.rates)) throw new FxParseError('not an NBP table A (table, effectiveDate, rates)');
    const date = checkDate(t.effectiveDate);
    for (const r of t.rates as { code?: unknown; mid?: unknown }[]) {
      if (typeof r?.code !== 'string' || (typeof r.mid !== 'number' && typeof r.mid !== 'string')) throw new FxParseError('a rate without code or mid');
      // The number as JSON wrote it: a JSON number's shortest round-trip text is its decimal.
      out.push({ currency: checkCode(r.code), quote: 'PLN', date, ...decimalFraction(String(r.mid)), source: `NBP ${typeof t.no === 'string' ? t.no : 'A'}` });
    }
  }
  return out;
}

const tag = (xml: string, name: string): string[] => [...xml.matchAll(new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1]!.trim());

/**
 * NBP table A in XML: the API's `<ExchangeRatesTable>` (`EffectiveDate`, `No`, `Rates/Rate` with `Code` and `Mid`),
 * alone or in `<ArrayOfExchangeRatesTable>`, or the classic file `<tabela_kursow>` (`data_publikacji`, `pozycja` with
 * `przelicznik`, `kod_waluty`, `kurs_sredni` — the rate of `przelicznik` units).
 */
export function parseNbpXml(content: string): FxRate[] {
  const out: FxRate[] = [];
  const tables = tag(content, 'ExchangeRatesTable');
  for (const t of tables) {
    if ((tag(t, 'Table')[0] ?? 'A') !== 'A') throw new FxParseError('not table A');
    const date = checkDate(tag(t, 'EffectiveDate')[0] ?? '');
    const no = tag(t, 'No')[0];
    for (const r of tag(t, 'Rate')) {
      const code = tag(r, 'Code')[0];
      const mid = tag(r, 'Mid')[0];
      if (!code || !mid) throw new FxParseError('a rate without Code or Mid');
      out.push({ currency: checkCode(code), quote: 'PLN', date, ...decimalFraction(mid), source: `NBP ${no ?? 'A'}` });
    }
  }
  if (tables.length === 0) {
    const classic = tag(content, 'tabela_kursow');
    for (const t of classic) {
      const date = checkDate(tag(t, 'data_publikacji')[0] ?? '');
      const no = tag(t, 'numer_tabeli')[0];
      for (const r of tag(t, 'pozycja')) {
        const code = tag(r, 'kod_waluty')[0];
        const mid = tag(r, 'kurs_sredni')[0];
        const per = tag(r, 'przelicznik')[0] ?? '1';
        if (!code || !mid || !/^\d{1,6}$/.test(per) || per === '0') throw new FxParseError('a rate without kod_waluty, kurs_sredni or przelicznik');
        const f = decimalFraction(mid);
        out.push({ currency: checkCode(code), quote: 'PLN', date, ...reduce(f.numerator, f.denominator * BigInt(per)), source: `NBP ${no ?? 'A'}` });
      }
    }
    if (classic.length === 0) throw new FxParseError('not an NBP table A (ExchangeRatesTable or tabela_kursow)');
  }
  return out;
}

/**
 * The ECB's reference rates (`eurofxref-daily.xml`, or a history file with many days): `<Cube time=…>` days of
 * `<Cube currency=… rate=…/>`, each the units of a currency per 1 EUR. Stored against `quote`: for EUR quotes, each
 * currency's EUR value (1 / rate); for another quote Q on the file (say PLN), the cross rate rate(Q) / rate(X), and EUR
 * itself at rate(Q). A day without Q is skipped.
 */
export function parseEcbXml(content: string, quote: string): FxRate[] {
  checkCode(quote);
  if (!/<gesmes:Envelope|eurofxref/.test(content)) throw new FxParseError('not the ECB reference rates (gesmes:Envelope)');
  const out: FxRate[] = [];
  const days = [...content.matchAll(/<Cube\s+time\s*=\s*["'](\d{4}-\d{2}-\d{2})["']\s*>([\s\S]*?)<\/Cube>/g)];
  if (days.length === 0) throw new FxParseError('no <Cube time=…> day');
  for (const [, rawDate, body] of days) {
    const date = checkDate(rawDate!);
    const rates = new Map<string, { numerator: bigint; denominator: bigint }>();
    for (const m of body!.matchAll(/<Cube\s+currency\s*=\s*["']([^"']*)["']\s+rate\s*=\s*["']([^"']*)["']\s*\/>/g)) rates.set(checkCode(m[1]!), decimalFraction(m[2]!));
    if (rates.size === 0) throw new FxParseError(`no rates on ${date}`);
    rates.set('EUR', { numerator: 1n, denominator: 1n });
    const q = rates.get(quote);
    if (!q) continue;
    for (const [currency, r] of rates) {
      if (currency === quote) continue;
      // 1 X = (units of Q per EUR) / (units of X per EUR) Q
      out.push({ currency, quote, date, ...reduce(q.numerator * r.denominator, q.denominator * r.numerator), source: 'ECB' });
    }
  }
  if (out.length === 0) throw new FxParseError(`no day of the file has a rate for ${quote}`);
  return out;
}

export function parseRates(format: FxFormat, content: string, quote: string): FxRate[] {
  if (format === 'nbp-json') return parseNbpJson(content);
  if (format === 'nbp-xml') return parseNbpXml(content);
  return parseEcbXml(content, quote);
}

/** n / d rounded half to even (d > 0). */
export function divideHalfEven(n: bigint, d: bigint): bigint {
  const negative = n < 0n;
  const a = negative ? -n : n;
  let q = a / d;
  const r2 = (a % d) * 2n;
  if (r2 > d || (r2 === d && q % 2n === 1n)) q += 1n;
  return negative ? -q : q;
}

/**
 * An amount in minor units of one currency (scale `fromScale`) in minor units of another (scale `toScale`) at
 * numerator/denominator: amount × numerator × 10^toScale / (denominator × 10^fromScale), rounded half to even.
 */
export function convertMinor(amount: number, fromScale: number, toScale: number, rate: { numerator: bigint; denominator: bigint }): number {
  const n = BigInt(amount) * rate.numerator * 10n ** BigInt(toScale);
  const d = rate.denominator * 10n ** BigInt(fromScale);
  return Number(divideHalfEven(n, d));
}

/** A fraction as a person reads it: the decimal when it terminates within 12 places, else "n/d". */
export function rateText(rate: { numerator: bigint; denominator: bigint }): string {
  let d = rate.denominator;
  let places = 0;
  while (d % 10n === 0n) {
    d /= 10n;
    places += 1;
  }
  let twos = 0;
  let fives = 0;
  while (d % 2n === 0n) {
    d /= 2n;
    twos += 1;
  }
  while (d % 5n === 0n) {
    d /= 5n;
    fives += 1;
  }
  if (d !== 1n || places + Math.max(twos, fives) > 12) return `${rate.numerator}/${rate.denominator}`;
  const scale = places + Math.max(twos, fives);
  const scaled = (rate.numerator * 10n ** BigInt(scale)) / rate.denominator;
  const s = scaled.toString().padStart(scale + 1, '0');
  return scale === 0 ? s : `${s.slice(0, -scale)}.${s.slice(-scale)}`;
}
