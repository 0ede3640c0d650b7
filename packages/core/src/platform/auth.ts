import { createServiceRef, type Actor, type Locale } from '@laurel/plugin-sdk';
import type { EntityManager } from '@mikro-orm/postgresql';

/** Name of the session cookie (httpOnly; Secure over HTTPS; SameSite=Lax). */
export const SESSION_COOKIE = 'laurel_session';
/** Header that must carry the session's CSRF token on unsafe requests authenticated by the cookie. */
export const CSRF_HEADER = 'x-csrf-token';

export interface AuthenticationInput {
  authorization: string | undefined;
  sessionToken: string | undefined;
  ip: string;
  userAgent: string | undefined;
}

export interface Authentication {
  actor: Actor;
  /** How the caller proved who it is: a browser session (CSRF applies) or a bearer API key. */
  via: 'session' | 'bearer';
  /** The session's CSRF token (for `via: 'session'`). */
  csrfToken: string | null;
  /** The person's own language, which wins over cookie and Accept-Language. */
  locale: Locale | null;
}

/** Resolves a request's credentials to an actor; provided by the `access` module. */
export interface Authenticator {
  /** null: no credentials were sent. Throws `AppError(401)` for credentials that are wrong or expired. */
  authenticate(input: AuthenticationInput, em: EntityManager): Promise<Authentication | null>;
}

export const authenticatorRef = createServiceRef<Authenticator>('platform.authenticator');
