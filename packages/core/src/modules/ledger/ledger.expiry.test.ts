import { describe, expect, it } from 'vitest';
import { lotExpiry, startOfLocalDay } from './ledger.expiry.ts';

describe('lot expiry', () => {
  it('never expires under the never policy', () => {
    expect(lotExpiry({ kind: 'never' }, new Date('2026-03-10T10:00:00Z'), 'Europe/Warsaw')).toBeNull();
  });

  it('lives through the same local day 24 months later, ending at local midnight', () => {
    // 10 March 2026, 10:00 in Warsaw (CET) → usable through 10 March 2028, expires at 11 March 2028 00:00 CET.
    expect(lotExpiry({ kind: 'months-after-earning', months: 24 }, new Date('2026-03-10T09:00:00Z'), 'Europe/Warsaw')!.toISOString()).toBe('2028-03-10T23:00:00.000Z');
  });

  it('takes the local date, not the UTC date, of the earning', () => {
    // 23:30 UTC on 31 May is already 1 June in Warsaw (CEST).
    expect(lotExpiry({ kind: 'months-after-earning', months: 1 }, new Date('2026-05-31T23:30:00Z'), 'Europe/Warsaw')!.toISOString()).toBe('2026-07-01T22:00:00.000Z');
  });

  it('clamps to the end of a shorter month', () => {
    expect(lotExpiry({ kind: 'months-after-earning', months: 1 }, new Date('2027-01-31T12:00:00Z'), 'UTC')!.toISOString()).toBe('2027-03-01T00:00:00.000Z');
    expect(lotExpiry({ kind: 'months-after-earning', months: 1 }, new Date('2028-01-31T12:00:00Z'), 'UTC')!.toISOString()).toBe('2028-03-01T00:00:00.000Z');
  });

  it('ends with the quarter after the earning quarter', () => {
    // Earned 10 February (Q1) → through 30 June → expires 1 July 00:00 CEST.
    expect(lotExpiry({ kind: 'end-of-quarter-after', quarters: 1 }, new Date('2026-02-10T12:00:00Z'), 'Europe/Warsaw')!.toISOString()).toBe('2026-06-30T22:00:00.000Z');
    // Earned 15 November (Q4) with two quarters → through 30 June of the next year.
    expect(lotExpiry({ kind: 'end-of-quarter-after', quarters: 2 }, new Date('2026-11-15T12:00:00Z'), 'Europe/Warsaw')!.toISOString()).toBe('2027-06-30T22:00:00.000Z');
    // Zero quarters: the end of the earning quarter itself (31 December → 1 January 00:00 CET).
    expect(lotExpiry({ kind: 'end-of-quarter-after', quarters: 0 }, new Date('2026-11-15T12:00:00Z'), 'Europe/Warsaw')!.toISOString()).toBe('2026-12-31T23:00:00.000Z');
  });

  it('finds local midnight on the days daylight saving changes', () => {
    expect(startOfLocalDay({ year: 2026, month: 3, day: 29 }, 'Europe/Warsaw').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(startOfLocalDay({ year: 2026, month: 3, day: 30 }, 'Europe/Warsaw').toISOString()).toBe('2026-03-29T22:00:00.000Z');
    expect(startOfLocalDay({ year: 2026, month: 10, day: 25 }, 'Europe/Warsaw').toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(startOfLocalDay({ year: 2026, month: 10, day: 26 }, 'Europe/Warsaw').toISOString()).toBe('2026-10-25T23:00:00.000Z');
    expect(startOfLocalDay({ year: 2026, month: 4, day: 1 }, 'America/Sao_Paulo').toISOString()).toBe('2026-04-01T03:00:00.000Z');
  });
});
