import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_PASSWORD, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';
import { startTestSmtp, type TestSmtp } from '../../../../../test/smtp.ts';

function sessionOf(res: { cookies: { name: string; value: string }[]; json(): unknown }) {
  const cookie = res.cookies.find((c) => c.name === 'laurel_session');
  return { cookie: `laurel_session=${cookie?.value ?? ''}`, 'x-csrf-token': (res.json() as { csrfToken: string }).csrfToken };
}

describe('access: sign-in, sessions, CSRF, invitations, password reset, API keys', () => {
  let t: TestApp;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await startTestApp({ databaseUrl: await createTestDatabase(), env: { SMTP_URL: smtp.url } });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  const signIn = (email: string, password: string, ip = '10.0.0.1') =>
    t.app.inject({ method: 'POST', url: '/api/v1/access/sign-in', payload: { email, password }, remoteAddress: ip });

  it('sets an httpOnly SameSite session cookie and reports the permissions of the roles', async () => {
    const user = await t.signInAs(['finance']);
    const res = await signIn(user.email, TEST_PASSWORD);
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === 'laurel_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    const session = await t.app.inject({ method: 'GET', url: '/api/v1/access/session', headers: sessionOf(res) });
    expect(session.json().permissions).toEqual(expect.arrayContaining(['audit:read', 'partners:read', 'programs:read']));
    expect(session.json().permissions).not.toContain('users:manage');
    expect(session.json().csrfToken).toBe(res.json().csrfToken);
  });

  it('answers an unknown account and a wrong password alike, then throttles guessing', async () => {
    const user = await t.signInAs(['support']);
    const wrong = await signIn(user.email, 'not the password', '10.0.0.2');
    const unknown = await signIn('nobody@nowhere.test', 'not the password', '10.0.0.2');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().detail).toBe(unknown.json().detail);
    expect(wrong.json().code).toBe('ACCESS_INVALID_CREDENTIALS');
    for (let i = 0; i < 4; i += 1) await signIn(user.email, 'still wrong', '10.0.0.2');
    const locked = await signIn(user.email, TEST_PASSWORD, '10.0.0.2');
    expect(locked.statusCode).toBe(429);
    expect(locked.json().code).toBe('ACCESS_SIGN_IN_THROTTLED');
  });

  it('refuses a cookie-authenticated change without the CSRF token', async () => {
    const without = await t.app.inject({ method: 'PATCH', url: '/api/v1/access/me', headers: { cookie: t.adminHeaders.cookie }, payload: { locale: 'ru' } });
    expect(without.statusCode).toBe(403);
    expect(without.json().code).toBe('CSRF_TOKEN_INVALID');
    const wrong = await t.app.inject({ method: 'PATCH', url: '/api/v1/access/me', headers: { cookie: t.adminHeaders.cookie, 'x-csrf-token': 'forged' }, payload: { locale: 'ru' } });
    expect(wrong.statusCode).toBe(403);
    const ok = await t.app.inject({ method: 'PATCH', url: '/api/v1/access/me', headers: t.adminHeaders, payload: { locale: 'ru' } });
    expect(ok.statusCode).toBe(200);
    // the person's language now wins over Accept-Language
    const problem = await t.app.inject({ method: 'GET', url: '/api/v1/partners/not-a-uuid', headers: { ...t.adminHeaders, 'accept-language': 'en' } });
    expect(problem.json().title).toBe('Некорректный запрос');
    await t.app.inject({ method: 'PATCH', url: '/api/v1/access/me', headers: t.adminHeaders, payload: { locale: 'en' } });
  });

  it('signs out everywhere', async () => {
    const user = await t.signInAs(['marketing']);
    const second = sessionOf(await signIn(user.email, TEST_PASSWORD, '10.0.0.3'));
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/access/sign-out-everywhere', headers: second });
    expect(out.json().sessions).toBe(2);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/access/session', headers: user })).statusCode).toBe(401);
  });

  it('invites an admin by e-mail in their language; the link works once', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/access/users', headers: t.adminHeaders, payload: { email: 'Ewa@Example.test', displayName: 'Ewa', kind: 'admin', roles: ['finance'], locale: 'pl' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ email: 'ewa@example.test', status: 'invited' });
    await t.outbox.drainUntilIdle();
    const mail = await smtp.waitFor((m) => m.to.includes('ewa@example.test'));
    expect(mail.subject).toMatch(/zaprasza/);
    const token = /\/invitation\/([A-Za-z0-9_-]+)/.exec(mail.text)![1];
    const weak = await t.app.inject({ method: 'POST', url: '/api/v1/access/invitations/accept', payload: { token, password: 'short' }, headers: { 'accept-language': 'pl' } });
    expect(weak.statusCode).toBe(422);
    expect(weak.json().errors).toEqual([{ field: '/body/password', message: 'Hasło musi mieć co najmniej 10 znaków.' }]);
    const accepted = await t.app.inject({ method: 'POST', url: '/api/v1/access/invitations/accept', payload: { token, password: 'ewa has a good password' } });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json().user.status).toBe('active');
    const duplicate = await t.app.inject({ method: 'POST', url: '/api/v1/access/users', headers: t.adminHeaders, payload: { email: 'ewa@example.test', displayName: 'Ewa 2', kind: 'admin', roles: ['finance'], locale: 'pl' } });
    expect(duplicate.statusCode).toBe(409);
  });

  it('resets a password through the mailed link and signs out every old session', async () => {
    const user = await t.signInAs(['support'], { locale: 'ru' });
    const asked = await t.app.inject({ method: 'POST', url: '/api/v1/access/password-reset', payload: { email: user.email } });
    const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/access/password-reset', payload: { email: 'ghost@nowhere.test' } });
    expect(asked.statusCode).toBe(202);
    expect(unknown.statusCode).toBe(202);
    expect(unknown.body).toBe(asked.body);
    await t.outbox.drainUntilIdle();
    const mail = await smtp.waitFor((m) => m.to.includes(user.email));
    expect(mail.subject).toMatch(/[а-яА-Я]/);
    const token = /\/password-reset\/([A-Za-z0-9_-]+)/.exec(mail.text)![1];
    const done = await t.app.inject({ method: 'POST', url: '/api/v1/access/password-reset/complete', payload: { token, password: 'a brand new password' } });
    expect(done.statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/access/session', headers: user })).statusCode).toBe(401);
    expect((await signIn(user.email, TEST_PASSWORD, '10.0.0.4')).statusCode).toBe(401);
    expect((await signIn(user.email, 'a brand new password', '10.0.0.4')).statusCode).toBe(200);
  });

  it('creates scoped API keys shown once, enforces their scopes, revokes them', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/access/api-keys', headers: t.adminHeaders, payload: { name: 'erp', scopes: ['partners:read'] } });
    expect(created.statusCode).toBe(201);
    const { key, apiKey } = created.json();
    expect(key).toMatch(/^lrl_/);
    const listed = await t.app.inject({ method: 'GET', url: '/api/v1/access/api-keys', headers: t.adminHeaders });
    expect(listed.body).not.toContain(key.slice('lrl_'.length + 11));
    expect(listed.json().items[0].prefix).toBe(key.slice(4, 14));
    const bearer = { authorization: `Bearer ${key}` };
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/partners', headers: bearer })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/partners', headers: bearer, payload: {} })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/access/users', headers: bearer })).statusCode).toBe(403);
    const shown = (await t.app.inject({ method: 'GET', url: '/api/v1/access/api-keys', headers: t.adminHeaders })).json().items.find((k: { id: string }) => k.id === apiKey.id);
    expect(shown.lastUsedAt).not.toBeNull();
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/access/api-keys', headers: t.adminHeaders, payload: { name: 'x', scopes: ['users:manage', 'nonsense'] } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors[0].field).toBe('/body/scopes');
    await t.app.inject({ method: 'DELETE', url: `/api/v1/access/api-keys/${apiKey.id}`, headers: t.adminHeaders });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/partners', headers: bearer })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/partners', headers: { authorization: 'Bearer lrl_nope' } })).statusCode).toBe(401);
  });

  it('lets only admins manage people', async () => {
    const support = await t.signInAs(['support']);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/access/users', headers: support, payload: { email: 'x@y.test', displayName: 'X', kind: 'admin', roles: ['admin'], locale: 'en' } });
    expect(res.statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/access/users', headers: support })).statusCode).toBe(200);
  });

  it('keeps an audit trail of admin actions with actor, IP and before/after, filterable and paginated', async () => {
    const admin = await t.signInAs(['admin']);
    for (const name of ['a', 'b', 'c']) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/access/api-keys', headers: admin, payload: { name, scopes: ['programs:read'] }, remoteAddress: '192.0.2.7' });
      expect(res.statusCode).toBe(201);
    }
    const page1 = await t.app.inject({ method: 'GET', url: `/api/v1/audit/records?action=access.api-key.&actorId=${admin.userId}&limit=2`, headers: t.adminHeaders });
    expect(page1.statusCode).toBe(200);
    expect(page1.json().items).toHaveLength(2);
    expect(page1.json().items[0]).toMatchObject({ action: 'access.api-key.created', ip: '192.0.2.7', actor: { kind: 'user', userId: admin.userId }, data: { after: { name: 'c' } } });
    const page2 = await t.app.inject({ method: 'GET', url: `/api/v1/audit/records?action=access.api-key.&actorId=${admin.userId}&limit=2&cursor=${page1.json().nextCursor}`, headers: t.adminHeaders });
    expect(page2.json().items.map((r: { data: { after: { name: string } } }) => r.data.after.name)).toEqual(['a']);
    expect(page2.json().nextCursor).toBeNull();
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/audit/records?cursor=bm9wZQ', headers: t.adminHeaders });
    expect(bad.statusCode).toBe(422);
  });

  it('builds mailed links from the origin the browser used, as forwarded by the web app on loopback', async () => {
    const user = await t.signInAs(['marketing']);
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/access/password-reset',
      payload: { email: user.email },
      headers: { 'x-forwarded-host': 'loyalty.example.com', 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.9' },
    });
    await t.outbox.drainUntilIdle();
    const mail = await smtp.waitFor((m) => m.to.includes(user.email));
    expect(mail.text).toContain('https://loyalty.example.com/password-reset/');
  });
});
