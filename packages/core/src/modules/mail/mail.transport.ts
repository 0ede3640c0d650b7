import { createTransport } from 'nodemailer';
import type { MailSettings } from './mail.settings.ts';
import type { RenderedMail } from './mail.render.ts';

/** No SMTP server is configured: the delivery fails, is retried, and is finally parked for an admin. */
export class MailNotConfiguredError extends Error {
  constructor() {
    super('no SMTP server is configured (set SMTP_URL); the message stays in the outbox, is retried, and is parked in the dead-letter list after its last attempt');
    this.name = 'MailNotConfiguredError';
  }
}

export interface OutgoingMail extends RenderedMail {
  to: string;
  /** The outbox event id: the same on every redelivery, so it makes a stable Message-ID. */
  eventId: string;
}

export interface MailSender {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** Domain of the sender address, for Message-IDs: `Laurel <loyalty@example.com>` -> `example.com`. */
export function senderDomain(from: string): string {
  const m = /@([^\s<>@"]+?)>?\s*$/.exec(from);
  return m?.[1]?.toLowerCase() ?? 'laurel.invalid';
}

/**
 * Sends through the configured SMTP server (SMTP_URL, MAIL_FROM), one connection per message (no pool, so a server that
 * went away and came back is simply reconnected to). The Message-ID is derived from the outbox event id:
 * a redelivery after a lost acknowledgement carries the same id, which lets receiving systems spot the duplicate.
 */
export function createSmtpSender(settings: () => Pick<MailSettings, 'smtpUrl' | 'from'>): MailSender {
  let transport: ReturnType<typeof createTransport> | null = null;
  const connect = (): ReturnType<typeof createTransport> => {
    const { smtpUrl } = settings();
    if (!smtpUrl) throw new MailNotConfiguredError();
    // Bounded waits: a stalled server must not hold the outbox lease (60 s by default) for long.
    transport ??= createTransport({ url: smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
    return transport;
  };
  return {
    async send(mail) {
      const { from } = settings();
      await connect().sendMail({
        from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: `<${mail.eventId}@${senderDomain(from)}>`,
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
    },
    close() {
      transport?.close();
      transport = null;
    },
  };
}
