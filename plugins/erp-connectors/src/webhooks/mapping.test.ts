import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyMapping, checkMapping, PRESETS, readPointer, toInstant, type Mapping } from './mapping.ts';

/* Mappings as data: pointers, conversions, exact money, conditions, the presets on their examples, checking a mapping. */

describe('webhook mappings', () => {
  it('every preset is a valid mapping and maps its example to the event a reader expects', () => {
    for (const p of PRESETS) expect(checkMapping(p.mapping), p.id).toEqual([]);
    expect(applyMapping(PRESETS[0]!.mapping, PRESETS[0]!.example)).toMatchObject({
      kind: 'event',
      event: { type: 'deal.won', externalId: 'hubspot-deal:16284093826', dealId: '16284093826', occurredAt: '2026-11-20T10:15:00.000Z', partner: { nip: '1111111111' }, currency: 'PLN', amount: 1250050 },
    });
    expect(applyMapping(PRESETS[1]!.mapping, PRESETS[1]!.example)).toMatchObject({
      kind: 'event',
      event: { type: 'deal.won', externalId: 'pipedrive-deal:42', dealId: '42', occurredAt: '2026-11-20T10:15:00.000Z', partner: { partnerCode: 'P-0001' }, currency: 'PLN', amount: 840000 },
    });
    expect(applyMapping(PRESETS[2]!.mapping, PRESETS[2]!.example)).toEqual({
      kind: 'event',
      event: { type: 'invoice.paid', externalId: 'paid:in_1QxYyzAbCdEf', invoiceExternalId: 'in_1QxYyzAbCdEf', occurredAt: '2025-11-20T10:15:00.000Z' },
      origins: { '/externalId': '/', '/invoiceExternalId': '/data/object/id', '/occurredAt': '/data/object/status_transitions/paid_at' },
    });
  });

  it('money is exact in the currency’s minor units; a wrong amount names its field and pointer', () => {
    const m = PRESETS[0]!.mapping;
    const body = (amount: unknown, currency: unknown = 'PLN') => ({ ...PRESETS[0]!.example, properties: { ...(PRESETS[0]!.example.properties as object), amount, deal_currency_code: currency } });
    expect(applyMapping(m, body('0.29'))).toMatchObject({ event: { amount: 29 } });
    expect(applyMapping(m, body(1234.5))).toMatchObject({ event: { amount: 123450 } });
    expect(applyMapping(m, body('100', 'jpy'))).toMatchObject({ event: { amount: 100, currency: 'JPY' } });
    expect(applyMapping(m, body('1.005'))).toEqual({ kind: 'failed', problems: [{ field: '/amount', pointer: '/properties/amount', problem: 'decimal-precision' }] });
    expect(applyMapping(m, body('12,50'))).toMatchObject({ problems: [{ field: '/amount', problem: 'decimal-format' }] });
    expect(applyMapping(m, body('-5'))).toMatchObject({ problems: [{ field: '/amount', problem: 'decimal-range' }] });
    expect(applyMapping(m, body('5', 'XYZ'))).toMatchObject({ problems: [{ field: '/currency', pointer: '/properties/deal_currency_code', problem: 'currency-unknown' }] });
  });

  it('conditions ignore other updates; lines map per element; pointers escape ~ and /', () => {
    expect(applyMapping(PRESETS[0]!.mapping, { ...PRESETS[0]!.example, properties: { dealstage: 'lost' } })).toEqual({ kind: 'ignored', condition: '/properties/dealstage' });
    const invoice: Mapping = {
      type: 'invoice.issued',
      fields: {
        externalId: { pointer: '/id' },
        occurredAt: { pointer: '/date', as: 'date-time' },
        'partner.euVat': { pointer: '/buyer/vat' },
        number: { pointer: '/no' },
        currency: { value: 'EUR' },
        lines: { each: '/items', fields: { sku: { pointer: '/a~1b' }, quantity: { pointer: '/q', as: 'number' }, netAmount: { pointer: '/net', as: 'minor-units' } } },
      },
    };
    expect(checkMapping(invoice)).toEqual([]);
    const r = applyMapping(invoice, { id: 7, date: '2026-02-01', buyer: { vat: 'DE123' }, no: 'A/1', items: [{ 'a/b': 'X', q: '2', net: '10.5' }, { 'a/b': 'Y', q: 1, net: 'x' }] });
    expect(r).toEqual({ kind: 'failed', problems: [{ field: '/lines/1/netAmount', pointer: '/items/1/net', problem: 'decimal-format' }] });
    expect(readPointer({ 'a~b': 1 }, '/a~0b')).toEqual({ found: true, value: 1 });
    expect(readPointer([1], '/01')).toEqual({ found: false });
  });

  it('instants as CRMs send them', () => {
    expect(toInstant('2026-11-20')).toBe('2026-11-20T00:00:00.000Z');
    expect(toInstant('2026-11-20 10:15:00')).toBe('2026-11-20T10:15:00.000Z');
    expect(toInstant('2026-11-20T12:15:00+02:00')).toBe('2026-11-20T10:15:00.000Z');
    expect(toInstant('1763633700000')).toBe('2025-11-20T10:15:00.000Z');
    expect(toInstant(1763633700)).toBe('2025-11-20T10:15:00.000Z');
    expect(toInstant('2026-02-30')).toBeNull();
    expect(toInstant('yesterday')).toBeNull();
  });

  it('a mapping is checked before it is saved: type, fields of that type, pointers, what the event needs', () => {
    expect(checkMapping({ type: 'deal.lost', fields: {} })[0]).toMatchObject({ at: '/type' });
    const issues = checkMapping({ type: 'deal.won', fields: { source: { value: 'x' }, 'partner.vat': { pointer: '/v' }, externalId: { pointer: 'id' }, occurredAt: { pointer: '/d', as: 'date' }, amount: { pointer: '/a', as: 'minor-units' } } });
    expect(issues.map((i) => i.at)).toEqual(expect.arrayContaining(['/fields/source', '/fields/partner.vat', '/fields/externalId/pointer', '/fields/occurredAt/as', '/fields']));
    expect(issues.map((i) => i.reason)).toContain('maps an amount with minor-units: map currency too');
    expect(checkMapping({ type: 'deal.won', fields: { externalId: { pointer: '/id' }, occurredAt: { pointer: '/d' } } }).map((i) => i.reason)).toEqual(['must map partner']);
    expect(checkMapping({ type: 'custom.visit', fields: { externalId: { pointer: '/id' }, occurredAt: { pointer: '/at' }, 'partner.nip': { pointer: '/nip' }, 'data.anything': { pointer: '/x' } } })).toEqual([]);
  });

  it('fuzz: any JSON through every preset, and any value as a mapping, never throws', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.constantFrom(...PRESETS), (body, preset) => {
        const r = applyMapping(preset.mapping, body);
        expect(['event', 'ignored', 'failed']).toContain(r.kind);
        if (r.kind === 'failed') expect(r.problems.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000, seed: 11 },
    );
    // Bodies shaped like the examples, with their values replaced: never a thrown error, money never fractional.
    const example = fc.constantFrom(...PRESETS.map((p, i) => ({ i, body: p.example })));
    fc.assert(
      fc.property(example, fc.jsonValue({ maxDepth: 2 }), fc.nat(), ({ i, body }, value, at) => {
        const copy = structuredClone(body) as Record<string, unknown>;
        const props = (copy.properties ?? copy.data) as Record<string, unknown>;
        const keys = Object.keys(props);
        props[keys[at % keys.length]!] = value;
        const r = applyMapping(PRESETS[i]!.mapping, copy);
        if (r.kind === 'event' && 'amount' in r.event) expect(Number.isSafeInteger(r.event.amount)).toBe(true);
      }),
      { numRuns: 2000, seed: 12 },
    );
    fc.assert(fc.property(fc.anything(), (m) => void checkMapping(m)), { numRuns: 1000, seed: 13 });
  });
});
