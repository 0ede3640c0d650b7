import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '@laurel/plugin-sdk';
import { startLaurel, type LaurelTestApp } from '@laurel/testing';
import erpConnectors from '../index.ts';
import { PRESETS } from './mapping.ts';

/*
 * Signed webhooks in, on the real app and a real PostgreSQL, over real HTTP on loopback: a CRM's won deal and an
 * ERP's paid invoice posting points through the earning inbox; wrong signatures, stale timestamps and replays
 * refused or answered without posting twice; secret rotation; mapping failures naming the body's field; the
 * delivery log; and fuzzed bodies and headers never answered with a 5xx.
 */

let t: LaurelTestApp;
let base: string;
let programId: string;
let partner: { id: string; partnerCode: string };
const KEY = 'a1'.repeat(32);

const now = () => Math.floor(Date.now() / 1000);
let sequence = 0;
const nextId = () => `msg_${Date.now()}_${(sequence += 1)}`;

/** POST a webhook over HTTP, signed with `secret` (or with the headers given). */
async function deliver(sourceId: string, secret: string, body: unknown, options: { id?: string; timestamp?: number; headers?: Record<string, string>; locale?: string } = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const id = options.id ?? nextId();
  const timestamp = options.timestamp ?? now();
  const res = await fetch(`${base}/api/v1/erp-connectors/webhooks/${sourceId}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(secret, id, timestamp, text),
      ...(options.locale ? { 'accept-language': options.locale } : {}),
      ...options.headers,
    },
    body: text,
  });
  const raw = await res.text();
  return { status: res.status, body: raw ? JSON.parse(raw) : null, type: res.headers.get('content-type'), id };
}

const count = async (sql: string, params: unknown[] = []) => (await t.sql<{ n: number }>(sql, params))[0]!.n;
const events = () => count(`select count(*)::int as n from earning_event`);
const deal = (over: Record<string, unknown> = {}, props: Record<string, unknown> = {}) => ({ ...structuredClone(PRESETS[0]!.example), id: String(Math.floor(Math.random() * 1e12)), ...over, properties: { ...(PRESETS[0]!.example.properties as object), ...props } });

async function createSource(preset: string, eventSource = 'crm-test', mapping?: unknown) {
  const res = await t.post('/api/v1/erp-connectors/webhook-sources', { programId, name: `${preset} source`, eventSource, preset, ...(mapping ? { mapping } : {}) });
  expect(res.status).toBe(201);
  return res.body as { source: { id: string; secretHint: string }; secret: string };
}

beforeAll(async () => {
  t = await startLaurel({ plugins: [erpConnectors], pluginConfig: { 'erp-connectors': { options: { webhookSecretKey: KEY } } } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  programId = (await t.createProgram({ currency: 'PLN' })).id;
  partner = await t.createPartner(programId, { nip: '1111111111' });
  const rule = async (code: string, eventTypes: string[], effect: Record<string, unknown>) => {
    const r = await t.post('/api/v1/earning/rules', { programId, code, name: code, validFrom: '2020-01-01T00:00:00.000Z', eventTypes, condition: true, effect });
    expect(r.status).toBe(201);
    expect((await t.post(`/api/v1/earning/rules/${r.body.id}/activate`, {})).status).toBe(200);
  };
  await rule('deal-per-pln', ['deal.won'], { type: 'per-amount', pointsPerUnit: 1, target: 'available' });
  await rule('invoice-per-pln', ['invoice.issued'], { type: 'per-amount', pointsPerUnit: 1, target: 'pending' });
}, 180_000);

afterAll(async () => {
  await t?.close();
});

describe('webhook sources', () => {
  it('an admin adds a source from a preset: the secret is shown once, stored sealed, and the action audited', async () => {
    const { source, secret } = await createSource('hubspot-deal-won');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(source.secretHint).toBe(`${secret.slice(0, 10)}…`);
    const shown = await t.get(`/api/v1/erp-connectors/webhook-sources/${source.id}`);
    expect(shown.status).toBe(200);
    expect(JSON.stringify(shown.body)).not.toContain(secret.slice(6));
    expect(shown.body).toMatchObject({ preset: 'hubspot-deal-won', secretsSealed: true, path: `/api/v1/erp-connectors/webhooks/${source.id}`, mapping: { type: 'deal.won' } });
    const [stored] = await t.sql<{ secret: string }>(`select secret from erp_webhook_source where id = $1`, [source.id]);
    expect(stored!.secret).toMatch(/^sealed\.v1\./);
    expect(stored!.secret).not.toContain(secret.slice(6, 20));
    expect(await count(`select count(*)::int as n from audit_record where action = 'erp-connectors.webhook-source.created' and subject_id = $1`, [source.id])).toBe(1);
  });

  it('a bad mapping is refused naming its part; a support user may read sources but not add them', async () => {
    const bad = await t.post('/api/v1/erp-connectors/webhook-sources', { programId, name: 'bad', eventSource: 'crm-test', mapping: { type: 'deal.won', fields: { externalId: { pointer: 'id' }, occurredAt: { pointer: '/at', as: 'date-time' }, partner: { pointer: '/p' }, amount: { pointer: '/a', as: 'minor-units' } } } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('ERP_WEBHOOK_MAPPING_INVALID');
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['/body/mapping/fields/externalId/pointer', '/body/mapping/fields']));
    // In the admin's language, each part of the mapping with its own reason.
    const polish = await t.signInAs(['admin'], { locale: 'pl' });
    const pl = await t.post('/api/v1/erp-connectors/webhook-sources', { programId, name: 'bad', eventSource: 'crm-test', mapping: { type: 'deal.won', fields: { externalId: { pointer: '/id' }, occurredAt: { pointer: '/at', as: 'date' }, 'partner.nip': { pointer: '/p' } } } }, { as: polish });
    expect(pl.status).toBe(400);
    expect(pl.body.detail).toBe('Nie można zapisać mapowania: musi być jednym z string, uppercase, number, integer, minor-units, date-time, boolean.');
    expect(pl.body.errors).toEqual([{ field: '/body/mapping/fields/occurredAt/as', message: 'Ta część mapowania jest błędna: musi być jednym z string, uppercase, number, integer, minor-units, date-time, boolean.' }]);
    const support = await t.signInAs(['support']);
    expect((await t.get('/api/v1/erp-connectors/webhook-sources', { as: support })).status).toBe(200);
    expect((await t.post('/api/v1/erp-connectors/webhook-sources', { programId, name: 'x', eventSource: 'crm', preset: 'hubspot-deal-won' }, { as: support })).status).toBe(403);
    expect((await t.get('/api/v1/erp-connectors/webhook-sources', { as: 'anonymous' })).status).toBe(401);
  });
});

describe('POST /api/v1/erp-connectors/webhooks/:sourceId', () => {
  let hubspot: { source: { id: string }; secret: string };
  beforeAll(async () => {
    hubspot = await createSource('hubspot-deal-won', 'crm-hubspot');
  });

  it('a HubSpot deal won, signed with the source secret, earns its points; the same webhook-id again is a replay posting nothing', async () => {
    const body = deal({}, { amount: '12500.50' });
    const first = await deliver(hubspot.source.id, hubspot.secret, body);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ result: 'posted', replayed: false, event: { type: 'deal.won', status: 'processed', partnerId: partner.id, points: 12500, source: 'crm-hubspot', externalId: `hubspot-deal:${body.id}` } });
    const before = await events();
    const ledger = await count(`select count(*)::int as n from ledger_entry`);
    const again = await deliver(hubspot.source.id, hubspot.secret, body, { id: first.id });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ deliveryId: first.body.deliveryId, result: 'posted', replayed: true, event: { points: 12500 } });
    expect(await events()).toBe(before);
    expect(await count(`select count(*)::int as n from ledger_entry`)).toBe(ledger);
  });

  it('five deliveries of one webhook-id at once post once', async () => {
    const body = deal({}, { amount: '100.00' });
    const id = nextId();
    const before = await events();
    const answers = await Promise.all(Array.from({ length: 5 }, () => deliver(hubspot.source.id, hubspot.secret, body, { id })));
    expect(await events()).toBe(before + 1);
    const posted = answers.filter((a) => a.status === 200);
    expect(posted.filter((a) => !a.body.replayed)).toHaveLength(1);
    // The others are replays, or told to come back while the first is being processed.
    for (const a of answers) expect([200, 409]).toContain(a.status);
  });

  it('a wrong signature is a 401 and posts nothing; so is a missing header', async () => {
    const before = await events();
    const wrong = await deliver(hubspot.source.id, 'whsec_' + Buffer.alloc(32, 7).toString('base64'), deal());
    expect(wrong.status).toBe(401);
    expect(wrong.type).toContain('application/problem+json');
    expect(wrong.body).toMatchObject({ code: 'ERP_WEBHOOK_SIGNATURE_INVALID', errors: [{ field: '/headers/webhook-signature' }] });
    const tampered = await fetch(`${base}/api/v1/erp-connectors/webhooks/${hubspot.source.id}`, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': 'x1', 'webhook-timestamp': String(now()), 'webhook-signature': signWebhook(hubspot.secret, 'x1', now(), '{"a":1}') }, body: '{"a":2}' });
    expect(tampered.status).toBe(401);
    const unsigned = await fetch(`${base}/api/v1/erp-connectors/webhooks/${hubspot.source.id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(deal()) });
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { code: string }).code).toBe('ERP_WEBHOOK_HEADERS_MISSING');
    expect(await events()).toBe(before);
  });

  it('a timestamp more than 5 minutes old or ahead is refused (in Russian for a Russian sender); 4 minutes is accepted', async () => {
    const before = await events();
    const stale = await deliver(hubspot.source.id, hubspot.secret, deal(), { timestamp: now() - 301, locale: 'ru' });
    expect(stale.status).toBe(401);
    expect(stale.body.code).toBe('ERP_WEBHOOK_TIMESTAMP_STALE');
    expect(stale.body.detail).toContain('более чем на 300 секунд');
    expect((await deliver(hubspot.source.id, hubspot.secret, deal(), { timestamp: now() + 400 })).status).toBe(401);
    expect(await events()).toBe(before);
    expect((await deliver(hubspot.source.id, hubspot.secret, deal(), { timestamp: now() - 240 })).status).toBe(200);
  });

  it('a deal update that is not a win is ignored: 200, nothing posted', async () => {
    const before = await events();
    const res = await deliver(hubspot.source.id, hubspot.secret, deal({}, { dealstage: 'appointmentscheduled' }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ result: 'ignored', event: null });
    expect(await events()).toBe(before);
  });

  it('a mapping error names the body field and the event field, in the sender’s language, and posts nothing', async () => {
    const before = await events();
    const comma = await deliver(hubspot.source.id, hubspot.secret, deal({}, { amount: '12,50' }), { locale: 'pl' });
    expect(comma.status).toBe(422);
    expect(comma.type).toContain('application/problem+json');
    expect(comma.body).toMatchObject({ code: 'ERP_WEBHOOK_MAPPING_FAILED', errors: [{ field: '/body/properties/amount' }] });
    expect(comma.body.detail).toContain('/amount');
    expect(comma.body.detail).toContain('to nie jest kwota');
    const missing = await deliver(hubspot.source.id, hubspot.secret, deal({}, { partner_nip: undefined }));
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([{ field: '/body/properties/partner_nip', message: expect.stringContaining('/partner/nip') }]);
    // Mapped, but not a valid canonical event: the schema's complaint points back at the body.
    const longNip = await deliver(hubspot.source.id, hubspot.secret, deal({}, { partner_nip: '1'.repeat(30) }));
    expect(longNip.status).toBe(422);
    expect(longNip.body).toMatchObject({ code: 'ERP_WEBHOOK_EVENT_INVALID', errors: [{ field: '/body/properties/partner_nip' }] });
    const notJson = await deliver(hubspot.source.id, hubspot.secret, '{"id": 1,');
    expect(notJson.status).toBe(400);
    expect(notJson.body.code).toBe('ERP_WEBHOOK_BODY_INVALID');
    expect(await events()).toBe(before);
  });

  it('a deal for a partner nobody knows waits in the unmatched queue', async () => {
    const res = await deliver(hubspot.source.id, hubspot.secret, deal({}, { partner_nip: '5260250274' }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ result: 'posted', event: { status: 'unmatched', partnerId: null, points: 0 } });
    const queue = await t.get('/api/v1/earning/unmatched', { query: { programId } });
    expect(queue.body.items.map((e: { id: string }) => e.id)).toContain(res.body.event.id);
  });

  it('the delivery log shows every delivery: when, the webhook-id, the result and why', async () => {
    const log = await t.get(`/api/v1/erp-connectors/webhook-sources/${hubspot.source.id}/deliveries`, { query: { limit: 200 } });
    expect(log.status).toBe(200);
    const results = new Set(log.body.items.map((d: { result: string }) => d.result));
    for (const r of ['posted', 'replayed', 'unauthorized', 'rejected', 'ignored']) expect(results).toContain(r);
    const rejected = log.body.items.find((d: { error: { field: string } | null }) => d.error?.field === '/properties/amount');
    expect(rejected).toMatchObject({ result: 'rejected', httpStatus: 422, secretUsed: 'current', webhookId: expect.stringMatching(/^msg_/), receivedAt: expect.any(String), error: { code: 'ERP_WEBHOOK_MAPPING_FAILED', eventField: '/amount' } });
    const all = await t.get('/api/v1/erp-connectors/webhook-deliveries', { query: { sourceId: hubspot.source.id, result: 'rejected' } });
    expect(all.status).toBe(200);
    expect(all.body.items.length).toBeGreaterThan(0);
    expect(all.body.items.every((d: { sourceId: string; sourceName: string; result: string }) => d.sourceId === hubspot.source.id && d.sourceName === 'hubspot-deal-won source' && d.result === 'rejected')).toBe(true);
    const stale = await t.get(`/api/v1/erp-connectors/webhook-sources/${hubspot.source.id}/deliveries`, { query: { result: 'unauthorized' } });
    expect(stale.body.items.map((d: { error: { reason: string } }) => d.error.reason)).toEqual(expect.arrayContaining(['timestamp-stale', 'signature-mismatch', 'headers-missing']));
  });

  it('rotation: the old and the new secret both work until the expiry the admin set, then only the new one', async () => {
    const { source, secret: old } = await createSource('hubspot-deal-won', 'crm-rotate');
    const expiry = new Date(Date.now() + 2500);
    const rotated = await t.post(`/api/v1/erp-connectors/webhook-sources/${source.id}/rotate-secret`, { previousSecretExpiresAt: expiry.toISOString() });
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.secret as string;
    expect(fresh).not.toBe(old);
    expect(rotated.body.source).toMatchObject({ previousSecretHint: `${old.slice(0, 10)}…`, previousSecretExpiresAt: expiry.toISOString(), secretHint: `${fresh.slice(0, 10)}…` });
    const viaOld = await deliver(source.id, old, deal());
    const viaNew = await deliver(source.id, fresh, deal());
    expect([viaOld.status, viaNew.status]).toEqual([200, 200]);
    await new Promise((r) => setTimeout(r, Math.max(0, expiry.getTime() - Date.now()) + 100));
    const late = await deliver(source.id, old, deal());
    expect(late.status).toBe(401);
    expect(late.body.code).toBe('ERP_WEBHOOK_SIGNATURE_INVALID');
    expect((await deliver(source.id, fresh, deal())).status).toBe(200);
    const log = await t.get(`/api/v1/erp-connectors/webhook-sources/${source.id}/deliveries`);
    expect(log.body.items.filter((d: { result: string }) => d.result === 'posted').map((d: { secretUsed: string }) => d.secretUsed).sort()).toEqual(['current', 'current', 'previous']);
    const audit = await t.sql(`select data from audit_record where action = 'erp-connectors.webhook-source.secret-rotated' and subject_id = $1`, [source.id]);
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0])).not.toContain(fresh.slice(6));
    // The form's route: the source in the body, a date alone is the start of that day; a date that is not one is named.
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const viaForm = await t.post('/api/v1/erp-connectors/webhook-secret-rotations', { sourceId: source.id, previousSecretExpiresAt: tomorrow });
    expect(viaForm.status).toBe(200);
    expect(viaForm.body).toMatchObject({ sourceId: source.id, sourceName: 'hubspot-deal-won source', secret: expect.stringMatching(/^whsec_/), source: { previousSecretExpiresAt: `${tomorrow}T00:00:00.000Z` } });
    expect((await deliver(source.id, fresh, deal())).status).toBe(200);
    const notADate = await t.post('/api/v1/erp-connectors/webhook-secret-rotations', { sourceId: source.id, previousSecretExpiresAt: 'soon' });
    expect(notADate.status).toBe(400);
    expect(notADate.body.errors[0].field).toBe('/body/previousSecretExpiresAt');
    // An expiry too far ahead is refused at its field.
    const far = await t.post(`/api/v1/erp-connectors/webhook-sources/${source.id}/rotate-secret`, { previousSecretExpiresAt: new Date(Date.now() + 40 * 86_400_000).toISOString() });
    expect(far.status).toBe(400);
    expect(far.body.errors[0].field).toBe('/body/previousSecretExpiresAt');
  });

  it('the Pipedrive preset: a won deal names the partner by its code', async () => {
    const { source, secret } = await createSource('pipedrive-deal-won', 'crm-pipedrive');
    const body = structuredClone(PRESETS[1]!.example) as { data: { custom_fields: Record<string, string>; id: number; status: string } };
    body.data.custom_fields.partner_code = partner.partnerCode;
    const res = await deliver(source.id, secret, body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ result: 'posted', event: { type: 'deal.won', status: 'processed', partnerId: partner.id, points: 8400, externalId: 'pipedrive-deal:42' } });
    const lost = structuredClone(body);
    lost.data.status = 'lost';
    lost.data.id = 43;
    expect((await deliver(source.id, secret, lost)).body.result).toBe('ignored');
  });

  it('the paid-invoice preset releases the pending points of the invoice sent earlier under that id', async () => {
    const { source, secret } = await createSource('stripe-invoice-paid', 'erp-stripe');
    const issued = await t.post('/api/v1/earning/events', {
      type: 'invoice.issued',
      source: 'erp-stripe',
      externalId: 'in_1QxYyzAbCdEf',
      occurredAt: '2026-11-19T00:00:00.000Z',
      programId,
      partner: { nip: '1111111111' },
      number: 'F-2026-0042',
      currency: 'PLN',
      lines: [{ sku: 'PUMP-1', quantity: 1, netAmount: 1250050 }],
    });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ status: 'processed', points: 12500 });
    const res = await deliver(source.id, secret, PRESETS[2]!.example);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ result: 'posted', event: { type: 'invoice.paid', status: 'processed', points: 12500, externalId: 'paid:in_1QxYyzAbCdEf' } });
    expect(res.body.event.entries.some((e: { target: string; points: number }) => e.target === 'available' && e.points === 12500)).toBe(true);
  });

  it('an unknown source is a 404; a turned-off source posts nothing', async () => {
    const unknown = await deliver('0190f0f0-0000-7000-8000-000000000000', hubspot.secret, deal());
    expect(unknown.status).toBe(404);
    const { source, secret } = await createSource('hubspot-deal-won', 'crm-off');
    const off = await t.request('PATCH', `/api/v1/erp-connectors/webhook-sources/${source.id}`, { body: { enabled: false } });
    expect(off.status).toBe(200);
    expect(off.body.enabled).toBe(false);
    const before = await events();
    expect((await deliver(source.id, secret, deal())).status).toBe(409);
    expect(await events()).toBe(before);
    expect(await count(`select count(*)::int as n from audit_record where action = 'erp-connectors.webhook-source.updated' and subject_id = $1`, [source.id])).toBe(1);
  });

  it('fuzz: mutated bodies and headers, signed or not, are never answered with a 5xx', async () => {
    const seeds = [JSON.stringify(deal()), JSON.stringify(PRESETS[1]!.example), JSON.stringify(PRESETS[2]!.example)];
    const json = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v));
    const mutated = fc.tuple(fc.constantFrom(...seeds), fc.nat(), fc.string({ maxLength: 8 }), fc.nat({ max: 40 })).map(([s, at, insert, cut]) => {
      const i = at % (s.length + 1);
      return s.slice(0, i) + insert + s.slice(i + cut);
    });
    const body = fc.oneof(json, mutated, fc.string({ maxLength: 300 }), fc.constant(''));
    const header = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')), fc.integer().map(String));
    const runs = Number(process.env.FUZZ_RUNS ?? 150);
    let signedCount = 0;
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), header, header, header, fc.integer({ min: -1000, max: 1000 }), async (text, signed, id, ts, sig, skew) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (signed) {
          signedCount += 1;
          const wid = id || nextId();
          const stamp = now() + skew;
          Object.assign(headers, { 'webhook-id': wid, 'webhook-timestamp': String(stamp), 'webhook-signature': signWebhook(hubspot.secret, wid, stamp, text) });
        } else {
          for (const [k, v] of [['webhook-id', id], ['webhook-timestamp', ts], ['webhook-signature', sig]] as const) if (v !== undefined && v !== '') headers[k] = v;
        }
        const res = await fetch(`${base}/api/v1/erp-connectors/webhooks/${hubspot.source.id}`, { method: 'POST', headers, body: text });
        const answer = await res.text();
        expect(res.status, answer).toBeLessThan(500);
      }),
      { numRuns: runs, seed: Number(process.env.FUZZ_SEED ?? 7) },
    );
    expect(signedCount).toBeGreaterThan(runs / 4);
  }, 120_000);
});
