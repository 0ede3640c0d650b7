import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { AppError, LOCALES, Type, definePlugin, type PluginDefinition } from '@laurel/plugin-sdk';
import { buildApp, loadConfig, mailServiceRef, runMigrations, type LaurelApp } from '@laurel/core';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';
import { startTestSmtp, type TestSmtp } from '../../../../../test/smtp.ts';

/** A plugin written for the test: one route that asks the mail service for a message inside a transaction. */
function mailProbe(): PluginDefinition {
  return definePlugin({
    id: 'mail-probe',
    version: '1.0.0',
    compatibility: '^0.1.0',
    dependsOn: ['mail'],
    setup(ctx) {
      const mail = ctx.inject(mailServiceRef);
      ctx.routes((router) => {
        router.post(
          '/send',
          {
            config: { access: 'public' },
            schema: {
              body: Type.Object({
                to: Type.String(),
                locale: Type.Union(LOCALES.map((l) => Type.Literal(l))),
                template: Type.String(),
                params: Type.Record(Type.String(), Type.Unknown()),
                rollback: Type.Optional(Type.Boolean()),
              }),
            },
          },
          async (request, reply) => {
            const c = request.ctx;
            const { rollback, ...message } = request.body;
            await c.em.transactional(async () => {
              mail().send(c, message);
              if (rollback) throw new AppError('MAIL_PROBE_ROLLED_BACK', 409);
            });
            return reply.status(202).send({ queued: true });
          },
        );
      });
    },
  });
}

const INVITATION = {
  inviterName: 'Zoë <script>alert("x")</script> & Co',
  programName: 'Złoci "Partnerzy"',
  link: 'https://loyalty.example.test/invitation/tok3n?lang=pl&src=mail',
  expiresAt: '2026-03-12T14:05:00.000Z',
};

async function query<T>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    return (await db.query(sql, params)).rows as T[];
  } finally {
    await db.end();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('mail through a real SMTP server', () => {
  let smtp: TestSmtp;
  let t: TestApp;
  let databaseUrl: string;

  const send = (body: object, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/api/v1/mail-probe/send', payload: body, headers });

  beforeAll(async () => {
    smtp = await startTestSmtp();
    databaseUrl = await createTestDatabase();
    t = await startTestApp({ databaseUrl, plugins: [mailProbe()], env: { SMTP_URL: smtp.url, MAIL_FROM: 'Laurel Loyalty <loyalty@example.test>' } });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  it('sends nothing until the outbox delivers, then the invitation in Polish, parameters interpolated and escaped', async () => {
    // The caller speaks English; the recipient reads Polish.
    const res = await send({ to: 'anna@example.test', locale: 'pl', template: 'invitation', params: INVITATION }, { 'accept-language': 'en' });
    expect(res.statusCode).toBe(202);
    expect(smtp.messages()).toEqual([]);
    const [event] = await query<{ id: string }>(databaseUrl, `select id from laurel_outbox_event where name = 'mail.message.requested' and payload->>'to' = $1`, ['anna@example.test']);
    expect(event).toBeDefined();

    expect(await t.outbox.drainUntilIdle()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    const mail = await smtp.waitFor((m) => m.to.includes('anna@example.test'));
    expect(mail.from).toBe('"Laurel Loyalty" <loyalty@example.test>');
    expect(mail.messageId).toBe(`<${event!.id}@example.test>`);
    expect(mail.subject).toBe('Zoë <script>alert("x")</script> & Co zaprasza Cię do programu Złoci "Partnerzy"');
    expect(mail.text).toContain('Dzień dobry,');
    expect(mail.text).toContain('Zoë <script>alert("x")</script> & Co zaprasza Cię do programu Złoci "Partnerzy" w Laurel.');
    expect(mail.text).toContain('https://loyalty.example.test/invitation/tok3n?lang=pl&src=mail');
    expect(mail.text).toContain('Link jest ważny do 12 marca 2026');
    expect(mail.html).toContain('<html lang="pl">');
    expect(mail.html).toContain('Zoë &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co zaprasza Cię do programu Złoci &quot;Partnerzy&quot; w Laurel.');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('<a href="https://loyalty.example.test/invitation/tok3n?lang=pl&amp;src=mail">');
  });

  it('sends a password reset in Russian', async () => {
    const res = await send({ to: 'ivan@example.test', locale: 'ru', template: 'passwordReset', params: { link: 'https://loyalty.example.test/reset/<x>', expiresAt: '2026-03-12T14:05:00Z' } });
    expect(res.statusCode).toBe(202);
    expect(await t.outbox.drainUntilIdle()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    const mail = await smtp.waitFor((m) => m.to.includes('ivan@example.test'));
    expect(mail.subject).toBe('Сброс пароля в Laurel');
    expect(mail.text).toContain('Здравствуйте!');
    expect(mail.text).toContain('Мы получили запрос на сброс пароля');
    expect(mail.text).toContain('https://loyalty.example.test/reset/<x>');
    expect(mail.text).toContain('Ссылка действительна до 12 марта 2026');
    expect(mail.html).toContain('<html lang="ru">');
    expect(mail.html).toContain('https://loyalty.example.test/reset/&lt;x&gt;');
    expect(mail.html).not.toContain('/reset/<x>');
  });

  it('sends nothing for a rolled-back transaction', async () => {
    const before = smtp.messages().length;
    const res = await send({ to: 'rolled-back@example.test', locale: 'en', template: 'passwordReset', params: { link: 'https://x.test/r', expiresAt: new Date().toISOString() }, rollback: true });
    expect(res.statusCode).toBe(409);
    expect(await t.outbox.drainUntilIdle()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    expect(smtp.messages()).toHaveLength(before);
  });

  it('refuses a malformed recipient, an unknown template and missing parameters in the caller transaction', async () => {
    const bad = await send({ to: 'not-an-address', locale: 'en', template: 'invitation', params: INVITATION }, { 'accept-language': 'pl' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({ code: 'MAIL_INVALID_RECIPIENT', detail: '„not-an-address” nie jest prawidłowym adresem e-mail.' });
    expect((await send({ to: 'a@example.test', locale: 'en', template: 'welcome', params: {} })).statusCode).toBe(500);
    expect((await send({ to: 'a@example.test', locale: 'en', template: 'invitation', params: { link: 'https://x.test' } })).statusCode).toBe(500);
    const rows = await query(databaseUrl, `select 1 from laurel_outbox_event where payload->>'to' in ('not-an-address', 'a@example.test')`);
    expect(rows).toEqual([]);
  });

  it('keeps a message while the SMTP server is down and delivers it once the server is back', async () => {
    const port = smtp.port;
    await smtp.stop();
    const res = await send({ to: 'outage@example.test', locale: 'en', template: 'passwordReset', params: { link: 'https://x.test/r/1', expiresAt: '2026-03-12T14:05:00Z' } });
    expect(res.statusCode).toBe(202);

    expect(await t.outbox.drainOnce()).toEqual({ delivered: 0, retried: 1, dead: 0 });
    const [pending] = await query<{ status: string; attempts: number; last_error: string }>(
      databaseUrl,
      `select d.status, d.attempts, d.last_error from laurel_outbox_delivery d join laurel_outbox_event e on e.id = d.event_id
        where e.payload->>'to' = 'outage@example.test' and d.listener = 'mail:smtp-send'`,
    );
    expect(pending).toMatchObject({ status: 'pending', attempts: 1 });
    expect(pending!.last_error).toMatch(/ECONNREFUSED/);

    // The same server comes back on the same port.
    smtp = await startTestSmtp({ port });
    await sleep(20);
    expect(await t.outbox.drainUntilIdle()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    const mail = await smtp.waitFor((m) => m.to.includes('outage@example.test'));
    expect(mail.subject).toBe('Reset your Laurel password');
    expect(mail.text).toContain('March 12, 2026 at 2:05 PM UTC');
  });

  it('has no caught-mail route without a catcher (a production server)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/mail/caught' });
    expect(res.statusCode).toBe(404);
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(Object.keys(doc.paths)).not.toContain('/api/v1/mail/caught');
    expect(t.host.isPermission('mail:read-caught')).toBe(false);
  });
});

describe('mail with no SMTP_URL', () => {
  it('retries the delivery and finally parks it in the dead-letter list, never dropping it', async () => {
    const databaseUrl = await createTestDatabase();
    const t = await startTestApp({ databaseUrl, plugins: [mailProbe()] });
    try {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/mail-probe/send',
        payload: { to: 'nobody@example.test', locale: 'en', template: 'passwordReset', params: { link: 'https://x.test/r', expiresAt: '2026-03-12T14:05:00Z' } },
      });
      expect(res.statusCode).toBe(202);
      let dead = 0;
      let retried = 0;
      for (let i = 0; i < 60 && dead === 0; i += 1) {
        const r = await t.outbox.drainOnce();
        dead += r.dead;
        retried += r.retried;
        expect(r.delivered).toBe(0);
        await sleep(10);
      }
      expect({ retried, dead }).toEqual({ retried: 11, dead: 1 });
      const rows = await query<{ status: string; attempts: number; last_error: string }>(
        databaseUrl,
        `select status, attempts, last_error from laurel_outbox_delivery where listener = 'mail:smtp-send'`,
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'dead', attempts: 12 });
      expect(rows[0]!.last_error).toContain('MailNotConfiguredError: no SMTP server is configured (set SMTP_URL)');
      const list = await t.app.inject({ method: 'GET', url: '/api/v1/system/dead-letters', headers: t.adminHeaders });
      expect(list.statusCode).toBe(200);
      expect(list.json().items).toEqual([
        expect.objectContaining({ event: 'mail.message.requested', listener: 'mail:smtp-send', attempts: 12, payload: expect.objectContaining({ to: 'nobody@example.test' }) }),
      ]);
    } finally {
      await t.close();
    }
  });
});

describe('mail under laurel dev (a catcher wired in)', () => {
  let smtp: TestSmtp;
  let laurel: LaurelApp;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    const databaseUrl = await createTestDatabase();
    const config = loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', LAUREL_DB_POOL_SIZE: '4', SMTP_URL: smtp.url });
    laurel = await buildApp(config, { plugins: [mailProbe()], startOutbox: false, mailCatcher: smtp });
    await runMigrations(databaseUrl, laurel.plugins);
    await laurel.app.ready();
  });
  afterAll(async () => {
    await laurel?.app.close();
    await smtp?.stop();
  });

  it('mounts GET /api/v1/mail/caught, for admins only, documented in OpenAPI', async () => {
    const anonymous = await laurel.app.inject({ method: 'GET', url: '/api/v1/mail/caught' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('UNAUTHORIZED');
    const doc = (await laurel.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const operation = doc.paths['/api/v1/mail/caught']?.get;
    expect(operation).toBeDefined();
    expect(operation['x-laurel-permission']).toBe('mail:read-caught');
    expect(Object.keys(operation.responses[200].content['application/json'].schema.properties)).toEqual(['items']);
    // Admins hold the permission; no other role does, and a server without a catcher does not even declare it.
    expect(laurel.host.permissionsOf(['admin'])).toContain('mail:read-caught');
    expect(laurel.host.permissionsOf(['program-manager', 'finance', 'marketing', 'support', 'partner-admin', 'partner-user'])).not.toContain('mail:read-caught');
  });

  it('catches what the app sends', async () => {
    await laurel.app.inject({
      method: 'POST',
      url: '/api/v1/mail-probe/send',
      payload: { to: 'dev@example.test', locale: 'en', template: 'invitation', params: { ...INVITATION, inviterName: 'Dev' } },
    });
    expect(await laurel.outbox.drainUntilIdle()).toMatchObject({ delivered: 1 });
    const [mail] = smtp.messages();
    expect(mail).toMatchObject({ to: ['dev@example.test'], from: '"Laurel" <laurel@localhost>', subject: 'Dev invited you to Złoci "Partnerzy"' });
  });
});
