import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { coreModules, runMigrations } from '@laurel/core';
import { createTestDatabase } from '../../../../test/database.ts';

describe('HTTP contract: problem+json, health, metrics, OpenAPI', () => {
  let t: TestApp;
  let databaseUrl: string;
  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    t = await startTestApp({ databaseUrl });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers malformed JSON with 400 MALFORMED_JSON in the caller language', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/access/sign-in',
      headers: { 'content-type': 'application/json', 'accept-language': 'pl-PL,pl;q=0.9' },
      payload: '{"subject": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.json()).toMatchObject({ code: 'MALFORMED_JSON', status: 400, title: 'Nieprawidłowe żądanie', detail: 'Treść żądania nie jest poprawnym JSON-em.' });
  });

  it('names every invalid field of a schema violation, in the language of the signed-in person', async () => {
    const russianAdmin = await t.signInAs(['admin'], { locale: 'ru' });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/system/approvals',
      headers: { ...russianAdmin, 'accept-language': 'en' },
      payload: { timeoutSeconds: -5, colour: 'red' },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('VALIDATION_FAILED');
    const fields = body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['/body/colour', '/body/subject', '/body/timeoutSeconds']);
    expect(body.detail).toBe(`В запросе 3 некорректных поля: ${body.errors.map((e: { field: string }) => e.field).join(', ')}.`);
    expect(body.errors.find((e: { field: string }) => e.field === '/body/subject').message).toMatch(/[а-я]/);
  });

  it('serves the event inbox at /api/v1/events as well: the same route, the same answers', async () => {
    const { authorization } = await t.apiKeyHeaders(['events:write']);
    const bad = { type: 'invoice.issued', source: 'erp', externalId: 'x-1' };
    for (const url of ['/api/v1/events', '/api/v1/earning/events']) {
      const res = await t.app.inject({ method: 'POST', url, headers: { authorization }, payload: bad });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().instance, url).toBe('/api/v1/earning/events');
    }
    const batch = await t.app.inject({ method: 'POST', url: '/api/v1/events/batch', headers: { authorization }, payload: { events: [] } });
    expect(batch.statusCode).toBe(400);
    expect(batch.json().errors.map((e: { field: string }) => e.field)).toContain('/body/events');
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/eventsx' })).statusCode).toBe(404);
  });

  it('answers an unknown API route with a problem+json 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/nothing/here?x=1', headers: { 'accept-language': 'en' } });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND', detail: 'Nothing exists at GET /api/v1/nothing/here.', instance: '/api/v1/nothing/here' });
  });

  it('prefers the locale cookie over Accept-Language', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/nothing', headers: { cookie: 'laurel_locale=ru', 'accept-language': 'pl' } });
    expect(res.json().title).toBe('Не найдено');
  });

  it('refuses protected routes without credentials, with wrong ones, and without the permission', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/api/v1/audit/records' });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('UNAUTHORIZED');
    const wrong = await t.app.inject({ method: 'GET', url: '/api/v1/audit/records', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    const marketing = await t.signInAs(['marketing']);
    const denied = await t.app.inject({ method: 'GET', url: '/api/v1/audit/records', headers: marketing });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().code).toBe('FORBIDDEN');
  });

  it('reports readiness with PostgreSQL and Temporal as separate components', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', components: { postgres: { status: 'up' }, temporal: { status: 'disabled' } } });
    expect((await t.app.inject({ method: 'GET', url: '/health/live' })).json()).toEqual({ status: 'ok' });
  });

  it('echoes a request id and exposes Prometheus metrics', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers['x-request-id']).toBe('abc-123');
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('laurel_http_request_duration_seconds_bucket');
    expect(metrics.body).toContain('laurel_process_cpu_user_seconds_total');
  });

  it('serves OpenAPI 3.1 with the admin security scheme and a readable reference', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/api/v1/system/approvals'].post.security).toEqual([{ apiKey: [] }, { session: [] }]);
    expect(doc.paths['/api/v1/access/sign-in'].post.security).toBeUndefined();
    expect(doc.paths['/api/v1/system/approvals'].post.responses.default.content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(Object.keys(doc.components.schemas.Problem.properties)).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'code', 'requestId', 'errors']));
    const docs = await t.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });

  it('migrates idempotently: a second run applies nothing', async () => {
    const report = await runMigrations(databaseUrl, coreModules);
    expect(report.applied).toEqual([]);
    expect(report.alreadyApplied).toBeGreaterThanOrEqual(3);
  });

  it('refuses an applied migration whose text changed', async () => {
    const tampered = coreModules.map((m) => (m.id === 'audit' ? { ...m, migrations: [{ name: '0001_audit_record', up: 'select 1' }] } : m));
    await expect(runMigrations(databaseUrl, tampered)).rejects.toThrow('Plugin "audit": migration "0001_audit_record" was changed after it was applied; add a new migration instead');
  });
});
