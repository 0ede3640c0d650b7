import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { PluginRouter } from '@laurel/plugin-sdk';
import { Translator } from '../../platform/i18n.ts';
import en from './locales/en.json' with { type: 'json' };
import pl from './locales/pl.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };
import { escapeHtml, formatTimestamp, normalizeParams, renderMail, templateKeys, templateProblem, type Translate } from './mail.render.ts';
import { caughtMailRoutes } from './mail.routes.ts';
import { isMailAddress } from './mail.service.ts';
import { senderDomain } from './mail.transport.ts';
import type { CaughtMail } from './mail.settings.ts';

const translator = new Translator({
  mail: { en, pl, ru },
  shop: {
    en: { mail: { order: { subject: '{{count}} item', body: 'Hi {{name}},\n\nyou ordered {{count}} item.' } } },
    pl: { mail: { order: { subject: '{{count}} produkt', body: 'Cześć {{name}},\n\nzamówiono {{count}} produkt.' } } },
    ru: { mail: { order: { subject: '{{count}} товар', body: 'Привет, {{name}}!\n\nВы заказали {{count}} товар.' } } },
  },
});
// As in a listener: the context's own `t` is fixed to English; the template picks the recipient's language.
const englishT = translator.fixed('en');
const t: Translate = (key, options) => englishT(key, options as never) as unknown as string;

const hostile = {
  inviterName: 'Mallory <script>alert("x")</script> & Co',
  programName: "O'Brien \"Gold\" <b>Partners</b>",
  link: 'https://loyalty.example.test/invitation/abc?x=1&y="2"',
  expiresAt: '2026-03-12T14:05:00.000Z',
};

describe('escapeHtml', () => {
  it('escapes the five characters that matter in content and attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>Tom & Jerry</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;');
    expect(escapeHtml('plain text, no change')).toBe('plain text, no change');
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
  });
});

describe('renderMail', () => {
  it('escapes every parameter in the HTML version and keeps the plain text as written', () => {
    const mail = renderMail(t, 'en', 'invitation', hostile);
    expect(mail.subject).toBe(`Mallory <script>alert("x")</script> & Co invited you to O'Brien "Gold" <b>Partners</b>`);
    expect(mail.text).toContain('Mallory <script>alert("x")</script> & Co has invited you');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<b>');
    expect(mail.html).toContain('Mallory &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co has invited you');
    expect(mail.html).toContain('O&#39;Brien &quot;Gold&quot; &lt;b&gt;Partners&lt;/b&gt;');
    expect(mail.html).toContain('<title>Mallory &lt;script&gt;');
    // the link is a link, with its query string escaped in the attribute too
    const escapedLink = 'https://loyalty.example.test/invitation/abc?x=1&amp;y=&quot;2&quot;';
    expect(mail.html).toContain(`<a href="${escapedLink}">${escapedLink}</a>`);
  });

  it('never turns a non-http parameter into a link, and a parameter cannot smuggle a marker or markup', () => {
    const mail = renderMail(t, 'en', 'passwordReset', { link: 'javascript:alert(1)', expiresAt: '\u00000\u0000<i>soon</i>' });
    expect(mail.html).not.toContain('<a ');
    expect(mail.html).toContain('javascript:alert(1)');
    expect(mail.html).toContain('0&lt;i&gt;soon&lt;/i&gt;');
    expect(mail.html).not.toContain('\u0000');
  });

  it('renders in the recipient language, whatever the context locale, with dates in that language', () => {
    const polish = renderMail(t, 'pl', 'invitation', { ...hostile, inviterName: 'Anna', programName: 'Złoci Partnerzy' });
    expect(polish.subject).toBe('Anna zaprasza Cię do programu Złoci Partnerzy');
    expect(polish.text).toMatch(/^Dzień dobry,\n\nAnna zaprasza Cię do programu Złoci Partnerzy w Laurel\./);
    expect(polish.text).toContain('Link jest ważny do 12 marca 2026');
    expect(polish.html).toContain('<html lang="pl">');
    expect(polish.html).toContain('<p>Dzień dobry,</p>');

    const russian = renderMail(t, 'ru', 'passwordReset', { link: 'https://x.test/r/1', expiresAt: '2026-03-12T14:05:00Z' });
    expect(russian.subject).toBe('Сброс пароля в Laurel');
    expect(russian.text).toContain('Здравствуйте!');
    expect(russian.text).toContain('Ссылка действительна до 12 марта 2026');
    expect(russian.text).toContain('14:05 UTC');
  });

  it('renders a module template with plural-aware count', () => {
    const mail = renderMail(t, 'pl', 'shop:order', { name: 'Ola', count: 1 });
    expect(mail.subject).toBe('1 produkt');
    expect(mail.html).toContain('<p>Cześć Ola,</p>');
  });

  it('fails for a template that does not exist', () => {
    expect(() => renderMail(t, 'en', 'shop:nothing', {})).toThrow(/has no message shop:mail.nothing.subject/);
    expect(() => renderMail(t, 'en', 'not a name', {})).toThrow(/neither/);
  });
});

describe('template checks at send time', () => {
  it('names templates by i18n keys: bare names are the mail module own', () => {
    expect(templateKeys('invitation')).toEqual({ subject: 'mail:mail.invitation.subject', body: 'mail:mail.invitation.body' });
    expect(templateKeys('partner-portal:welcome')).toEqual({ subject: 'partner-portal:mail.welcome.subject', body: 'partner-portal:mail.welcome.body' });
    expect(templateKeys('Bad:welcome')).toBeNull();
    expect(templateKeys('mail:mail.invitation')).toBeNull();
  });

  it('reports an unknown template and missing parameters, and accepts a complete request', () => {
    expect(templateProblem(t, 'welcome', {})).toMatch(/does not exist/);
    expect(templateProblem(t, 'invitation', { inviterName: 'A', link: 'https://x.test' })).toBe(
      'mail template "invitation" needs the parameter(s) programName, expiresAt',
    );
    expect(templateProblem(t, 'invitation', hostile)).toBeNull();
    expect(templateProblem(t, 'shop:order', { name: 'x' })).toMatch(/needs the parameter\(s\) count$/);
    expect(templateProblem(t, 'shop:order', { name: 'x', count: 2 })).toBeNull();
  });

  it('keeps only JSON-safe parameters and turns dates into timestamps', () => {
    expect(normalizeParams({ a: 'x', b: 2, c: true, d: null, e: undefined, f: new Date('2026-01-02T03:04:05Z') })).toEqual({
      a: 'x',
      b: 2,
      c: true,
      d: null,
      f: '2026-01-02T03:04:05.000Z',
    });
    expect(() => normalizeParams({ a: { nested: 1 } })).toThrow(/"a" must be/);
    expect(() => normalizeParams({ a: Number.NaN })).toThrow(/"a" must be/);
    expect(() => normalizeParams({ 'a-b': 'x' })).toThrow(/not an identifier/);
  });

  it('accepts one plain address as a recipient', () => {
    expect(isMailAddress('anna.nowak+loyalty@example.co.uk')).toBe(true);
    for (const bad of ['anna', 'anna@localhost', 'Anna <anna@example.com>', 'a@b.c, x@y.z', 'a@example.com\r\nBcc: x@y.z', ' a@example.com']) {
      expect(isMailAddress(bad), bad).toBe(false);
    }
  });

  it('formats timestamps per language and derives Message-ID domains from the sender', () => {
    expect(formatTimestamp('2026-03-12T14:05:00Z', 'en')).toBe('March 12, 2026 at 2:05 PM UTC');
    expect(formatTimestamp('not a date', 'en')).toBe('not a date');
    expect(senderDomain('Laurel <Loyalty@Example.com>')).toBe('example.com');
    expect(senderDomain('loyalty@example.com')).toBe('example.com');
    expect(senderDomain('nobody')).toBe('laurel.invalid');
  });
});

describe('GET /caught (only mounted when a catcher is wired in)', () => {
  it('lists the caught mail newest first, as the catcher keeps it', async () => {
    const mail = (id: string, receivedAt: string): CaughtMail => ({
      id,
      receivedAt,
      from: 'Laurel <laurel@localhost>',
      to: ['a@example.test'],
      subject: `s${id}`,
      text: 't',
      html: null,
      messageId: `<${id}@localhost>`,
    });
    const app = Fastify().withTypeProvider<TypeBoxTypeProvider>();
    await app.register(async (scope) => caughtMailRoutes({ messages: () => [mail('2', '2026-01-01T00:00:02.000Z'), mail('1', '2026-01-01T00:00:01.000Z')] })(scope as unknown as PluginRouter), {
      prefix: '/api/v1/mail',
    });
    const res = await app.inject({ method: 'GET', url: '/api/v1/mail/caught' });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((m: CaughtMail) => m.id)).toEqual(['2', '1']);
    expect(res.json().items[0]).toEqual(mail('2', '2026-01-01T00:00:02.000Z'));
    await app.close();
  });
});
