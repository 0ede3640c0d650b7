import { Type, type PluginRouter } from '@laurel/plugin-sdk';
import type { CaughtMailbox } from './mail.settings.ts';

/** Who may read the mail a local catcher caught (granted only while a catcher is wired in). */
export const READ_CAUGHT_MAIL = 'mail:read-caught';

const CaughtMailSchema = Type.Object({
  id: Type.String(),
  receivedAt: Type.String({ format: 'date-time' }),
  from: Type.String(),
  to: Type.Array(Type.String()),
  subject: Type.String(),
  text: Type.String(),
  html: Type.Union([Type.String(), Type.Null()]),
  messageId: Type.Union([Type.String(), Type.Null()]),
});

/** Routes that exist only under `laurel dev`, where a local SMTP catcher receives the outgoing mail. */
export function caughtMailRoutes(mailbox: CaughtMailbox) {
  return (router: PluginRouter): void => {
    router.get(
      '/caught',
      {
        config: { access: READ_CAUGHT_MAIL },
        schema: {
          tags: ['mail'],
          summary: 'Mail caught by the local SMTP catcher of `laurel dev`, newest first (development only)',
          response: { 200: Type.Object({ items: Type.Array(CaughtMailSchema) }) },
        },
      },
      async () => ({ items: mailbox.messages() }),
    );
  };
}
