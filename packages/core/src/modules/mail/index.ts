import { definePlugin, mailerRef } from '@laurel/plugin-sdk';
import { CORE_VERSION } from '../../version.ts';
import en from './locales/en.json' with { type: 'json' };
import pl from './locales/pl.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };
import { renderMail } from './mail.render.ts';
import { caughtMailRoutes, READ_CAUGHT_MAIL } from './mail.routes.ts';
import { createMailService, mailServiceRef } from './mail.service.ts';
import { mailSettingsRef } from './mail.settings.ts';
import { createSmtpSender } from './mail.transport.ts';

declare module '@laurel/plugin-sdk' {
  interface LaurelPermissions {
    /** Read the mail caught by the local SMTP catcher (`laurel dev` only; granted only while a catcher runs). */
    'mail:read-caught': true;
  }
}

/**
 * Attempts before a message is parked in the dead-letter list: with the outbox's backoff (1 s doubling, capped at
 * 5 min) a mail server may be away for about 20 minutes before an admin has to replay the delivery.
 */
export const MAIL_DELIVERY_ATTEMPTS = 12;

/**
 * Core module `mail`: templated e-mail in the recipient's language. `mailServiceRef.send` only records the request
 * in the outbox, inside the caller's unit of work; the `smtp-send` listener renders it and hands it to the SMTP
 * server of SMTP_URL after commit, retrying while the server is unreachable (at least once: a message may arrive
 * twice after a lost acknowledgement, with the same Message-ID). Under `laurel dev` a local catcher stands in for
 * the server and admins read what it caught at `GET /api/v1/mail/caught`.
 */
export const mailModule = definePlugin({
  id: 'mail',
  version: CORE_VERSION,
  compatibility: `^${CORE_VERSION}`,
  setup(ctx) {
    const settings = ctx.inject(mailSettingsRef);
    ctx.locales({ en, pl, ru });
    const mail = createMailService();
    ctx.provide(mailServiceRef, mail);
    // The public mailer of the plugin SDK.
    ctx.provide(mailerRef, { send: (sendCtx, message) => mail.send(sendCtx, message) });

    const sender = createSmtpSender(settings);
    ctx.on(
      'mail.message.requested',
      async (event, listenerCtx) => {
        const { to, locale, template, params } = event.payload;
        const rendered = renderMail(listenerCtx.t, locale, template, params);
        await sender.send({ ...rendered, to, eventId: event.id });
        listenerCtx.log.info({ eventId: event.id, template, locale, attempt: event.attempt }, 'mail sent');
      },
      { name: 'smtp-send', maxAttempts: MAIL_DELIVERY_ATTEMPTS },
    );
    ctx.onClose(() => sender.close());

    // Platform services are provided before any setup runs, so the catcher is known here: without one (production)
    // the route and its permission do not exist at all.
    const caught = settings().caught;
    if (caught) {
      ctx.grant(READ_CAUGHT_MAIL, ['admin']);
      ctx.routes(caughtMailRoutes(caught));
    }
  },
});

export { mailServiceRef, MAIL_TEMPLATES } from './mail.service.ts';
export type { InvitationMailParams, MailMessage, MailRequestedPayload, MailService, PasswordResetMailParams } from './mail.service.ts';
export { mailSettingsRef } from './mail.settings.ts';
export type { CaughtMail, CaughtMailbox, MailSettings } from './mail.settings.ts';
export { escapeHtml, renderMail } from './mail.render.ts';
export type { MailParam, RenderedMail } from './mail.render.ts';
