import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';

type Json = Record<string, unknown>;

/**
 * Sales between related companies go to the review queue: an invoice whose buyer is the partner itself, a company the
 * partner declared related (by NIP, EU VAT number or REGON, kept by an admin, audited) or a partner of its capital
 * group. Real NIPs of the partners module's fixtures (pl_identifiers.csv): Orange Polska, PKO BP, ORLEN, KGHM.
 */
describe('earning: the related-companies guardrail', () => {
  let t: TestApp;
  let key: { authorization: string };
  let programId = '';
  const ids: Record<string, string> = {};
  let n = 0;
  const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
  const invoice = (partner: string, buyer: Json | undefined): Json => {
    n += 1;
    return { type: 'invoice.issued', source: 'erp-rel', externalId: `R-${n}`, occurredAt: '2025-07-10T10:00:00Z', programId, partner: { partnerId: ids[partner] }, number: `FV/R/${n}`, currency: 'PLN', lines: [{ sku: 'A', quantity: 1, netAmount: 100_000 }], ...(buyer ? { buyer } : {}) };
  };
  const send = (event: Json) => inject('POST', '/api/v1/earning/events', event, key);
  const related = (partner: string, body: Json, headers?: Record<string, string>) => inject('POST', `/api/v1/earning/partners/${ids[partner]}/related-companies`, body, headers);

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase() });
    key = await t.apiKeyHeaders(['events:write']);
    const program = await inject('POST', '/api/v1/programs', { code: 'related', name: { en: 'R', pl: 'R', ru: 'R' }, currency: 'PLN', pointValueMinorPerThousand: 1000 });
    programId = program.json().id;
    await inject('POST', `/api/v1/programs/${programId}/status`, { status: 'live', reason: 'test' });
    for (const [name, nip] of [['orange', '5260250995'], ['pko', '5250007738'], ['orlen', '7740001454']] as const) {
      const p = await inject('POST', '/api/v1/partners', { programId, legalName: name, nip, type: 'dealer', country: 'PL' });
      expect(p.statusCode, p.body).toBe(201);
      ids[name] = p.json().id;
    }
    // Orange and PKO in one capital group (the partners module's link).
    expect((await inject('POST', `/api/v1/partners/${ids.orange}/related`, { relatedPartnerId: ids.pko })).statusCode).toBeLessThan(300);
    const rule = await inject('POST', '/api/v1/earning/rules', { programId, code: 'base', name: 'Base', validFrom: '2024-01-01T00:00:00Z', eventTypes: ['invoice.issued'], condition: true, effect: { type: 'per-amount', pointsPerUnit: 1, target: 'pending' } });
    await inject('POST', `/api/v1/earning/rules/${rule.json().id}/activate`, {});
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('an admin declares a partner’s related companies by checked identifiers, each problem at its field, audited', async () => {
    const pl = await t.signInAs(['program-manager'], { locale: 'pl' });
    const bad = await related('orange', { kind: 'nip', identifier: '692-000-00-14', name: 'KGHM' }, pl);
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({ code: 'EARNING_RELATED_IDENTIFIER', errors: [{ field: '/body/identifier', message: '692-000-00-14 nie jest prawidłowym numerem nip (sprawdź cyfry).' }] });
    const own = await related('orange', { kind: 'euVat', identifier: 'PL5260250995', name: 'Orange' });
    expect(own.json()).toMatchObject({ code: 'EARNING_RELATED_SELF', errors: [{ field: '/body/identifier' }] });
    const added = await related('orange', { kind: 'nip', identifier: '692-000-00-13', name: 'KGHM Polska Miedź S.A.', note: 'shareholder' });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toMatchObject({ kind: 'nip', identifier: '6920000013', name: 'KGHM Polska Miedź S.A.', note: 'shareholder' });
    expect((await related('orange', { kind: 'euVat', identifier: 'PL 692 000 00 13', name: 'KGHM' })).statusCode).toBe(409);
    const list = await inject('GET', `/api/v1/earning/partners/${ids.orange}/related-companies`);
    expect(list.json().items).toHaveLength(1);
    const audit = (await inject('GET', '/api/v1/audit/records?action=earning.related-company.')).json().items;
    expect(audit).toEqual([expect.objectContaining({ action: 'earning.related-company.added', subjectId: ids.orange })]);
  });

  it('holds invoices to itself, a declared related company and a partner of its group for review, with the reason; others post', async () => {
    const declared = await send(invoice('orange', { euVat: 'PL6920000013', name: 'KGHM' }));
    expect(declared.statusCode, declared.body).toBe(202);
    expect(declared.json()).toMatchObject({ status: 'review', points: 0 });
    const self = await send(invoice('orange', { nip: '526-025-09-95' }));
    expect(self.json()).toMatchObject({ status: 'review' });
    const group = await send(invoice('orange', { nip: '5250007738' }));
    expect(group.json()).toMatchObject({ status: 'review' });
    const byId = await send(invoice('pko', { partnerId: ids.orange }));
    expect(byId.json()).toMatchObject({ status: 'review' });
    const unrelated = await send(invoice('orange', { nip: '7740001454', name: 'ORLEN' }));
    expect(unrelated.json()).toMatchObject({ status: 'processed', points: 1000 });
    const noBuyer = await send(invoice('orlen', undefined));
    expect(noBuyer.json()).toMatchObject({ status: 'processed', points: 1000 });

    const reviews = (await inject('GET', `/api/v1/earning/reviews?programId=${programId}&status=open`)).json().items as { eventId: string; reasons: Json[]; points: number }[];
    const reasonOf = (eventId: string) => reviews.find((r) => r.eventId === eventId)!.reasons;
    expect(reasonOf(declared.json().id)).toEqual([{ kind: 'related-company', relation: 'declared', buyer: { euVat: 'PL6920000013', name: 'KGHM' }, matched: 'nip 6920000013', name: 'KGHM Polska Miedź S.A.', relatedCompanyId: expect.any(String) }]);
    expect(reasonOf(self.json().id)).toEqual([{ kind: 'related-company', relation: 'self', buyer: { nip: '526-025-09-95' }, matched: 'nip 5260250995' }]);
    expect(reasonOf(group.json().id)).toEqual([{ kind: 'related-company', relation: 'group', buyer: { nip: '5250007738' }, matched: 'nip 5250007738', name: 'pko', relatedPartnerId: ids.pko }]);
    expect(reasonOf(byId.json().id)).toEqual([expect.objectContaining({ relation: 'group', matched: `partnerId ${ids.orange}`, relatedPartnerId: ids.orange })]);
    expect(reviews.find((r) => r.eventId === declared.json().id)!.points).toBe(1000);
    expect((await inject('GET', `/api/v1/ledger/partners/${ids.orange}/balances`)).json()).toMatchObject({ pending: 1000 });

    // The simulation says so too, and a batch holds the same invoices.
    const simulated = await inject('POST', '/api/v1/earning/simulate', invoice('orange', { nip: '6920000013' }));
    expect(simulated.json().guardrails).toEqual([expect.objectContaining({ kind: 'related-company', relation: 'declared' })]);
    const batch = await inject('POST', '/api/v1/earning/events/batch', { events: [invoice('orange', { nip: '6920000013' }), invoice('orange', { nip: '7740001454' }), invoice('pko', { nip: '5260250995' }), invoice('orlen', { nip: '5260250995' })] }, key);
    expect(batch.json().items.map((i: { event?: { status: string } }) => i.event?.status)).toEqual(['review', 'processed', 'review', 'processed']);
  });

  it('a removed related company no longer holds invoices; removal audited', async () => {
    const [company] = (await inject('GET', `/api/v1/earning/partners/${ids.orange}/related-companies`)).json().items;
    expect((await inject('DELETE', `/api/v1/earning/partners/${ids.orange}/related-companies/${company.id}`)).statusCode).toBe(204);
    expect((await inject('DELETE', `/api/v1/earning/partners/${ids.orange}/related-companies/${company.id}`)).statusCode).toBe(404);
    expect((await send(invoice('orange', { nip: '6920000013' }))).json()).toMatchObject({ status: 'processed' });
    const audit = (await inject('GET', '/api/v1/audit/records?action=earning.related-company.removed')).json().items;
    expect(audit).toEqual([expect.objectContaining({ subjectId: ids.orange, data: { before: expect.objectContaining({ identifier: '6920000013' }) } })]);
  });
});
