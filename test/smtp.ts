import { startMailCatcher, type MailCatcher, type MailCatcherOptions } from '@laurel/cli';
import type { CaughtMail } from '@laurel/core';

export interface TestSmtp extends MailCatcher {
  /** The newest caught message that matches, as soon as there is one; rejects after `timeoutMs` naming what did arrive. */
  waitFor(predicate: (mail: CaughtMail) => boolean, timeoutMs?: number): Promise<CaughtMail>;
}

/**
 * A real SMTP server for integration tests (the catcher `laurel dev` uses), on 127.0.0.1. Point the app at it with
 * `env: { SMTP_URL: smtp.url }`. To simulate an outage, `stop()` it and later start another on the same port:
 * `startTestSmtp({ port: smtp.port })`.
 */
export async function startTestSmtp(options: MailCatcherOptions = {}): Promise<TestSmtp> {
  const catcher = await startMailCatcher(options);
  return {
    url: catcher.url,
    port: catcher.port,
    messages: () => catcher.messages(),
    stop: () => catcher.stop(),
    async waitFor(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = catcher.messages().find(predicate);
        if (found) return found;
        if (Date.now() >= deadline) {
          const subjects = catcher.messages().map((m) => `"${m.subject}" to ${m.to.join(', ')}`);
          throw new Error(`No matching mail within ${timeoutMs} ms; received ${subjects.length ? subjects.join('; ') : 'nothing'}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}
