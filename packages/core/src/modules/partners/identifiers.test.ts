import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  EU_VAT_COUNTRIES,
  formatNip,
  normalizeNip,
  validateEuVat,
  validateIdentifier,
  validateKrs,
  validateNip,
  validateRegon,
} from './identifiers.ts';

/** Minimal RFC 4180 reader: commas, double-quoted fields with "" escapes and embedded commas/newlines, LF or CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

interface FixtureRow {
  kind: string;
  value: string;
  expectedValid: boolean;
  entity: string;
}

function loadFixture(): FixtureRow[] {
  const text = readFileSync(new URL('./fixtures/pl_identifiers.csv', import.meta.url), 'utf8');
  const [header, ...rows] = parseCsv(text);
  expect(header).toEqual(['kind', 'value', 'expected_valid', 'entity', 'source']);
  return rows.map((cells) => {
    expect(cells).toHaveLength(5);
    const [kind = '', value = '', expected = '', entity = ''] = cells;
    expect(['true', 'false']).toContain(expected);
    return { kind, value, expectedValid: expected === 'true', entity };
  });
}

const fixture = loadFixture();

describe('parseCsv (test helper)', () => {
  it('handles quoted fields with commas, escaped quotes and CRLF', () => {
    expect(parseCsv('a,"b, c","say ""hi"""\r\n1,,"x\ny"\n')).toEqual([
      ['a', 'b, c', 'say "hi"'],
      ['1', '', 'x\ny'],
    ]);
  });
});

describe('fixture pl_identifiers.csv', () => {
  it('has NIP and REGON rows, valid and invalid', () => {
    const kinds = new Set(fixture.map((r) => r.kind));
    expect(kinds).toEqual(new Set(['NIP', 'REGON']));
    expect(fixture.some((r) => r.expectedValid)).toBe(true);
    expect(fixture.some((r) => !r.expectedValid)).toBe(true);
  });

  it.each(fixture.map((r) => [r.kind, r.value, r.expectedValid, r.entity] as const))(
    '%s %s validates to %s (%s)',
    (kind, value, expectedValid) => {
      const result = kind === 'NIP' ? validateNip(value) : validateRegon(value);
      expect(result.ok).toBe(expectedValid);
      if (result.ok) expect(result.value).toBe(value);
      // Every invalid fixture row is well formed: it must fail on the checksum, not on the format.
      else expect(result.reason).toBe('checksum');
    },
  );
});

describe('NIP', () => {
  it.each([
    ['5260250995'],
    ['526-025-09-95'],
    ['526-02-50-995'],
    [' 526 025 09 95 '],
    ['PL5260250995'],
    ['pl 526-025-09-95'],
    ['PL-5260250995'],
    ['526\t025\u00a009 95'],
  ])('normalizes %j', (input) => {
    expect(normalizeNip(input)).toBe('5260250995');
    expect(validateNip(input)).toEqual({ ok: true, value: '5260250995' });
  });

  it('strips only one leading PL prefix, nothing else', () => {
    expect(normalizeNip('DE5260250995')).toBe('DE5260250995');
    expect(normalizeNip('5260250995PL')).toBe('5260250995PL');
    expect(validateNip('PLPL5260250995')).toEqual({ ok: false, reason: 'format' });
  });

  it.each([
    ['', 'empty'],
    ['526025099', '9 digits'],
    ['52602509950', '11 digits'],
    ['526025099A', 'a letter'],
    ['526.025.09.95', 'dots'],
    ['DE5260250995', 'another prefix'],
    ['５２６０２５０９９５', 'full-width digits'],
  ])('rejects %j (%s) as format', (input) => {
    expect(validateNip(input)).toEqual({ ok: false, reason: 'format' });
  });

  it('distinguishes a checksum error from a format error', () => {
    expect(validateNip('5260250996')).toEqual({ ok: false, reason: 'checksum' });
    expect(validateNip('526025099')).toEqual({ ok: false, reason: 'format' });
  });

  it('rejects every number whose weighted sum mod 11 is 10, whatever its last digit', () => {
    // 1*6 + 2*5 + 3*7 + 4*2 + 5*3 + 6*4 + 7*5 + 8*6 + 9*7 = 230, and 230 mod 11 = 10.
    for (let last = 0; last <= 9; last += 1) {
      expect(validateNip(`123456789${last}`)).toEqual({ ok: false, reason: 'checksum' });
    }
  });

  it('accepts exactly one check digit for a prefix with a remainder below 10', () => {
    const accepted = [...'0123456789'].filter((d) => validateNip(`526025099${d}`).ok);
    expect(accepted).toEqual(['5']);
  });

  it('does not throw on non-string input from untyped callers', () => {
    expect(validateNip(undefined as unknown as string)).toEqual({ ok: false, reason: 'format' });
    expect(validateNip(5260250995 as unknown as string)).toEqual({ ok: false, reason: 'format' });
  });
});

describe('formatNip', () => {
  it.each([['5260250995'], ['PL5260250995'], ['526-02-50-995'], ['pl 526 025 09 95']])('formats %j', (input) => {
    expect(formatNip(input)).toBe('526-025-09-95');
  });

  it('returns input that is not 10 digits unchanged', () => {
    expect(formatNip('12345')).toBe('12345');
    expect(formatNip('not a nip')).toBe('not a nip');
  });
});

describe('REGON', () => {
  it('accepts 9 and 14 digits, ignoring spaces and dashes', () => {
    expect(validateRegon('012100784')).toEqual({ ok: true, value: '012100784' });
    expect(validateRegon('012-100-784')).toEqual({ ok: true, value: '012100784' });
    expect(validateRegon('12345678512347')).toEqual({ ok: true, value: '12345678512347' });
    expect(validateRegon('123456785 12347')).toEqual({ ok: true, value: '12345678512347' });
  });

  it('rejects a REGON-14 whose own check digit is right but whose first 9 digits are not a valid REGON-9', () => {
    // 123456786: the REGON-9 check digit would be 5. The 14-digit check digit, 2, is correct on its own.
    expect(validateRegon('123456786')).toEqual({ ok: false, reason: 'checksum' });
    expect(validateRegon('12345678612342')).toEqual({ ok: false, reason: 'checksum' });
  });

  it('rejects a REGON-14 with a valid first 9 digits but a wrong last digit', () => {
    expect(validateRegon('12345678512348')).toEqual({ ok: false, reason: 'checksum' });
  });

  it('uses (sum mod 11) mod 10, so a remainder of 10 means check digit 0', () => {
    // 1*8 + 0*9 + 1*2 = 10, and 10 mod 11 = 10, so the check digit is 10 mod 10 = 0.
    expect(validateRegon('101000000')).toEqual({ ok: true, value: '101000000' });
    expect(validateRegon('101000001')).toEqual({ ok: false, reason: 'checksum' });
  });

  it.each([[''], ['01210078'], ['0121007845'], ['0121007840000'], ['123456785123470'], ['01210078X'], ['REGON012100784']])(
    'rejects %j as format',
    (input) => {
      expect(validateRegon(input)).toEqual({ ok: false, reason: 'format' });
    },
  );
});

describe('KRS', () => {
  it('accepts 10 digits and keeps leading zeros', () => {
    expect(validateKrs('0000026438')).toEqual({ ok: true, value: '0000026438' });
    expect(validateKrs('0000 026 438')).toEqual({ ok: true, value: '0000026438' });
  });

  it.each([[''], ['26438'], ['000002643'], ['00000264380'], ['000002643X'], ['KRS0000026438']])('rejects %j as format', (input) => {
    expect(validateKrs(input)).toEqual({ ok: false, reason: 'format' });
  });
});

describe('EU VAT', () => {
  it('covers the 27 member states and Northern Ireland, with Greece as EL', () => {
    expect(EU_VAT_COUNTRIES).toHaveLength(28);
    expect(EU_VAT_COUNTRIES).toContain('EL');
    expect(EU_VAT_COUNTRIES).toContain('XI');
    expect(EU_VAT_COUNTRIES).not.toContain('GR');
    expect(EU_VAT_COUNTRIES).not.toContain('GB');
  });

  it.each([
    ['ATU13585627', 'AT'],
    ['BE0403170701', 'BE'],
    ['BE1234567890', 'BE'],
    ['BG123456789', 'BG'],
    ['BG1234567890', 'BG'],
    ['CY12345678L', 'CY'],
    ['CZ12345678', 'CZ'],
    ['CZ1234567890', 'CZ'],
    ['DE136695976', 'DE'],
    ['DK13585628', 'DK'],
    ['EE100931558', 'EE'],
    ['EL094259216', 'EL'],
    ['ESA12345678', 'ES'],
    ['ES12345678Z', 'ES'],
    ['ESX1234567L', 'ES'],
    ['FI20774740', 'FI'],
    ['FR40303265045', 'FR'],
    ['FRK7399859412', 'FR'],
    ['HR33392005961', 'HR'],
    ['HU12892312', 'HU'],
    ['IE6433435F', 'IE'],
    ['IE8D79739I', 'IE'],
    ['IE3333510LH', 'IE'],
    ['IT00743110157', 'IT'],
    ['LT119511515', 'LT'],
    ['LT100001919017', 'LT'],
    ['LU15027442', 'LU'],
    ['LV40003521600', 'LV'],
    ['MT11679112', 'MT'],
    ['NL004495445B01', 'NL'],
    ['PL5260250995', 'PL'],
    ['PT501964843', 'PT'],
    ['RO18547290', 'RO'],
    ['SE556188840401', 'SE'],
    ['SI50223054', 'SI'],
    ['SK2022749619', 'SK'],
    ['XI123456789', 'XI'],
    ['XI123456789012', 'XI'],
    ['XIGD123', 'XI'],
    ['XIHA123', 'XI'],
  ])('accepts %s (%s)', (input, country) => {
    expect(validateEuVat(input)).toEqual({ ok: true, value: input, country });
  });

  it('every supported country has an accepted example above', () => {
    const checked = new Set(['AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'EL', 'ES', 'FI', 'FR', 'HR', 'HU', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK', 'XI']);
    expect(new Set(EU_VAT_COUNTRIES)).toEqual(checked);
  });

  it('ignores spaces, dots and dashes and is case-insensitive', () => {
    expect(validateEuVat(' pl 526-025-09-95 ')).toEqual({ ok: true, value: 'PL5260250995', country: 'PL' });
    expect(validateEuVat('de 136.695.976')).toEqual({ ok: true, value: 'DE136695976', country: 'DE' });
    expect(validateEuVat('nl004495445b01')).toEqual({ ok: true, value: 'NL004495445B01', country: 'NL' });
    expect(validateEuVat('atu 1358 5627')).toEqual({ ok: true, value: 'ATU13585627', country: 'AT' });
    expect(validateEuVat('fr 40 303 265 045')).toEqual({ ok: true, value: 'FR40303265045', country: 'FR' });
  });

  it('checks the NIP checksum for PL', () => {
    expect(validateEuVat('PL5260250996')).toEqual({ ok: false, reason: 'checksum' });
    expect(validateEuVat('PL1234567890')).toEqual({ ok: false, reason: 'checksum' });
    expect(validateEuVat('PL526025099')).toEqual({ ok: false, reason: 'format' });
  });

  it('checks only the format for other countries', () => {
    expect(validateEuVat('DE123456789')).toEqual({ ok: true, value: 'DE123456789', country: 'DE' });
    expect(validateEuVat('EL123456789')).toEqual({ ok: true, value: 'EL123456789', country: 'EL' });
  });

  it.each([
    ['DE12345678', 'DE with 8 digits'],
    ['DE1234567890', 'DE with 10 digits'],
    ['DEU13585627', 'DE with a letter'],
    ['AT13585627', 'AT without U'],
    ['ATU1358562', 'AT with 7 digits'],
    ['FR4030326504', 'FR too short'],
    ['FR40A03265045', 'FR with a letter in the SIREN'],
    ['NL004495445', 'NL without B suffix'],
    ['NL004495445C01', 'NL with C'],
    ['NL004495445B1', 'NL with one suffix digit'],
    ['EL09425921', 'EL with 8 digits'],
    ['BE2403170701', 'BE starting with 2'],
    ['ES123456789', 'ES all digits'],
    ['CY123456789', 'CY without the final letter'],
    ['LT1234567890', 'LT with 10 digits'],
    ['RO1', 'RO with 1 digit'],
    ['XIAB123', 'XI with another letter pair'],
    ['PL', 'prefix only'],
  ])('rejects %s (%s) as format', (input) => {
    expect(validateEuVat(input)).toEqual({ ok: false, reason: 'format' });
  });

  it('rejects GR: Greece uses EL in VAT numbers', () => {
    expect(validateEuVat('GR094259216')).toEqual({ ok: false, reason: 'country' });
    expect(validateEuVat('gr 094 259 216')).toEqual({ ok: false, reason: 'country' });
  });

  it.each([
    ['US123456789', 'not in the EU'],
    ['GB123456789', 'Great Britain left the EU; only XI remains'],
    ['CHE123456789', 'Switzerland'],
    ['5260250995', 'no prefix'],
    ['', 'empty'],
    ['P', 'one letter'],
  ])('rejects %j (%s) as country', (input) => {
    expect(validateEuVat(input)).toEqual({ ok: false, reason: 'country' });
  });
});

describe('validateIdentifier', () => {
  it('dispatches on kind', () => {
    expect(validateIdentifier('nip', 'PL 526-025-09-95')).toEqual({ ok: true, value: '5260250995' });
    expect(validateIdentifier('nip', '5260250996')).toEqual({ ok: false, reason: 'checksum' });
    expect(validateIdentifier('regon', '012100784')).toEqual({ ok: true, value: '012100784' });
    expect(validateIdentifier('krs', '0000026438')).toEqual({ ok: true, value: '0000026438' });
    expect(validateIdentifier('euVat', 'PL5260250995')).toEqual({ ok: true, value: 'PL5260250995', country: 'PL' });
    expect(validateIdentifier('euVat', 'GR094259216')).toEqual({ ok: false, reason: 'country' });
  });

  it('narrows the result type by kind', () => {
    const result = validateIdentifier('euVat', 'NL004495445B01');
    const country: string | null = result.ok ? result.country : null;
    expect(country).toBe('NL');
  });

  it('throws on an unknown kind from untyped callers', () => {
    expect(() => validateIdentifier('iban' as 'nip', 'x')).toThrow(new TypeError('unknown identifier kind: iban'));
  });
});
