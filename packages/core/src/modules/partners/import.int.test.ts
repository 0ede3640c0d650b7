import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';

describe('partners: CSV import', () => {
  let t: TestApp;
  let programId: string;
  let polish: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase() });
    programId = (
      await t.app.inject({ method: 'POST', url: '/api/v1/programs', headers: t.adminHeaders, payload: { code: 'csv', name: { en: 'C', pl: 'C', ru: 'C' }, currency: 'PLN', pointValueMinorPerThousand: 1000 } })
    ).json().id;
    polish = await t.signInAs(['program-manager'], { locale: 'pl' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const upload = (csv: string, query = '', headers = polish) =>
    t.app.inject({ method: 'POST', url: `/api/v1/partners/imports?programId=${programId}${query}`, headers: { ...headers, 'content-type': 'text/csv' }, payload: csv });

  const file = [
    'legalName,nip,type,region,accountManagerEmail',
    'Orange Polska S.A.,526-025-09-95,distributor,mazowieckie,',
    'Zła Firma,5260250996,dealer,,',
    '"Hurt, Import i Eksport",5250007738,wholesaler,śląskie,',
    'Nieznany Typ,1234563218,plumber,,',
    'Orange again,5260250995,reseller,,',
  ].join('\n');

  it('reports every bad row with line, column and reason in the person’s language, and imports nothing', async () => {
    const res = await upload(file);
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body.code).toBe('PARTNERS_IMPORT_INVALID');
    expect(body.detail).toBe('Plik ma 3 błędne wiersze; niczego nie zaimportowano.');
    expect(body.errors.map((e: { field: string }) => e.field)).toEqual(['/csv/3/nip', '/csv/5/type', '/csv/6/nip']);
    expect(body.errors[0].message).toMatch(/^Wiersz 3, nip: NIP 5260250996 ma błędną cyfrę kontrolną/);
    expect(body.errors[2].message).toContain('wierszu 2');
    const list = await t.app.inject({ method: 'GET', url: `/api/v1/partners?programId=${programId}`, headers: t.adminHeaders });
    expect(list.json().items).toEqual([]);
  });

  it('imports the good rows when asked, in the background with progress, and a re-run creates no duplicates', async () => {
    const dry = await upload(file, '&importGood=true&dryRun=true');
    expect(dry.json()).toMatchObject({ report: { total: 5, valid: 2, alreadyPresent: 0 }, import: null });

    const started = await upload(file, '&importGood=true');
    expect(started.statusCode).toBe(202);
    const job = started.json().import;
    expect(job).toMatchObject({ status: 'running', total: 2, processed: 0 });
    expect(started.json().report.problems).toHaveLength(3);
    await t.outbox.drainUntilIdle();
    const done = await t.app.inject({ method: 'GET', url: `/api/v1/partners/imports/${job.id}`, headers: polish });
    expect(done.json()).toMatchObject({ status: 'done', processed: 2, created: 2, skipped: 0 });
    const names = (await t.app.inject({ method: 'GET', url: `/api/v1/partners?programId=${programId}`, headers: t.adminHeaders })).json().items.map((p: { legalName: string }) => p.legalName);
    expect(names).toEqual(['Hurt, Import i Eksport', 'Orange Polska S.A.']);

    const again = await upload(file, '&importGood=true');
    expect(again.json().report).toMatchObject({ valid: 0, alreadyPresent: 2 });
    expect(again.json().import).toBeNull();
    await t.outbox.drainUntilIdle();
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/partners?programId=${programId}`, headers: t.adminHeaders })).json().items).toHaveLength(2);
  });

  it('reads semicolon-separated files with a BOM, as spreadsheets in Poland save them', async () => {
    const csv = '\uFEFFlegalName;nip;type;segments\r\n"Spółka; z kropką";1132853869;integrator;VIP|strategic\r\n';
    const res = await upload(csv, '&dryRun=true');
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().report).toMatchObject({ total: 1, valid: 1, problems: [] });
  });

  it('names unknown and missing columns', async () => {
    const res = await upload('name,nip\nX,5260250995\n', '', t.adminHeaders);
    expect(res.statusCode).toBe(422);
    expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual(['/csv/1/name', '/csv/1/legalName', '/csv/1/type']);
  });
});
