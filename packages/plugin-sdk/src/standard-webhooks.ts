import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signed webhooks the Standard Webhooks way (https://www.standardwebhooks.com), for the platform's outbound webhooks
 * and catalogue suppliers and for plugins that receive webhooks. The signed content is
 * `<webhook-id>.<webhook-timestamp>.<body>`, the key is the base64 part of the secret `whsec_<base64>`, and
 * `webhook-signature` holds `v1,<base64 HMAC-SHA256>` — several of them, separated by spaces, while a rotated secret's
 * overlap lasts. Comparison is constant-time.
 */
export const SECRET_PREFIX = 'whsec_';
export const WEBHOOK_SECRET_PREFIX = SECRET_PREFIX;

/** How far a `webhook-timestamp` may be from now, in seconds, by default (5 minutes either way). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new signing secret of `bytes` random bytes (32 by default). */
export function generateSecret(bytes = 32): string {
  return `${SECRET_PREFIX}${randomBytes(bytes).toString('base64')}`;
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

function mac(secret: string, id: string, timestamp: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.`).update(body).digest();
}

/** `v1,<base64>` of one secret. The body is the raw request body (a string is taken as UTF-8). */
export function sign(secret: string, id: string, timestamp: number, body: string | Uint8Array): string {
  return `v1,${mac(secret, id, timestamp, body).toString('base64')}`;
}

/** The `webhook-signature` header: one signature per secret that currently signs. */
export function signatureHeader(secrets: readonly string[], id: string, timestamp: number, body: string | Uint8Array): string {
  return secrets.map((s) => sign(s, id, timestamp, body)).join(' ');
}

/** The three headers of a signed request (Node's lower-case header names; arrays take their first value). */
export interface WebhookHeaders {
  'webhook-id'?: string | string[] | undefined;
  'webhook-timestamp'?: string | string[] | undefined;
  'webhook-signature'?: string | string[] | undefined;
}

/**
 * Why a request is not accepted: `headers-missing` (no `webhook-id`, `webhook-timestamp` or `webhook-signature`, or
 * an id longer than 256 characters), `timestamp-invalid` (not whole Unix seconds), `timestamp-stale` (outside the
 * tolerance, either way), `signature-mismatch` (no `v1` signature matches any of the secrets).
 */
export type WebhookVerifyFailure = 'headers-missing' | 'timestamp-invalid' | 'timestamp-stale' | 'signature-mismatch';

export type WebhookVerification =
  | { ok: true; id: string; timestamp: number; /** Which of the given secrets matched (0: the first). */ secretIndex: number }
  | { ok: false; reason: WebhookVerifyFailure; id: string | null; timestamp: number | null };

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * What a receiver does: check the timestamp against now (±`toleranceSeconds`, 300 by default) and recompute the
 * signature with each secret (the current one, and a previous one while its overlap lasts), accepting when any `v1`
 * signature of the header matches one of them. Every candidate is compared in constant time.
 */
export function verifyWebhook(
  secrets: readonly string[],
  headers: WebhookHeaders,
  body: string | Uint8Array,
  options: { toleranceSeconds?: number; now?: number } = {},
): WebhookVerification {
  const id = first(headers['webhook-id'])?.trim();
  const stamp = first(headers['webhook-timestamp'])?.trim();
  const signatures = first(headers['webhook-signature']);
  const timestamp = stamp && /^\d{1,12}$/.test(stamp) ? Number(stamp) : null;
  if (!id || id.length > 256 || !stamp || !signatures) return { ok: false, reason: 'headers-missing', id: id ? id.slice(0, 256) : null, timestamp };
  if (timestamp === null) return { ok: false, reason: 'timestamp-invalid', id, timestamp: null };
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return { ok: false, reason: 'timestamp-stale', id, timestamp };
  const given = signatures
    .split(' ')
    .slice(0, 16)
    .flatMap((part) => {
      const comma = part.indexOf(',');
      const value = comma > 0 && part.slice(0, comma) === 'v1' ? Buffer.from(part.slice(comma + 1), 'base64') : null;
      return value !== null && value.length === 32 ? [value] : [];
    });
  let matched = -1;
  for (const [index, secret] of secrets.entries()) {
    const expected = mac(secret, id, timestamp, body);
    // Compare against every signature, so the time taken does not tell which one was close.
    for (const g of given) if (timingSafeEqual(g, expected) && matched < 0) matched = index;
  }
  return matched >= 0 ? { ok: true, id, timestamp, secretIndex: matched } : { ok: false, reason: 'signature-mismatch', id, timestamp };
}

/**
 * One secret, as a boolean: the timestamp within `toleranceSeconds` of now and a `v1` signature matching. (What the
 * platform's own tests and simple receivers use; `verifyWebhook` says why not and takes several secrets.)
 */
export function verify(
  secret: string,
  headers: { 'webhook-id'?: string; 'webhook-timestamp'?: string; 'webhook-signature'?: string },
  body: string | Uint8Array,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  return verifyWebhook([secret], headers, body, options).ok;
}

/**
 * Signing secrets at rest. A receiver must recompute the HMAC, so a secret cannot be stored hashed: it is stored
 * sealed with AES-256-GCM under a configured key (32 bytes as 64 hex characters) as `sealed.v1.<iv>.<tag>.<ciphertext>`
 * (base64url), with the owner's id bound as associated data so a sealed secret copied to another owner does not open.
 * Without a key (`null`) secrets are stored as they are; a secret stored before a key was configured stays readable.
 */
export interface SecretBox {
  /** True when secrets are sealed (a key is configured). */
  readonly sealing: boolean;
  seal(ownerId: string, secret: string): string;
  /** Throws `Error('secret key missing')` for a sealed secret when no key is configured. */
  open(ownerId: string, stored: string): string;
}

const SEALED = 'sealed.v1.';

export function createSecretBox(hexKey: string | null): SecretBox {
  const key = hexKey ? Buffer.from(hexKey, 'hex') : null;
  if (key && key.length !== 32) throw new Error('the secret key must be 32 bytes (64 hex characters)');
  return {
    sealing: key !== null,
    seal(ownerId, secret) {
      if (!key) return secret;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(ownerId));
      const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return `${SEALED}${[iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url')).join('.')}`;
    },
    open(ownerId, stored) {
      if (!stored.startsWith(SEALED)) return stored;
      if (!key) throw new Error('secret key missing');
      const [iv, tag, ciphertext] = stored.slice(SEALED.length).split('.');
      if (!iv || !tag || ciphertext === undefined) throw new Error('not a sealed secret');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(ownerId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
