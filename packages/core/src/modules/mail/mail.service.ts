import { AppError, LOCALES, createServiceRef, type Locale, type RequestContext } from '@laurel/plugin-sdk';
import { normalizeParams, templateProblem, type MailParam } from './mail.render.ts';

/** Payload of `mail.message.requested`: everything needed to render and send the message later. */
export interface MailRequestedPayload {
  to: string;
  /** The recipient's language, which the message is rendered in. */
  locale: Locale;
  /** `<namespace>:<name>` (the i18n keys `<namespace>:mail.<name>.subject` and `.body`), or `<name>` for the `mail` module's own. */
  template: string;
  params: Record<string, MailParam>;
}

declare module '@laurel/plugin-sdk' {
  interface LaurelEvents {
    /** A templated e-mail was asked for; the `mail` module renders and sends it after commit. */
    'mail.message.requested': MailRequestedPayload;
  }
}

export interface MailMessage {
  to: string;
  locale: Locale;
  /** `<name>` of a shared template (`MAIL_TEMPLATES`), or `<namespace>:<name>` of a module's own. */
  template: string;
  /** Interpolated into the template: strings, numbers, booleans, null, or a `Date` (shown in the recipient's language). */
  params: Record<string, unknown>;
}

export interface MailService {
  /**
   * Queue a templated e-mail. Nothing talks SMTP here: the request becomes an outbox event in the caller's unit
   * of work (written with the next flush of `ctx.em`, so inside `em.transactional` it commits or rolls back with
   * the business change) and is rendered and sent after commit, retried while the mail server is unreachable.
   * Throws at once for a malformed recipient (`MAIL_INVALID_RECIPIENT`, 422), an unknown template, a missing
   * template parameter, or a parameter that cannot be kept as JSON.
   */
  send(ctx: RequestContext, message: MailMessage): void;
}

export const mailServiceRef = createServiceRef<MailService>('mail.service');

/** The templates the `mail` module ships, and their parameters. */
export const MAIL_TEMPLATES = {
  /** Params: `InvitationMailParams`. */
  invitation: 'invitation',
  /** Params: `PasswordResetMailParams`. */
  passwordReset: 'passwordReset',
} as const;

export interface InvitationMailParams {
  inviterName: string;
  programName: string;
  /** Absolute URL that accepts the invitation. */
  link: string;
  expiresAt: Date | string;
}

export interface PasswordResetMailParams {
  /** Absolute URL of the reset form, with its token. */
  link: string;
  expiresAt: Date | string;
}

// One address, no display name, no whitespace or header-breaking characters.
const ADDRESS = /^[^\s@<>()[\],;:"\\]+@[^\s@<>()[\],;:"\\]+\.[^\s@<>()[\],;:"\\]+$/;

export function isMailAddress(value: string): boolean {
  return value.length <= 254 && ADDRESS.test(value);
}

export function createMailService(): MailService {
  return {
    send(ctx, message) {
      const to = message.to.trim();
      if (!isMailAddress(to)) {
        throw new AppError('MAIL_INVALID_RECIPIENT', 422, { messageKey: 'mail:errors.MAIL_INVALID_RECIPIENT', params: { to: message.to } });
      }
      if (!(LOCALES as readonly string[]).includes(message.locale)) throw new TypeError(`Mail locale "${String(message.locale)}" is not one of ${LOCALES.join(', ')}`);
      const params = normalizeParams(message.params);
      const problem = templateProblem(ctx.t, message.template, params);
      if (problem) throw new Error(`Cannot send mail: ${problem}`);
      ctx.emit('mail.message.requested', { to, locale: message.locale, template: message.template, params });
    },
  };
}
