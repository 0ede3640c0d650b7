/**
 * Validators for the company identifiers a partner record carries. Pure functions: no I/O, no dependencies, no
 * registry look-ups (a number that passes here may still be unassigned or deregistered).
 *
 * - NIP (Polish tax identification number, Polish Ministry of Finance rule): 10 digits; the first nine digits are
 *   multiplied by the weights 6,5,7,2,3,4,5,6,7, and the sum mod 11 must equal the 10th digit. A remainder of 10 is
 *   never valid (such numbers are not issued). Input may carry spaces, dashes and a `PL` prefix.
 * - REGON (GUS statistical number, GUS REGON rules): 9 digits with weights 8,9,2,3,4,5,6,7, or 14 digits (a local
 *   unit) with weights 2,4,8,5,0,9,7,3,6,1,2,4,8; in both the check digit is (sum mod 11) mod 10. A 14-digit REGON
 *   starts with its parent's 9-digit REGON, so those first 9 digits must be a valid REGON-9 too.
 * - KRS (National Court Register number): exactly 10 digits, leading zeros kept; there is no check digit.
 * - EU VAT number: a country prefix (the 27 member states as VIES spells them, so Greece is `EL`, never `GR`, plus `XI`
 *   for Northern Ireland) followed by that state's national format, as published by the European Commission for VIES.
 *   Spaces, dots and dashes are ignored, letters are case-insensitive. Only `PL` numbers get a checksum check (the NIP
 *   rule above); every other state is checked for format only.
 */

export type IdentifierInvalidReason = 'format' | 'checksum';

export type IdentifierResult<Reason extends string = IdentifierInvalidReason> =
  | { ok: true; value: string }
  | { ok: false; reason: Reason };

export type NipResult = IdentifierResult<'format' | 'checksum'>;
export type RegonResult = IdentifierResult<'format' | 'checksum'>;
export type KrsResult = IdentifierResult<'format'>;

/** VAT prefixes accepted by {@link validateEuVat}, in alphabetical order. */
export const EU_VAT_COUNTRIES = [
  'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'EL', 'ES', 'FI', 'FR', 'HR', 'HU',
  'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK', 'XI',
] as const;

export type EuVatCountry = (typeof EU_VAT_COUNTRIES)[number];

export type EuVatResult =
  | { ok: true; value: string; country: EuVatCountry }
  | { ok: false; reason: 'country' | 'format' | 'checksum' };

export const IDENTIFIER_KINDS = ['nip', 'regon', 'krs', 'euVat'] as const;

export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];

export interface IdentifierResultByKind {
  nip: NipResult;
  regon: RegonResult;
  krs: KrsResult;
  euVat: EuVatResult;
}

const NIP_WEIGHTS = [6, 5, 7, 2, 3, 4, 5, 6, 7] as const;
const REGON9_WEIGHTS = [8, 9, 2, 3, 4, 5, 6, 7] as const;
const REGON14_WEIGHTS = [2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8] as const;

/**
 * National part of each VAT number (after the two-letter prefix), per the European Commission's VIES structures.
 * Letters are already upper-cased and spaces, dots and dashes removed when these run.
 */
const EU_VAT_FORMATS: Record<EuVatCountry, RegExp> = {
  AT: /^U\d{8}$/, // U + 8 digits
  BE: /^[01]\d{9}$/, // 10 digits, starting 0 or 1
  BG: /^\d{9,10}$/,
  CY: /^\d{8}[A-Z]$/,
  CZ: /^\d{8,10}$/,
  DE: /^\d{9}$/,
  DK: /^\d{8}$/,
  EE: /^\d{9}$/,
  EL: /^\d{9}$/, // Greece
  ES: /^(?:[A-Z]\d{7}[A-Z0-9]|\d{8}[A-Z])$/, // first and/or last character a letter, never both digits
  FI: /^\d{8}$/,
  FR: /^[A-Z0-9]{2}\d{9}$/, // 2-character key + 9-digit SIREN
  HR: /^\d{11}$/,
  HU: /^\d{8}$/,
  IE: /^(?:\d{7}[A-Z]{1,2}|\d[A-Z+*]\d{5}[A-Z])$/, // 7 digits + 1 or 2 letters, or the older 9S99999L form
  IT: /^\d{11}$/,
  LT: /^(?:\d{9}|\d{12})$/,
  LU: /^\d{8}$/,
  LV: /^\d{11}$/,
  MT: /^\d{8}$/,
  NL: /^\d{9}B\d{2}$/,
  PL: /^\d{10}$/, // NIP; checksum checked separately
  PT: /^\d{9}$/,
  RO: /^\d{2,10}$/,
  SE: /^\d{12}$/,
  SI: /^\d{8}$/,
  SK: /^\d{10}$/,
  XI: /^(?:\d{9}|\d{12}|GD\d{3}|HA\d{3})$/, // Northern Ireland: UK VAT formats
};

/** Weighted digit sum of the first `weights.length` digits of an all-digit string. */
function weightedSum(digits: string, weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i += 1) sum += Number(digits[i]) * (weights[i] ?? 0);
  return sum;
}

function isDigits(value: string, length: number): boolean {
  return value.length === length && /^\d+$/.test(value);
}

/** Removes whitespace and dashes; anything that is not a string becomes ''. */
function stripSeparators(input: unknown): string {
  return typeof input === 'string' ? input.replace(/[\s-]+/g, '') : '';
}

/** NIP check: 10 digits (not verified here) whose weighted sum mod 11 equals the last digit; 10 never matches. */
function nipChecksumOk(digits: string): boolean {
  return weightedSum(digits, NIP_WEIGHTS) % 11 === Number(digits[9]);
}

function regonChecksumOk(digits: string, weights: readonly number[]): boolean {
  return (weightedSum(digits, weights) % 11) % 10 === Number(digits[weights.length]);
}

/** Strips spaces, dashes and an optional (case-insensitive) `PL` prefix: `PL 526-025-09-95` → `5260250995`. */
export function normalizeNip(input: string): string {
  return stripSeparators(input).replace(/^PL/i, '');
}

export function validateNip(input: string): NipResult {
  const value = normalizeNip(input);
  if (!isDigits(value, 10)) return { ok: false, reason: 'format' };
  if (!nipChecksumOk(value)) return { ok: false, reason: 'checksum' };
  return { ok: true, value };
}

/** 9-digit REGON, or 14-digit REGON whose first 9 digits are a valid REGON-9. Spaces and dashes are ignored. */
export function validateRegon(input: string): RegonResult {
  const value = stripSeparators(input);
  if (isDigits(value, 9)) {
    return regonChecksumOk(value, REGON9_WEIGHTS) ? { ok: true, value } : { ok: false, reason: 'checksum' };
  }
  if (isDigits(value, 14)) {
    const valid = regonChecksumOk(value, REGON9_WEIGHTS) && regonChecksumOk(value, REGON14_WEIGHTS);
    return valid ? { ok: true, value } : { ok: false, reason: 'checksum' };
  }
  return { ok: false, reason: 'format' };
}

/** KRS: exactly 10 digits, leading zeros kept (`0000026438`). Spaces and dashes are ignored. */
export function validateKrs(input: string): KrsResult {
  const value = stripSeparators(input);
  return isDigits(value, 10) ? { ok: true, value } : { ok: false, reason: 'format' };
}

function isEuVatCountry(code: string): code is EuVatCountry {
  return Object.hasOwn(EU_VAT_FORMATS, code);
}

/**
 * EU VAT number with its country prefix (`PL5260250995`, `de 123.456.789`). The value returned is upper-case with
 * separators removed. A missing or unknown prefix (including `GR`: Greece is `EL`) gives reason `country`.
 */
export function validateEuVat(input: string): EuVatResult {
  const value = (typeof input === 'string' ? input : '').replace(/[\s.-]+/g, '').toUpperCase();
  const country = value.slice(0, 2);
  if (!isEuVatCountry(country)) return { ok: false, reason: 'country' };
  const national = value.slice(2);
  if (!EU_VAT_FORMATS[country].test(national)) return { ok: false, reason: 'format' };
  if (country === 'PL' && !nipChecksumOk(national)) return { ok: false, reason: 'checksum' };
  return { ok: true, value, country };
}

/**
 * Display form of a NIP, `526-025-09-95`. Accepts anything {@link normalizeNip} accepts; input that does not
 * normalize to 10 digits is returned unchanged. Does not check the checksum.
 */
export function formatNip(value: string): string {
  const digits = normalizeNip(value);
  if (!isDigits(digits, 10)) return value;
  return `${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6, 8)}-${digits.slice(8, 10)}`;
}

/** Validates `input` as an identifier of the given kind. */
export function validateIdentifier<K extends IdentifierKind>(kind: K, input: string): IdentifierResultByKind[K];
export function validateIdentifier(kind: IdentifierKind, input: string): IdentifierResultByKind[IdentifierKind] {
  switch (kind) {
    case 'nip':
      return validateNip(input);
    case 'regon':
      return validateRegon(input);
    case 'krs':
      return validateKrs(input);
    case 'euVat':
      return validateEuVat(input);
    default: {
      const unknown: never = kind;
      throw new TypeError(`unknown identifier kind: ${String(unknown)}`);
    }
  }
}
