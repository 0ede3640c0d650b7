/**
 * Hostile input at the event inbox: generated malformed and hostile bodies (wrong types, missing fields, numbers
 * beyond 2^53 and beyond int64, negative and fractional quantities and amounts, unknown currencies, RTL text, emoji,
 * NUL, deep nesting, very long strings, oversized batches, wrong event types, bad dates, prototype-pollution keys)
 * sent to `POST /api/v1/earning/events` and `/events/batch`. Every body is built to be refused: a valid event of some
 * type with at least one mutation that makes it invalid (by the schema, or by the business: a currency without rates,
 * a payment of an unknown invoice). Every answer must be a 4xx problem naming the field (a batch item's problem names
 * a field under its own `/body/events/<index>`), never a 5xx, and the ledger must not move (checked after every body).
 * 10,000 requests in all (about 25,000 event bodies, the batches counted item by item); `EARNING_FUZZ_SCALE` multiplies
 * the runs, `EARNING_FUZZ_SEED` replays a seed.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';
import { CUSTOM_TYPE, EVENT_TYPES } from './earning.schemas.ts';

type Json = Record<string, unknown>;
type Response = Awaited<ReturnType<TestApp['app']['inject']>>;

const SCALE = Number(process.env.EARNING_FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const SEED = process.env.EARNING_FUZZ_SEED === undefined ? undefined : Number(process.env.EARNING_FUZZ_SEED);
// No shrinking: the database is not reset between runs, so the first failure is the one to read.
const fcOptions = (numRuns: number) => ({ numRuns: runs(numRuns), ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true });

const NIP = '5260250995';
const KNOWN_TYPES = new Set<string>(EVENT_TYPES);
const customType = new RegExp(CUSTOM_TYPE);

// ---------------------------------------------------------------------------------------------------------------
// Hostile values

/** Text that is hard on parsers, collations and logs: RTL and bidi controls, emoji, combining marks, NUL. */
const hostileChars = fc.constantFrom(
  '\u0000', '\ud800', '\udc00x', '\u202e', '\u200f', '\u2066', 'ש', 'مرحبا', '🙂', '👨‍👩‍👧‍👦', '🇵🇱', 'e\u0301', 'ﷺ', '\uFEFF', '\u2028', '\t', '"', '\\', "'", '<', '%s', '${x}', 'Ω', 'ß', 'İ',
);
const hostileText = fc.array(fc.oneof(hostileChars, fc.string({ unit: 'grapheme', maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 4 })), { minLength: 1, maxLength: 12 }).map((parts) => parts.join(''));
/** Unicode text that is at least one character long (for fields that only bound their length). */
const nonEmptyHostileText = hostileText.filter((s) => s.length > 0);

/** Numbers no amount, quantity or margin of the schemas accepts: beyond 2^53, beyond int64, negative, fractional. */
const hugeNumber = fc.constantFrom(
  2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 63 - 1 /* int64 max, as a double */, 2 ** 64, 1e21, 1e100, 1.7976931348623157e308, 1_000_000_000_001, 1_000_000_000_000.5,
);
const negativeNumber = fc.oneof(fc.constantFrom(-1, -0.5, -(2 ** 53), -(2 ** 63), -1.7976931348623157e308, -1_000_000_000_001), fc.integer({ min: -1_000_000_000, max: -1 }));
const fractional = fc.double({ min: 0.000001, max: 1_000_000, noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x));

/** Values of the wrong JSON type for a field of the given type. */
const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }), hugeNumber);
const notNumber = fc.oneof(fc.string({ maxLength: 20 }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.constant({}), fc.constantFrom('1e3', '12', '0x10', 'NaN', 'Infinity', '9223372036854775808'));
const notObject = fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }));
const notArray = fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(null), fc.constant({}), fc.constant({ 0: { sku: 'A', quantity: 1, netAmount: 1 } }));

/** A nested value deeper than the eight levels the inbox accepts (objects and arrays, up to 300 levels). */
const deep = fc.tuple(fc.integer({ min: 9, max: 300 }), fc.boolean()).map(([depth, arrays]) => {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i += 1) v = arrays && i % 2 ? [v] : { n: v };
  return v;
});

/** Strings longer than any maxLength of the schemas (up to ~100k characters, under the 1 MiB body limit). */
const longString = fc.tuple(fc.integer({ min: 1, max: 500 }), fc.constantFrom('a', 'ß', '🙂', '\u202e', 'x\u0000')).map(([k, unit]) => unit.repeat(201 + k * Math.ceil(200 / unit.length)));

/* A leap second, the year 0000 and a local time past the year 9999 in UTC are refused by the platform's date-time format. */
const badDate = fc.oneof(
  fc.constantFrom(
    '2025-13-01T10:00:00Z', '2025-02-30T10:00:00Z', '2025-00-10T10:00:00Z', '2025-07-01T25:00:00Z', '2025-07-01T10:61:00Z', '2025-07-01', '2025-07-01 10:00:00', '10:00:00Z',
    '2025-07-01T10:00:00', 'yesterday', '', 'NaN', 'Invalid Date', '+275760-09-13T00:00:00Z', '-000001-01-01T00:00:00Z', '2025-07-01T10:00:00+25:00', '٢٠٢٥-٠٧-٠١T10:00:00Z',
    '2025-07-01T10:00:00Z\u0000', '2025‐07‐01T10:00:00Z', '2016-12-31T23:59:60Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59-12:00',
  ),
  fc.string({ maxLength: 30 }).filter((s) => !/^\d{4}-\d{2}-\d{2}T/.test(s)),
);

/** Event types the inbox does not know: neither canonical nor `custom.<name>`. */
const badType = fc
  .oneof(
    fc.constantFrom('invoice.issue', 'INVOICE.ISSUED', 'invoice.issued ', ' invoice.issued', 'invoice_issued', 'custom.', 'custom.UPPER', 'custom..x', 'custom.-x', 'custom', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'invoice.issued\u0000', 'invoice.issued\u202e'),
    fc.string({ maxLength: 40 }),
    hostileText,
    fc.constant('custom.' + 'a'.repeat(65)),
  )
  .filter((s) => !KNOWN_TYPES.has(s) && !customType.test(s));

const badCurrencyFormat = fc.oneof(fc.constantFrom('pln', 'PL', 'PLNN', 'P1N', '', 'ZŁ', '€', '🙂🙂🙂', 'PLN\u0000', 'PL\u202eN'), fc.string({ maxLength: 6 }).filter((s) => !/^[A-Z]{3}$/.test(s)));
/** Well-formed ISO-looking codes the program has no rates for (the program currency is PLN). */
const unknownCurrency = fc.stringMatching(/^[A-Z]{3}$/).filter((c) => c !== 'PLN');

// ---------------------------------------------------------------------------------------------------------------
// Valid events (templates) and the mutations that make them invalid

let counter = 0;
const uniqueId = (prefix: string) => `${prefix.slice(0, 150)}-${process.pid}-${(counter += 1)}`;

function template(type: string, programId: string, decoration: string): Json {
  const base: Json = { type, source: 'erp-fuzz', externalId: uniqueId(`F${decoration}`), occurredAt: '2025-07-01T10:00:00Z', programId };
  switch (type) {
    case 'invoice.issued':
      return { ...base, partner: { nip: NIP }, number: `FV/${decoration}`, currency: 'PLN', lines: [{ sku: `SKU-${decoration}`, quantity: 2, netAmount: 10_000, category: `cat${decoration}` }, { sku: 'SKU-B', quantity: 1, netAmount: 5_000 }] };
    case 'invoice.paid':
      return { ...base, invoiceExternalId: `INV-${decoration}` };
    case 'invoice.corrected':
      return { ...base, originalExternalId: `INV-${decoration}`, number: `KOR/${decoration}`, kind: 'credit-note', lines: [{ sku: 'SKU-A', quantity: 1, netAmount: 1_000 }] };
    case 'order.returned':
      return { ...base, invoiceExternalId: `INV-${decoration}`, lines: [{ sku: 'SKU-A', quantity: 1, netAmount: 1_000 }] };
    case 'deal.won':
      return { ...base, partner: { nip: NIP }, dealId: `D-${decoration}`, amount: 100_000, currency: 'PLN' };
    case 'lead.registered':
    case 'lead.accepted':
      return { ...base, partner: { nip: NIP }, leadId: `L-${decoration}` };
    case 'training.completed':
      return { ...base, partner: { nip: NIP }, courseId: `C-${decoration}`, repEmail: 'rep@example.com' };
    case 'certification.earned':
      return { ...base, partner: { nip: NIP }, certificationId: `X-${decoration}` };
    default:
      return { ...base, partner: { nip: NIP }, amount: 500, data: { note: decoration, nested: { a: [1, 2, { b: decoration }] } } };
  }
}

const eventType = fc.constantFrom(...EVENT_TYPES, 'custom.fuzz', 'custom.plugin.x-1');
const REQUIRED: Record<string, string[]> = {
  'invoice.issued': ['type', 'source', 'externalId', 'occurredAt', 'partner', 'number', 'currency', 'lines'],
  'invoice.paid': ['type', 'source', 'externalId', 'occurredAt', 'invoiceExternalId'],
  'invoice.corrected': ['type', 'source', 'externalId', 'occurredAt', 'originalExternalId', 'number', 'lines'],
  'order.returned': ['type', 'source', 'externalId', 'occurredAt', 'invoiceExternalId', 'lines'],
};
const requiredOf = (type: string) => REQUIRED[type] ?? ['type', 'source', 'externalId', 'occurredAt', 'partner'];
const STRING_FIELDS = ['source', 'externalId', 'occurredAt', 'programId', 'number', 'currency', 'invoiceExternalId', 'originalExternalId', 'dealId', 'leadId', 'courseId', 'certificationId', 'repEmail', 'kind'];
const LINE_TYPES = new Set(['invoice.issued', 'invoice.corrected', 'order.returned']);
const PARTNER_TYPES = new Set(['invoice.issued', 'deal.won', 'lead.registered', 'lead.accepted', 'training.completed', 'certification.earned', 'custom.fuzz', 'custom.plugin.x-1']);

/** A mutation: given a template, the invalid event (or undefined when it does not apply to that type). */
type Mutation = { kind: string; apply: (e: Json) => unknown };
const pick = <T,>(xs: T[], n: number): T => xs[n % xs.length]!;

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // a required field left out
  fc.nat().map((n) => ({ kind: 'missing', apply: (e: Json) => { const { [pick(requiredOf(String(e.type)), n)]: _gone, ...rest } = e; return rest; } })),
  // a string field of the wrong type
  fc.tuple(fc.nat(), notString).map(([n, v]) => ({ kind: 'wrong-type', apply: (e: Json) => { const keys = STRING_FIELDS.filter((k) => k in e); return { ...e, [pick(keys, n)]: v }; } })),
  // the partner, the lines or the data of the wrong type
  notObject.map((v) => ({ kind: 'partner-not-object', apply: (e: Json) => (PARTNER_TYPES.has(String(e.type)) ? { ...e, partner: v } : { ...e, partner: { nip: NIP } }) })),
  notArray.map((v) => ({ kind: 'lines-not-array', apply: (e: Json) => (LINE_TYPES.has(String(e.type)) ? { ...e, lines: v } : { ...e, lines: [] }) })),
  // the partner named by nothing, by unknown keys, by a malformed id, or by a number too long
  fc.oneof(
    fc.constant({}),
    fc.dictionary(fc.oneof(fc.string({ minLength: 1, maxLength: 10 }), hostileText), fc.string({ maxLength: 5 }), { minKeys: 1, maxKeys: 3 }).filter((d) => Object.keys(d).some((k) => !['partnerId', 'partnerCode', 'nip', 'regon', 'euVat'].includes(k))),
    hostileText.map((s) => ({ partnerId: s })),
    longString.map((s) => ({ nip: s })),
    fc.constant({ nip: '' }),
  ).map((p) => ({ kind: 'partner-bad', apply: (e: Json) => ({ ...e, partner: p }) })),
  // quantities and amounts: negative, zero, fractional, beyond 2^53 and int64, of the wrong type
  fc.tuple(fc.constantFrom('quantity', 'netAmount', 'margin'), fc.oneof(hugeNumber, negativeNumber, fractional, notNumber, fc.constant(0)), fc.nat()).map(([field, v, n]) => ({
    kind: `line-${field}`,
    apply: (e: Json) => {
      const lines = (Array.isArray(e.lines) ? e.lines : [{ sku: 'SKU-A', quantity: 1, netAmount: 1 }]) as Json[];
      const i = n % lines.length;
      // Zero is a valid netAmount and margin, and a valid quantity of a correction or return line; a fraction is a
      // valid quantity; a negative margin above -10^12 is valid: those fall back to a value refused everywhere.
      let value = v;
      const zeroOk = field !== 'quantity' || e.type !== 'invoice.issued';
      if ((v === 0 && zeroOk) || (field === 'quantity' && typeof v === 'number' && v > 0 && v <= 1_000_000_000) || (field === 'margin' && typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 1_000_000_000_000)) value = 2 ** 63;
      if (field === 'margin' && e.type !== 'invoice.issued') value = 1; // margin is not a field of these lines
      return { ...e, lines: lines.map((l, k) => (k === i ? { ...l, [field]: value } : l)) };
    },
  })),
  // lines: empty, more than 1,000, not objects, with unknown keys, without a SKU
  fc.oneof(
    fc.constant<unknown[]>([]),
    fc.integer({ min: 1001, max: 1200 }).map((k) => Array.from({ length: k }, (_, i) => ({ sku: `S${i}`, quantity: 1, netAmount: 1 }))),
    fc.array(notObject, { minLength: 1, maxLength: 3 }),
    fc.oneof(hostileText, fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '')).filter((k) => !['sku', 'quantity', 'netAmount', 'category', 'margin'].includes(k)).map((k) => [{ sku: 'A', quantity: 1, netAmount: 1, [k]: 1 }]),
    fc.constant([{ quantity: 1, netAmount: 1 }]),
    fc.constant([{ sku: '', quantity: 1, netAmount: 1 }]),
  ).map((lines) => ({ kind: 'lines-bad', apply: (e: Json) => ({ ...e, lines }) })),
  // an amount of a deal or custom event beyond what is accepted
  fc.oneof(hugeNumber, negativeNumber, fractional, notNumber).map((v) => ({ kind: 'amount', apply: (e: Json) => ({ ...e, amount: v }) })),
  // a type the inbox does not know
  badType.map((type) => ({ kind: 'bad-type', apply: (e: Json) => ({ ...e, type }) })),
  fc.constant({ kind: 'no-type', apply: (e: Json) => { const { type: _t, ...rest } = e; return rest; } }),
  // a date that is not an RFC 3339 date-time
  badDate.map((d) => ({ kind: 'bad-date', apply: (e: Json) => ({ ...e, occurredAt: d }) })),
  // a currency that is not three capital letters
  badCurrencyFormat.map((c) => ({ kind: 'currency-format', apply: (e: Json) => ({ ...e, currency: c }) })),
  // a source outside its alphabet (RTL, emoji, NUL, spaces) or any field beyond its maximum length
  hostileText.filter((s) => !/^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(s)).map((s) => ({ kind: 'source-text', apply: (e: Json) => ({ ...e, source: s }) })),
  fc.tuple(fc.constantFrom('source', 'externalId', 'number', 'invoiceExternalId', 'originalExternalId', 'dealId', 'leadId', 'courseId', 'certificationId', 'repEmail', 'sku', 'category'), longString).map(([field, s]) => ({
    kind: 'too-long',
    apply: (e: Json) => {
      if (field === 'sku' || field === 'category') {
        const lines = (Array.isArray(e.lines) ? e.lines : null) as Json[] | null;
        return lines ? { ...e, lines: [{ ...lines[0], [field]: s }, ...lines.slice(1)] } : { ...e, externalId: s };
      }
      return { ...e, [field]: s };
    },
  })),
  // ids and e-mails that are not
  fc.oneof(hostileText, fc.constantFrom('00000000-0000-0000-0000-00000000000g', 'null', 'undefined', '{}', "' or 1=1 --", '../../etc/passwd')).map((s) => ({ kind: 'program-id', apply: (e: Json) => ({ ...e, programId: s }) })),
  fc.oneof(hostileText, fc.constantFrom('a@', '@b.c', 'a b@c.d', 'rep@example.com\u0000', 'rep@exa\u202emple.com')).filter((s) => !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s)).map((s) => ({ kind: 'rep-email', apply: (e: Json) => ({ ...e, repEmail: s }) })),
  // keys no schema has: unicode, empty, and prototype-pollution names as own properties
  fc.tuple(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', '', '__defineGetter__', 'hasOwnProperty'), hostileText), fc.oneof(fc.constant({ polluted: true }), fc.integer(), fc.string({ maxLength: 5 }))).map(([key, v]) => ({
    kind: 'extra-key',
    apply: (e: Json) => {
      if (key in e && Object.hasOwn(e, key)) return { ...e, [`${key}-extra`]: v };
      const out = { ...e };
      Object.defineProperty(out, key, { value: v, enumerable: true, configurable: true, writable: true });
      return out;
    },
  })),
  // deep nesting where a field is
  fc.tuple(fc.constantFrom('partner', 'lines', 'data', 'extra', 'occurredAt'), deep).map(([field, v]) => ({ kind: 'deep', apply: (e: Json) => ({ ...e, [field]: v }) })),
  // not an object at all
  fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 20 }), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }), hugeNumber).map((v) => ({ kind: 'not-object', apply: () => v })),
);

/**
 * Schema-valid events the business refuses, so they reach the service, its queries and the event table: a currency
 * without rates (422 naming the currency), a payment, correction or return of an invoice never sent (409 naming the
 * reference).
 */
const businessMutation: fc.Arbitrary<Mutation> = fc.oneof(
  unknownCurrency.map((c) => ({ kind: 'unknown-currency', apply: (e: Json) => (e.type === 'invoice.issued' || e.type === 'deal.won' ? { ...e, currency: c } : { ...e, currency: c, type: 'deal.won', dealId: 'D' }) })),
  fc.constantFrom('invoice.paid', 'invoice.corrected', 'order.returned').map((type) => ({ kind: 'unknown-invoice', apply: (e: Json) => ({ ...template(type, String(e.programId), String(e.number ?? 'x')), externalId: e.externalId }) })),
);

/** Unicode in the free-text fields that accept any text (valid by itself, so always combined with a mutation). */
const decoration = fc.oneof({ weight: 2, arbitrary: fc.constant('1') }, { weight: 3, arbitrary: nonEmptyHostileText.map((s) => s.slice(0, 60)) });
function invalidEvent(programId: string): fc.Arbitrary<{ kinds: string[]; body: unknown }> {
  return fc
    .record({ type: eventType, decoration, mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }), business: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: businessMutation }) })
    .map(({ type, decoration: d, mutations, business }) => {
      // A business refusal alone is a complete case half of the time; otherwise the schema mutations follow.
      const schema = business && d.length % 2 === 0 ? [] : mutations;
      let body: unknown = template(type, programId, d);
      const kinds: string[] = [];
      if (business) {
        body = business.apply(body as Json);
        kinds.push(business.kind);
      }
      for (const m of schema) {
        if (body === null || typeof body !== 'object' || Array.isArray(body)) break;
        body = m.apply(body as Json);
        kinds.push(m.kind);
      }
      return { kinds, body };
    });
}

/**
 * A body with a `__proto__` key, or a `constructor` key holding a `prototype`, at any depth: the platform's JSON
 * parser refuses the whole body as 400 MALFORMED_JSON before any route sees it, so no field is named.
 */
function poisoned(text: string): boolean {
  let found = false;
  try {
    JSON.parse(text, function (k, v: unknown) {
      if (k === '__proto__' || (k === 'constructor' && v !== null && typeof v === 'object' && Object.hasOwn(v, 'prototype'))) found = true;
      return v;
    });
  } catch {
    return false;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------------------

describe('earning: hostile and malformed event bodies are refused, named and leave the ledger alone', () => {
  let t: TestApp;
  let db: pg.Client;
  let programId: string;
  let key: { authorization: string };
  let baseline: string;
  const seen = new Map<string, number>();
  let sentRequests = 0;

  const post = async (url: string, payload: unknown, raw = false): Promise<Response & { sent: string }> => {
    const sent = raw ? (payload as string) : (JSON.stringify(payload) ?? 'null');
    const res = await t.app.inject({ method: 'POST', url, headers: { ...key, 'content-type': 'application/json' }, payload: sent });
    sentRequests += 1;
    return Object.assign(res, { sent });
  };

  /** The ledger and the accepted events, as one comparable string. */
  async function snapshot(): Promise<string> {
    const r = await db.query<{ s: string }>(
      `select concat_ws(':',
         (select count(*) from ledger_entry), (select count(*) from ledger_posting),
         (select coalesce(sum(abs(amount)), 0) from ledger_posting), (select count(*) from ledger_lot), (select count(*) from ledger_hold),
         (select count(*) from earning_event where status <> 'refused')) as s`,
    );
    return r.rows[0]!.s;
  }

  /** A problem: 4xx, problem+json, at least one field, every field under `prefix`. */
  function expectNamedProblem(problem: { status?: unknown; errors?: { field: string }[] }, prefix: string): void {
    const shown = JSON.stringify(problem);
    expect(problem.status, shown).toBeGreaterThanOrEqual(400);
    expect(problem.status, shown).toBeLessThan(500);
    expect(Array.isArray(problem.errors) && problem.errors.length > 0, `no field named: ${shown}`).toBe(true);
    for (const e of problem.errors!) expect(e.field === prefix || e.field.startsWith(`${prefix}/`), `field ${e.field} not under ${prefix}: ${shown}`).toBe(true);
  }

  function expectRefused(res: Response & { sent: string }): Json {
    expect(res.statusCode, `${res.statusCode} ${res.body.slice(0, 500)}`).toBeGreaterThanOrEqual(400);
    expect(res.statusCode, res.body.slice(0, 500)).toBeLessThan(500);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const problem = res.json() as Json;
    expect(problem.status).toBe(res.statusCode);
    if (poisoned(res.sent)) {
      expect(problem).toMatchObject({ status: 400, code: 'MALFORMED_JSON' });
      count(['refused-by-parser']);
    } else expectNamedProblem(problem as never, '/body');
    return problem;
  }

  /**
   * Run one case's checks; a failure is reported with the body that caused it (described only then). The ledger is
   * compared with the baseline every LEDGER_EVERY cases and at the end of each property: the ledger and the event
   * table only grow, so an unchanged snapshot means that every body since the last one left them unchanged, and a
   * changed one names the bodies of the window.
   */
  const LEDGER_EVERY = 10;
  let recent: (() => string)[] = [];
  async function check(context: () => string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      (error as Error).message += `\n← ${context()}`;
      throw error;
    }
    recent.push(context);
    if (recent.length >= LEDGER_EVERY) await ledgerUnchanged();
  }
  async function ledgerUnchanged(): Promise<void> {
    const now = await snapshot();
    const window = recent;
    recent = [];
    expect(now, `the ledger moved within these bodies:\n${window.map((c) => c()).join('\n')}`).toBe(baseline);
  }

  const describeBody = (kinds: string[], body: unknown) => {
    const text = JSON.stringify(body) ?? String(body);
    return `[${kinds.join(', ')}] ${text.length > 600 ? `${text.slice(0, 600)}… (${text.length} chars)` : text}`;
  };
  const count = (kinds: string[]) => {
    for (const k of kinds) seen.set(k, (seen.get(k) ?? 0) + 1);
  };

  beforeAll(async () => {
    const url = await createTestDatabase();
    t = await startTestApp({ databaseUrl: url });
    db = new pg.Client({ connectionString: url });
    await db.connect();
    const admin = (path: string, payload: Json) => t.app.inject({ method: 'POST', url: path, headers: t.adminHeaders, payload });
    programId = (await admin('/api/v1/programs', { code: 'fuzz', name: { en: 'F', pl: 'F', ru: 'F' }, currency: 'PLN', pointValueMinorPerThousand: 1000 })).json().id;
    await admin(`/api/v1/programs/${programId}/status`, { status: 'live', reason: 'test' });
    const partner = await admin('/api/v1/partners', { programId, legalName: 'Fuzz', type: 'dealer', nip: NIP });
    expect(partner.statusCode, partner.body).toBe(201);
    key = await t.apiKeyHeaders(['events:write']);
    const rule = async (body: Json) => {
      const created = await admin('/api/v1/earning/rules', { programId, priority: 0, validFrom: '2024-01-01T00:00:00Z', ...body });
      expect(created.statusCode, created.body).toBe(201);
      expect((await admin(`/api/v1/earning/rules/${created.json().id}/activate`, {})).statusCode).toBe(200);
    };
    await rule({ code: 'base', name: 'Base', eventTypes: ['invoice.issued', 'deal.won'], condition: true, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending', rounding: 'floor' } });
    await rule({ code: 'activity', name: 'Activity', eventTypes: ['lead.registered', 'lead.accepted', 'training.completed', 'certification.earned', 'custom.fuzz'], condition: true, effect: { type: 'fixed', points: 10, target: 'available' } });
    // The ledger holds something before the first hostile body, and a valid event of each kind earns.
    const valid = template('invoice.issued', programId, 'seed');
    const earned = await post('/api/v1/earning/events', { ...valid, externalId: 'INV-seed' });
    expect(earned.statusCode, earned.body).toBe(201);
    expect(earned.json().points).toBeGreaterThan(0);
    expect((await post('/api/v1/earning/events', template('deal.won', programId, 'seed'))).statusCode).toBe(201);
    baseline = await snapshot();
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await t?.close();
    if (seen.size) console.log(`earning fuzz: ${sentRequests} requests; mutation kinds sent — ${[...seen].sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
  });

  it('single events: every generated invalid body is a 4xx problem naming a field, the ledger unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(invalidEvent(programId), async ({ kinds, body }) => {
        count(kinds);
        await check(() => describeBody(kinds, body), async () => {
          expectRefused(await post('/api/v1/earning/events', body));
        });
      }),
      fcOptions(6000),
    );
    await ledgerUnchanged();
  }, 300_000);

  it('batches of invalid events: each item refused on its own with a problem naming a field under its index, the ledger unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(invalidEvent(programId), { minLength: 1, maxLength: 12 }), async (items) => {
        const body = { events: items.map((i) => i.body) };
        items.forEach((i) => count(i.kinds));
        await check(() => items.map((i, k) => `#${k} ${describeBody(i.kinds, i.body)}`).join('\n'), async () => {
          const res = await post('/api/v1/earning/events/batch', body);
          if (res.statusCode === 200) {
            const answer = res.json() as { accepted: number; refused: number; items: { index: number; ok: boolean; problem?: Json }[] };
            expect(answer.accepted).toBe(0);
            expect(answer.items.length).toBe(items.length);
            for (const [k, item] of answer.items.entries()) {
              expect(item.index).toBe(k);
              expect(item.ok, `#${k} accepted`).toBe(false);
              expectNamedProblem(item.problem as never, `/body/events/${k}`);
            }
          } else {
            // The batch as a whole is refused when the platform's parser refuses it (a prototype-pollution key).
            expectRefused(res);
          }
        });
      }),
      fcOptions(2800),
    );
    await ledgerUnchanged();
  }, 300_000);

  it('batch envelopes: oversized, not an array, empty, with other keys or nested too deep: a 4xx naming /body/events or /body, nothing posted', async () => {
    const validItem = (k: number) => ({ ...template('invoice.issued', programId, 'ok'), externalId: uniqueId(`B${k}`) });
    const envelope = fc.oneof(
      // more than 1,000 events, every one of them valid: refused as a whole
      { weight: 1, arbitrary: fc.integer({ min: 1001, max: 1500 }).map((n) => ({ kinds: ['oversized-batch'], body: { events: Array.from({ length: n }, (_, k) => validItem(k)) } as unknown })) },
      { weight: 4, arbitrary: notArray.map((events) => ({ kinds: ['events-not-array'], body: { events } as unknown })) },
      { weight: 2, arbitrary: fc.constant({ kinds: ['events-empty'] as string[], body: { events: [] } as unknown }) },
      { weight: 2, arbitrary: fc.constant({ kinds: ['events-missing'] as string[], body: {} as unknown }) },
      {
        weight: 3,
        arbitrary: fc.tuple(fc.oneof(hostileText, fc.constantFrom('event', 'Events', 'constructor', 'prototype')), fc.integer()).map(([k, v]) => {
          const body: Json = { events: [validItem(0)] };
          Object.defineProperty(body, k === 'events' ? 'events2' : k, { value: v, enumerable: true });
          return { kinds: ['envelope-extra-key'], body: body as unknown };
        }),
      },
      { weight: 2, arbitrary: fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 10 }), fc.array(fc.integer(), { maxLength: 3 }), hugeNumber).map((v) => ({ kinds: ['envelope-not-object'], body: v as unknown })) },
    );
    await fc.assert(
      fc.asyncProperty(envelope, async ({ kinds, body }) => {
        count(kinds);
        await check(() => describeBody(kinds, body), async () => {
          const res = await post('/api/v1/earning/events/batch', body);
          if (res.statusCode === 200 && kinds[0] === 'events-not-array') {
            // The platform's validator coerces a scalar to an array of one (ajv coerceTypes: 'array'): that item is
            // then refused on its own, named.
            const answer = res.json() as { accepted: number; items: { ok: boolean; problem?: Json }[] };
            expect(answer.accepted).toBe(0);
            for (const [k, item] of answer.items.entries()) expectNamedProblem(item.problem as never, `/body/events/${k}`);
          } else {
            const problem = expectRefused(res);
            expect(problem.status).toBe(400);
            if (kinds[0] === 'oversized-batch') expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: '/body/events' })]));
          }
        });
      }),
      fcOptions(700),
    );
    await ledgerUnchanged();
  }, 300_000);

  it('raw JSON: numbers beyond 2^53 and int64 as written, prototype-pollution keys, duplicate keys: refused, named, the ledger unchanged', async () => {
    const literal = fc.constantFrom('9007199254740993', '9223372036854775808', '-9223372036854775809', '18446744073709551616', '1e400', '-1e400', '123456789012345678901234567890', '1.0000000000000000000001e13', '1E21', '1000000000000.5', '100000000000000000000000000000000000000000000000000e-30');
    const pollution = fc.constantFrom('"__proto__":{"isAdmin":true}', '"constructor":{"prototype":{"isAdmin":true}}', '"__proto__":null', '"__proto__":[]', '"__pro\\u0074o__":{"x":1}');
    const raw = fc.oneof(
      fc.tuple(fc.constantFrom('quantity', 'netAmount', 'margin'), literal).map(([field, num]) => ({
        kinds: [`raw-${field}`],
        body: `{"type":"invoice.issued","source":"erp-fuzz","externalId":"${uniqueId('R')}","occurredAt":"2025-07-01T10:00:00Z","programId":"${programId}","partner":{"nip":"${NIP}"},"number":"R","currency":"PLN","lines":[{"sku":"A","quantity":1,"netAmount":100,"${field}":${num}}]}`,
      })),
      literal.map((num) => ({ kinds: ['raw-amount'], body: `{"type":"deal.won","source":"erp-fuzz","externalId":"${uniqueId('R')}","occurredAt":"2025-07-01T10:00:00Z","programId":"${programId}","partner":{"nip":"${NIP}"},"amount":${num}}` })),
      fc.tuple(pollution, fc.constantFrom('top', 'partner', 'line', 'data')).map(([p, where]) => {
        const id = uniqueId('P');
        const partner = where === 'partner' ? `{"nip":"${NIP}",${p}}` : `{"nip":"${NIP}"}`;
        const line = where === 'line' ? `{"sku":"A","quantity":1,"netAmount":1,${p}}` : '{"sku":"A","quantity":1,"netAmount":1}';
        const top = where === 'top' ? `,${p}` : '';
        const body =
          where === 'data'
            ? `{"type":"custom.fuzz","source":"erp-fuzz","externalId":"${id}","occurredAt":"2025-07-01T10:00:00Z","programId":"${programId}","partner":${partner},"data":{${p}}}`
            : `{"type":"invoice.issued","source":"erp-fuzz","externalId":"${id}","occurredAt":"2025-07-01T10:00:00Z","programId":"${programId}","partner":${partner},"number":"P","currency":"PLN","lines":[${line}]${top}}`;
        return { kinds: [`pollution-${where}`], body };
      }),
      // A duplicate key whose last value is invalid (JSON.parse keeps the last one).
      fc.constantFrom('"currency":"PLN","currency":"pln"', '"lines":[{"sku":"A","quantity":1,"netAmount":1}],"lines":[]').map((dup) => ({
        kinds: ['duplicate-key'],
        body: `{"type":"invoice.issued","source":"erp-fuzz","externalId":"${uniqueId('D')}","occurredAt":"2025-07-01T10:00:00Z","programId":"${programId}","partner":{"nip":"${NIP}"},"number":"D",${dup.includes('currency') ? `${dup},"lines":[{"sku":"A","quantity":1,"netAmount":1}]` : `"currency":"PLN",${dup}`}}`,
      })),
    );
    await fc.assert(
      fc.asyncProperty(raw, fc.boolean(), async ({ kinds, body }, batch) => {
        count(kinds);
        await check(() => `[${kinds.join(', ')}]${batch ? ' in a batch' : ''} ${body}`, async () => {
          if (batch) {
            const res = await post('/api/v1/earning/events/batch', `{"events":[${body}]}`, true);
            if (res.statusCode === 200) {
              const item = (res.json() as { items: { ok: boolean; problem?: Json }[] }).items[0]!;
              expect(item.ok, 'accepted').toBe(false);
              expectNamedProblem(item.problem as never, '/body/events/0');
            } else expectRefused(res);
          } else expectRefused(await post('/api/v1/earning/events', body, true));
          expect(({} as Json).isAdmin).toBeUndefined();
        });
      }),
      fcOptions(500),
    );
    await ledgerUnchanged();
  }, 300_000);

  it('after all of it the inbox still earns: a valid invoice posts', async () => {
    const res = await post('/api/v1/earning/events', template('invoice.issued', programId, 'after'));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().points).toBeGreaterThan(0);
    expect(await snapshot()).not.toBe(baseline);
  });
});
