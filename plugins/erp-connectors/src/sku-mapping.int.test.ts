import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skuMappingRef } from '@laurel/plugin-sdk';
import { startLaurel, type LaurelTestApp } from '@laurel/testing';
import erpConnectors from './index.ts';
import { fixture } from './test-documents.ts';

/*
 * The real documents through the plugin's route and the core's SKU mapping: a KSeF invoice's Indeks and a Peppol
 * invoice's GTIN come in unmapped (listed for the admin, earning nothing on rules about program SKUs), are mapped in
 * one step, and the same documents sent again under new numbers earn on the program SKU and category.
 */

let t: LaurelTestApp;
let key: { authorization: string };
const post = (body: string, query: Record<string, string>) =>
  t.app.inject({ method: 'POST', url: `/api/v1/erp-connectors/documents?${new URLSearchParams(query).toString()}`, headers: { ...key, 'content-type': 'application/xml' }, payload: Buffer.from(body) }).then((res) => ({ status: res.statusCode, body: JSON.parse(res.body) }));

async function programWithFridgeRule(currency: string) {
  const programId = (await t.createProgram({ currency })).id;
  const rule = await t.post('/api/v1/earning/rules', {
    programId,
    code: 'fridges',
    name: 'Fridges: 1 point per unit of currency',
    validFrom: '2010-01-01T00:00:00.000Z',
    eventTypes: ['invoice.issued'],
    condition: { and: [{ '==': [{ var: 'line.category' }, 'fridges'] }, { in: [{ var: 'line.sku' }, ['ZT-MK1']] }] },
    effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' },
  });
  expect(rule.status, JSON.stringify(rule.body)).toBe(201);
  expect((await t.post(`/api/v1/earning/rules/${rule.body.id}/activate`, {})).status).toBe(200);
  return programId;
}

beforeAll(async () => {
  t = await startLaurel({ plugins: [erpConnectors] });
  key = await t.apiKey(['erp:write', 'erp:read']);
}, 180_000);

afterAll(async () => {
  await t?.close();
});

describe('SKU mapping of the documents the plugin reads', () => {
  it('KSeF ksef-fop Przyklad_5 (Indeks 55): unmapped, listed with its seller; mapped for that seller, the invoice earns on ZT-MK1/fridges', async () => {
    const programId = await programWithFridgeRule('PLN');
    const partner = await t.createPartner(programId, { nip: '1111111111' });
    const xml = fixture('ksef/ksef-fop__fa3_podstawowa_FA_3_Przyklad_5_Indeks.xml');
    const first = await post(xml, { source: 'ksef-test', programId });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.outcomes[0]).toMatchObject({ ok: true, event: { type: 'invoice.issued', status: 'processed', partnerId: partner.id, points: 0 } });

    const unmapped = await t.get(`/api/v1/earning/sku-unmapped?programId=${programId}`);
    expect(unmapped.body).toMatchObject({ total: 1, items: [{ source: 'ksef-test', seller: 'PL5451824119', sellerCode: '55', gtin: null, count: 1, sampleInvoice: '5t4343trgfds' }] });
    // What a connector can ask before posting: nothing maps 55 yet.
    const ctx = t.context();
    expect(await t.service(skuMappingRef).resolve(ctx, { programId, source: 'ksef-test', seller: 'PL5451824119', codes: [{ sellerCode: '55' }] })).toEqual([{ sku: '55', category: null, mapping: null }]);

    const mapped = await t.post(`/api/v1/earning/sku-unmapped/${unmapped.body.items[0].id}/map`, { programSku: 'ZT-MK1', category: 'fridges', scope: 'seller' });
    expect(mapped.status, JSON.stringify(mapped.body)).toBe(201);
    expect(mapped.body).toMatchObject({ kind: 'seller-code', code: '55', source: 'ksef-test', seller: 'PL5451824119' });
    expect((await t.service(skuMappingRef).resolve(t.context(), { programId, source: 'ksef-test', seller: 'PL5451824119', codes: [{ sellerCode: '55' }, { sellerCode: '56' }] })).map((r) => r.sku)).toEqual(['ZT-MK1', '56']);

    // The same invoice under another number: 222.00 + 555.00 PLN of Indeks 55 → 777 points.
    const again = await post(xml.replace('<P_2>5t4343trgfds</P_2>', '<P_2>5t4343trgfds-2</P_2>'), { source: 'ksef-test', programId });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.outcomes[0]).toMatchObject({ ok: true, event: { status: 'processed', points: 777 } });
    // The first one is not evaluated again.
    expect((await t.get(`/api/v1/earning/events/${first.body.outcomes[0].event.id}`)).body.result.points).toBe(0);
  });

  it('Peppol base-example (GTIN 21382183120983, its check digit wrong as published; a buyer no partner matches): mapped once the admin names the partner, the next invoice earns', async () => {
    const programId = await programWithFridgeRule('EUR');
    const partner = await t.createPartner(programId, { nip: '5260250995' });
    const xml = fixture('ubl/peppol-bis3__examples_base-example.xml');
    // The buyer's VAT number (SE4598375937) matches no partner: the invoice waits in the unmatched queue, then an admin names the partner.
    const resolve = async (eventId: string) => {
      const res = await t.post(`/api/v1/earning/events/${eventId}/resolve`, { action: 'map', partnerId: partner.id });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    };
    const first = await post(xml, { source: 'peppol-test', programId });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.outcomes[0]).toMatchObject({ ok: true, event: { status: 'unmatched' } });
    expect(await resolve(first.body.outcomes[0].event.id)).toMatchObject({ status: 'processed', points: 0 });
    const unmapped = await t.get(`/api/v1/earning/sku-unmapped?programId=${programId}`);
    expect(unmapped.body.items).toEqual([expect.objectContaining({ source: 'peppol-test', seller: 'GB1232434', sellerCode: null, gtin: '21382183120983', sampleInvoice: 'Snippet1' })]);
    const mapped = await t.post(`/api/v1/earning/sku-unmapped/${unmapped.body.items[0].id}/map`, { programSku: 'ZT-MK1', category: 'fridges', scope: 'any' });
    expect(mapped.status, JSON.stringify(mapped.body)).toBe(201);
    expect(mapped.body).toMatchObject({ kind: 'gtin', code: '21382183120983', source: null, seller: null });
    // 2,800.00 − 1,500.00 EUR of the one GTIN: 1,300 points.
    const again = await post(xml.replace('<cbc:ID>Snippet1</cbc:ID>', '<cbc:ID>Snippet1-2</cbc:ID>'), { source: 'peppol-test', programId });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(await resolve(again.body.outcomes[0].event.id)).toMatchObject({ status: 'processed', points: 1300 });
  });
});
