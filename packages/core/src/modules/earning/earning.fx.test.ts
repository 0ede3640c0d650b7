import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convertMinor, decimalFraction, divideHalfEven, parseEcbXml, parseNbpJson, parseNbpXml, rateText, FxParseError } from './earning.fx.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('earning fx', () => {
  it('reads decimals as exact fractions and rounds half to even', () => {
    expect(decimalFraction('4.7144')).toEqual({ numerator: 5893n, denominator: 1250n });
    expect(decimalFraction('395,10')).toEqual({ numerator: 3951n, denominator: 10n });
    expect(() => decimalFraction('1e3')).toThrow(FxParseError);
    expect(() => decimalFraction('0.000')).toThrow(FxParseError);
    expect([5n, 15n, 25n, -25n, 26n].map((n) => divideHalfEven(n, 10n))).toEqual([0n, 2n, 2n, -2n, 3n]);
    // 0.50 → 0, 1.50 → 2, 2.50 → 2 (PLN grosze to whole JPY at 1:1)
    expect([50, 150, 250, 251].map((a) => convertMinor(a, 2, 0, { numerator: 1n, denominator: 1n }))).toEqual([0, 2, 2, 3]);
    // 100.00 EUR at 4.7144 = 471.44 PLN; 10,000 JPY at 0.033684 = 336.84 PLN
    expect(convertMinor(10_000, 2, 2, decimalFraction('4.7144'))).toBe(47_144);
    expect(convertMinor(10_000, 0, 2, decimalFraction('0.033684'))).toBe(33_684);
    expect(rateText({ numerator: 5893n, denominator: 1250n })).toBe('4.7144');
    expect(rateText({ numerator: 8618n, denominator: 2141n })).toBe('8618/2141');
  });

  it('parses the NBP table A (JSON and XML) and the ECB daily XML of the fixtures', () => {
    const json = parseNbpJson(fixture('nbp_tableA_170-A-NBP-2022_2022-09-02.json'));
    expect(json).toHaveLength(34);
    expect(json.find((r) => r.currency === 'EUR')).toMatchObject({ quote: 'PLN', date: '2022-09-02', source: 'NBP 170/A/NBP/2022', numerator: 5893n, denominator: 1250n });
    const xml = parseNbpXml(fixture('nbp_tableA_170-A-NBP-2022_2022-09-02.xml'));
    for (const r of xml) expect(json.find((j) => j.currency === r.currency)).toEqual(r);
    const classic = parseNbpXml('<tabela_kursow typ="A"><numer_tabeli>1/A</numer_tabeli><data_publikacji>2022-09-02</data_publikacji><pozycja><przelicznik>100</przelicznik><kod_waluty>HUF</kod_waluty><kurs_sredni>1,1820</kurs_sredni></pozycja></tabela_kursow>');
    expect(classic[0]).toMatchObject({ currency: 'HUF', numerator: 591n, denominator: 50_000n }); // 1.182 / 100

    const ecb = fixture('ecb_eurofxref-daily_2024-06-28.xml');
    const inEur = parseEcbXml(ecb, 'EUR');
    expect(inEur.find((r) => r.currency === 'USD')).toMatchObject({ quote: 'EUR', date: '2024-06-28', numerator: 2000n, denominator: 2141n }); // 1 / 1.0705
    const inPln = parseEcbXml(ecb, 'PLN');
    expect(inPln.find((r) => r.currency === 'EUR')).toMatchObject({ numerator: 4309n, denominator: 1000n });
    expect(inPln.find((r) => r.currency === 'USD')).toMatchObject({ numerator: 8618n, denominator: 2141n }); // 4.3090 / 1.0705
    expect(inPln.some((r) => r.currency === 'PLN')).toBe(false);
    expect(() => parseEcbXml(ecb, 'XAU')).toThrow(/XAU/);
    expect(() => parseNbpJson('{"table":"B"}')).toThrow(FxParseError);
    expect(() => parseNbpXml('<html/>')).toThrow(FxParseError);
  });
});
