import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';
import { startTestSmtp, type TestSmtp } from '../../../../../test/smtp.ts';

/** Real, public identifiers (see fixtures/SOURCES.md). */
const rows = readFileSync(new URL('./fixtures/pl_identifiers.csv', import.meta.url), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
const validNips = rows.filter((r) => r[0] === 'NIP' && r[2] === 'true').map((r) => r[1]!);
const invalidNips = rows.filter((r) => r[0] === 'NIP' && r[2] === 'false').map((r) => r[1]!);
const validRegons = rows.filter((r) => r[0] === 'REGON' && r[2] === 'true').map((r) => r[1]!);

describe('partners: identity, onboarding, search, isolation', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let programId: string;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env: { SMTP_URL: smtp.url } });
    const program = await t.app.inject({
      method: 'POST',
      url: '/api/v1/programs',
      headers: t.adminHeaders,
      payload: { code: 'acme-pl', name: { en: 'ACME Partners', pl: 'ACME Partnerzy', ru: 'ACME Партнёры' }, currency: 'PLN', pointValueMinorPerThousand: 1000 },
    });
    expect(program.statusCode).toBe(201);
    programId = program.json().id;
    const live = await t.app.inject({ method: 'POST', url: `/api/v1/programs/${programId}/status`, headers: t.adminHeaders, payload: { status: 'live', reason: 'launch' } });
    expect(live.json().status).toBe('live');
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  const create = (body: Record<string, unknown>, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method: 'POST', url: '/api/v1/partners', headers, payload: { programId, type: 'distributor', ...body } });

  it('accepts the real NIPs and REGONs, normalizes them and derives the EU VAT number', async () => {
    const res = await create({ legalName: 'Orange Polska S.A.', nip: '526-025-09-95', regon: validRegons[0] });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ nip: '5260250995', euVat: 'PL5260250995', country: 'PL', status: 'active' });
    expect(res.json().partnerCode).toMatch(/^P\d{6}$/);
  });

  it('finds a partner by PartnerID, NIP, REGON or EU VAT number as ERPs write them, and nobody for unknown ones', async () => {
    const { partnerServiceRef } = await import('./index.ts');
    const partners = t.host.service(partnerServiceRef);
    const ctx = t.host.createContext({ requestId: 'find', locale: 'en', actor: { kind: 'system', name: 'test' }, em: t.orm.em.fork() as never, log: t.app.log });
    const orange = (await partners.findByIdentifier(ctx, programId, { nip: '526-025-09-95' }))!;
    expect(orange.legalName).toBe('Orange Polska S.A.');
    expect((await partners.findByIdentifier(ctx, programId, { euVat: 'pl 5260250995' }))?.id).toBe(orange.id);
    expect((await partners.findByIdentifier(ctx, programId, { regon: orange.regon! }))?.id).toBe(orange.id);
    expect((await partners.findByIdentifier(ctx, programId, { partnerCode: orange.partnerCode }))?.id).toBe(orange.id);
    expect(await partners.findByIdentifier(ctx, programId, { nip: '1111111111' })).toBeNull();
    expect(await partners.findByIdentifier(ctx, programId, {})).toBeNull();
  });

  it('rejects every invalid real NIP with a 422 naming the field, in the language of the person', async () => {
    expect(invalidNips.length).toBeGreaterThan(0);
    const polishManager = await t.signInAs(['program-manager'], { locale: 'pl' });
    for (const nip of invalidNips) {
      const res = await create({ legalName: 'Bad NIP sp. z o.o.', nip }, polishManager);
      expect(res.statusCode, nip).toBe(422);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual(['/body/nip']);
      expect(res.json().detail).toMatch(/NIP/);
      expect(res.json().title).toBe('Nie można przetworzyć żądania');
    }
  });

  it('refuses the same NIP twice in one program with a 409', async () => {
    const nip = validNips[1]!;
    expect((await create({ legalName: 'PKO BP', nip })).statusCode).toBe(201);
    const again = await create({ legalName: 'PKO BP again', nip: `PL ${nip}` });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'PARTNERS_NIP_TAKEN', errors: [{ field: '/body/nip' }] });
  });

  it('validates foreign EU VAT numbers without a NIP', async () => {
    const de = await create({ legalName: 'Muster GmbH', country: 'DE', euVat: 'DE123456789', type: 'integrator' });
    expect(de.statusCode).toBe(201);
    const gr = await create({ legalName: 'Hellas AE', country: 'GR', euVat: 'GR123456789' });
    expect(gr.statusCode).toBe(422);
    expect(gr.json().code).toBe('PARTNERS_EU_VAT_COUNTRY');
  });

  it('pages through partners by name with a keyset cursor, no duplicates and no gaps', async () => {
    const names = ['Alfa', 'Beta', 'Gamma', 'Delta', 'Epsilon', 'Zeta', 'Eta'].map((n) => `Keyset ${n} Sp. z o.o.`);
    for (const [i, name] of names.entries()) {
      expect((await create({ legalName: name, country: 'DE', euVat: `DE10000000${i}`, type: 'reseller', region: 'keyset' })).statusCode).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v1/partners?region=keyset&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await t.app.inject({ method: 'GET', url, headers: t.adminHeaders });
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items.map((p: { legalName: string }) => p.legalName));
      cursor = res.json().nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...names].sort());
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/partners?cursor=nonsense', headers: t.adminHeaders });
    expect(bad.statusCode).toBe(422);
  });

  it('finds partners by NIP and name', async () => {
    const byNip = await t.app.inject({ method: 'GET', url: `/api/v1/partners?q=${validNips[1]}`, headers: t.adminHeaders });
    expect(byNip.json().items.map((p: { legalName: string }) => p.legalName)).toEqual(['PKO BP']);
    const byName = await t.app.inject({ method: 'GET', url: '/api/v1/partners?q=orange', headers: t.adminHeaders });
    expect(byName.json().items).toHaveLength(1);
  });

  it('onboards a company end to end: application, approval, invitation mail, partner admin, colleague', async () => {
    const manager = await t.signInAs(['program-manager']);
    const nip = validNips[2]!;
    const applied = await t.app.inject({
      method: 'POST',
      url: '/api/v1/partners/applications',
      payload: { programCode: 'acme-pl', legalName: 'Hurtownia Testowa Sp. z o.o.', nip, type: 'wholesaler', applicant: { name: 'Anna Nowak', email: 'Anna.Nowak@hurtownia.test', locale: 'pl' } },
    });
    expect(applied.statusCode).toBe(201);
    expect(applied.json().status).toBe('applied');
    const duplicate = await t.app.inject({
      method: 'POST',
      url: '/api/v1/partners/applications',
      payload: { programCode: 'acme-pl', legalName: 'Again', nip, type: 'wholesaler', applicant: { name: 'X', email: 'x@x.test', locale: 'en' } },
    });
    expect(duplicate.statusCode).toBe(409);

    const approved = await t.app.inject({ method: 'POST', url: `/api/v1/partners/${applied.json().id}/approve`, headers: manager, payload: { accountManagerId: manager.userId } });
    expect(approved.statusCode).toBe(200);
    expect(approved.json().partner.status).toBe('active');
    await t.outbox.drainUntilIdle();
    const mail = await smtp.waitFor((m) => m.to.includes('anna.nowak@hurtownia.test'));
    const token = /\/invitation\/([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
    expect(token, mail.text).toBeTruthy();

    const accepted = await t.app.inject({ method: 'POST', url: '/api/v1/access/invitations/accept', payload: { token, password: 'a long enough password' } });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json().user).toMatchObject({ kind: 'partner', roles: ['partner-admin'], locale: 'pl' });
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/access/invitations/accept', payload: { token, password: 'a long enough password' } });
    expect(again.statusCode).toBe(410);

    const signIn = await t.app.inject({ method: 'POST', url: '/api/v1/access/sign-in', payload: { email: 'anna.nowak@hurtownia.test', password: 'a long enough password' } });
    const partnerAdmin = { cookie: `laurel_session=${signIn.cookies.find((c) => c.name === 'laurel_session')!.value}`, 'x-csrf-token': signIn.json().csrfToken as string };
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/partners/me', headers: partnerAdmin });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ partner: { legalName: 'Hurtownia Testowa Sp. z o.o.' }, accountManager: { id: manager.userId, email: manager.email }, programName: { pl: 'ACME Partnerzy' } });

    const invited = await t.app.inject({ method: 'POST', url: '/api/v1/access/team/invitations', headers: partnerAdmin, payload: { email: 'jan@hurtownia.test', displayName: 'Jan Kowalski', role: 'partner-user', locale: 'ru' } });
    expect(invited.statusCode).toBe(201);
    await t.outbox.drainUntilIdle();
    const colleagueMail = await smtp.waitFor((m) => m.to.includes('jan@hurtownia.test'));
    expect(colleagueMail.subject).toMatch(/[а-яА-Я]/);
    const team = await t.app.inject({ method: 'GET', url: '/api/v1/access/team', headers: partnerAdmin });
    expect(team.json().items.map((u: { email: string }) => u.email).sort()).toEqual(['anna.nowak@hurtownia.test', 'jan@hurtownia.test']);

    // the partner admin cannot see any other partner, nor staff
    const other = await t.app.inject({ method: 'GET', url: `/api/v1/partners?q=orange`, headers: partnerAdmin });
    expect(other.statusCode).toBe(403);
    const users = await t.app.inject({ method: 'GET', url: '/api/v1/access/users', headers: partnerAdmin });
    expect(users.statusCode).toBe(403);

    const audit = await t.app.inject({ method: 'GET', url: `/api/v1/audit/records?subjectId=${applied.json().id}`, headers: t.adminHeaders });
    expect(audit.json().items.map((r: { action: string }) => r.action)).toEqual(expect.arrayContaining(['partners.partner.applied', 'partners.application.approved']));
  });

  it('suspends with a reason and records before and after', async () => {
    const p = (await create({ legalName: 'Suspend Me', country: 'DE', euVat: 'DE999999999' })).json();
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/partners/${p.id}/status`, headers: t.adminHeaders, payload: { status: 'suspended', reason: 'unpaid invoices' } });
    expect(res.json()).toMatchObject({ status: 'suspended', statusReason: 'unpaid invoices' });
    const bad = await t.app.inject({ method: 'POST', url: `/api/v1/partners/${p.id}/status`, headers: t.adminHeaders, payload: { status: 'applied', reason: 'x' } });
    expect(bad.statusCode).toBe(409);
    const audit = await t.app.inject({ method: 'GET', url: `/api/v1/audit/records?subjectId=${p.id}`, headers: t.adminHeaders });
    const change = audit.json().items.find((r: { action: string }) => r.action === 'partners.partner.status-changed');
    expect(change.data).toEqual({ before: { status: 'active' }, after: { status: 'suspended' }, reason: 'unpaid invoices' });
  });

  it('keeps an admin scoped to some programs out of the others', async () => {
    const other = (
      await t.app.inject({ method: 'POST', url: '/api/v1/programs', headers: t.adminHeaders, payload: { code: 'other-brand', name: { en: 'O', pl: 'O', ru: 'O' }, currency: 'EUR', pointValueMinorPerThousand: 250 } })
    ).json();
    const foreignPartner = (await t.app.inject({ method: 'POST', url: '/api/v1/partners', headers: t.adminHeaders, payload: { programId: other.id, legalName: 'Other Brand Dealer', country: 'DE', euVat: 'DE111111111', type: 'dealer' } })).json();
    const scoped = await t.signInAs(['program-manager']);
    const patch = await t.app.inject({ method: 'PATCH', url: `/api/v1/access/users/${scoped.userId}`, headers: t.adminHeaders, payload: { programIds: [programId] } });
    expect(patch.json().programIds).toEqual([programId]);
    const programs = await t.app.inject({ method: 'GET', url: '/api/v1/programs', headers: scoped });
    expect(programs.json().items.map((p: { id: string }) => p.id)).toEqual([programId]);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/partners/${foreignPartner.id}`, headers: scoped })).statusCode).toBe(404);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/partners?limit=200', headers: scoped });
    expect(list.json().items.some((p: { programId: string }) => p.programId === other.id)).toBe(false);
    const create = await t.app.inject({ method: 'POST', url: '/api/v1/partners', headers: scoped, payload: { programId: other.id, legalName: 'Sneaky', country: 'DE', euVat: 'DE222222222', type: 'dealer' } });
    expect(create.statusCode).toBe(404);
  });
});
