import { createServiceRef } from '@laurel/plugin-sdk';

/** One message a local SMTP catcher received (`laurel dev`), as admins see it. */
export interface CaughtMail {
  id: string;
  /** ISO-8601 time the catcher received the message. */
  receivedAt: string;
  /** The From header as the catcher parsed it, e.g. `"Laurel" <laurel@localhost>`. */
  from: string;
  /** Envelope recipients (what the server was asked to deliver to). */
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  /** The Message-ID header: `<outbox event id@sender domain>` for mail sent by Laurel. */
  messageId: string | null;
}

/** Read side of a mail catcher: the messages it holds, newest first. */
export interface CaughtMailbox {
  messages(): CaughtMail[];
}

/**
 * What the platform hands the `mail` module: the root configuration's `mail` section (SMTP_URL, MAIL_FROM) and,
 * under `laurel dev`, the local catcher whose mail admins may read. Provided by `buildApp`, like the Temporal
 * gateway, because the root configuration is not a plugin's own namespace.
 */
export interface MailSettings {
  /** smtp:// or smtps:// URL; null keeps requested mail in the outbox (retried, then parked as a dead letter). */
  smtpUrl: string | null;
  /** The From header of every message, e.g. `Laurel <loyalty@example.com>`. */
  from: string;
  /** A local catcher (`laurel dev`); when set, `GET /api/v1/mail/caught` lists what it caught. */
  caught: CaughtMailbox | null;
}

export const mailSettingsRef = createServiceRef<MailSettings>('platform.mail');
