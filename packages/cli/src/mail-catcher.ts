import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import type { CaughtMail, CaughtMailbox } from '@laurel/core';

export interface MailCatcherOptions {
  /** Port on 127.0.0.1; default: a free one. Pass a previous catcher's port to stand in for it after `stop()`. */
  port?: number;
  /** Messages kept in memory, oldest dropped first (default 200). */
  limit?: number;
}

export interface MailCatcher extends CaughtMailbox {
  /** `smtp://127.0.0.1:PORT`, to use as SMTP_URL. */
  readonly url: string;
  readonly port: number;
  /** What it received, newest first. */
  messages(): CaughtMail[];
  stop(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/**
 * A local SMTP server that accepts every message and keeps it in memory instead of delivering it: what
 * `laurel dev` uses when no SMTP_URL is set, and what integration tests send to. 127.0.0.1 only, no
 * authentication, no TLS.
 */
export async function startMailCatcher(options: MailCatcherOptions = {}): Promise<MailCatcher> {
  const limit = options.limit ?? 200;
  const caught: CaughtMail[] = [];
  const server = new SMTPServer({
    name: 'laurel-mail-catcher',
    banner: 'Laurel mail catcher (development only; nothing is delivered)',
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    size: MAX_MESSAGE_BYTES,
    closeTimeout: 1000,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          if (stream.sizeExceeded) {
            callback(Object.assign(new Error('Message exceeds the fixed maximum message size'), { responseCode: 552 }));
            return;
          }
          caught.unshift({
            id: randomUUID(),
            receivedAt: new Date().toISOString(),
            from: parsed.from?.text ?? (session.envelope.mailFrom ? session.envelope.mailFrom.address : ''),
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : null,
            messageId: parsed.messageId ?? null,
          });
          if (caught.length > limit) caught.length = limit;
          callback();
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A client that hangs up mid-conversation is reported as an 'error'; it must not bring the process down.
  server.on('error', () => {});
  const port = (server.server.address() as AddressInfo).port;

  let stopped: Promise<void> | null = null;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages: () => [...caught],
    stop() {
      stopped ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return stopped;
    },
  };
}
