/**
 * Formats as the database stores them. `date-time`: an RFC 3339 instant with an offset that PostgreSQL and
 * JavaScript both represent exactly — no leap second, a real calendar day, years 1–9999 in UTC. The platform's
 * validator uses it for every route; a plugin with its own ajv instance calls `storableFormats(ajv)`.
 */
const RFC3339 = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

export function isStorableInstant(value: string): boolean {
  if (!RFC3339.test(value)) return false;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return false;
  const year = new Date(ms).getUTCFullYear();
  // Date.parse rolls 31 February over to March: the day must survive the round trip.
  const [y, m, d] = value.slice(0, 10).split('-').map(Number);
  const day = new Date(Date.UTC(y!, m! - 1, d!));
  return year >= 1 && year <= 9999 && day.getUTCMonth() === m! - 1 && day.getUTCDate() === d!;
}

/** Register the storable formats on an ajv instance (after ajv-formats, which they override). */
export function storableFormats<T extends { addFormat(name: string, format: { type: 'string'; validate: (value: string) => boolean }): unknown }>(ajv: T): T {
  ajv.addFormat('date-time', { type: 'string', validate: isStorableInstant });
  return ajv;
}
