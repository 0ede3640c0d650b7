import { MINOR_UNITS } from './minor-units.ts';

/*
 * Exact decimal arithmetic for document amounts: a decimal string becomes an integer count of the currency's minor
 * units with no floating point on the way (BigInt), and shares are allocated by largest remainder so they add up.
 */

/** The largest amount an event carries (the inbox's limit, 10^12 minor units). */
export const MAX_MINOR = 1_000_000_000_000;
const DECIMAL = /^([+-])?(\d{1,20})(?:\.(\d{1,20}))?$/;

export function minorUnitsOf(currency: string): number | undefined {
  return Object.hasOwn(MINOR_UNITS, currency) ? MINOR_UNITS[currency] : undefined;
}

export type DecimalProblem = 'format' | 'precision' | 'range';

/**
 * `"-1463.41"` in PLN → -146341. Whitespace around is ignored (XML Schema decimals collapse it); more non-zero
 * fraction digits than the currency has are a problem, never rounded.
 */
export function toMinor(text: string, digits: number): { ok: true; value: number } | { ok: false; problem: DecimalProblem } {
  const m = DECIMAL.exec(text.trim());
  if (!m) return { ok: false, problem: 'format' };
  const [, sign, whole, fraction = ''] = m;
  const extra = fraction.slice(digits);
  if (/[1-9]/.test(extra)) return { ok: false, problem: 'precision' };
  const scaled = BigInt(whole!) * 10n ** BigInt(digits) + BigInt(fraction.slice(0, digits).padEnd(digits, '0') || '0');
  if (scaled > BigInt(MAX_MINOR)) return { ok: false, problem: 'range' };
  const value = Number(scaled);
  return { ok: true, value: sign === '-' && value !== 0 ? -value : value };
}

/** A decimal quantity as an exact string and a number (quantities are not money; the inbox takes a number). */
export function parseQuantity(text: string): { ok: true; value: number; text: string } | { ok: false } {
  const m = DECIMAL.exec(text.trim());
  if (!m) return { ok: false };
  const value = Number(text.trim());
  if (!Number.isFinite(value) || Math.abs(value) > 1_000_000_000) return { ok: false };
  return { ok: true, value: value === 0 ? 0 : value, text: text.trim() };
}

/**
 * Split `total` (integer, may be negative) over `weights` (non-negative integers) in proportion, exactly: each share
 * is floored, and the units left over go to the largest remainders (ties: the earlier line). The shares add up to
 * `total`. With all weights 0 the total goes to the first line.
 */
export function allocate(total: number, weights: number[]): number[] {
  if (weights.length === 0) return [];
  const sign = total < 0 ? -1n : 1n;
  const t = BigInt(Math.abs(total));
  const w = weights.map((x) => BigInt(Math.max(0, x)));
  const sum = w.reduce((a, b) => a + b, 0n);
  if (sum === 0n) return weights.map((_, i) => (i === 0 ? total : 0));
  const shares = w.map((x) => (t * x) / sum);
  let left = t - shares.reduce((a, b) => a + b, 0n);
  const order = w.map((x, i) => ({ i, r: (t * x) % sum })).sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of order) {
    if (left === 0n) break;
    shares[i] = shares[i]! + 1n;
    left -= 1n;
  }
  return shares.map((s) => Number(s * sign) + 0);
}

/** Minor units back to a decimal string, for readings shown to people (`-146341`, 2 → `-1463.41`). */
export function formatMinor(value: number, digits: number): string {
  const negative = value < 0;
  const s = String(Math.abs(value)).padStart(digits + 1, '0');
  const text = digits === 0 ? s : `${s.slice(0, -digits)}.${s.slice(-digits)}`;
  return negative ? `-${text}` : text;
}

/** A Polish NIP's checksum: weights 6,5,7,2,3,4,5,6,7, the sum mod 11 is the tenth digit (10 is never valid). */
export function isValidNip(nip: string): boolean {
  if (!/^\d{10}$/.test(nip)) return false;
  const weights = [6, 5, 7, 2, 3, 4, 5, 6, 7];
  const sum = weights.reduce((s, w, i) => s + w * Number(nip[i]), 0) % 11;
  return sum !== 10 && sum === Number(nip[9]);
}
