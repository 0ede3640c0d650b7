import { describe, expect, it } from 'vitest';
import { isStorableInstant } from './formats.ts';

describe('storable date-time', () => {
  it('takes RFC 3339 instants with an offset', () => {
    for (const ok of ['2025-07-01T10:00:00Z', '2025-07-01T10:00:00.123456+02:00', '2024-02-29T23:59:59-12:00', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z']) expect(isStorableInstant(ok), ok).toBe(true);
  });

  it('refuses what PostgreSQL or JavaScript would store differently or not at all', () => {
    for (const bad of ['2016-12-31T23:59:60Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59-12:00', '2025-02-30T10:00:00Z', '2025-02-29T10:00:00Z', '2025-07-01T10:00:00', '2025-07-01', '+275760-09-13T00:00:00Z', '2025-07-01T24:00:00Z']) {
      expect(isStorableInstant(bad), bad).toBe(false);
    }
  });
});
