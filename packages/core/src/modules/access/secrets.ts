import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import argon2 from 'argon2';

/** argon2id with OWASP's recommended minimums (19 MiB, 2 iterations, 1 lane). */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;

export async function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

/** A hash of a random password: verifying against it costs as much as a real check (no account enumeration by timing). */
let dummyHash: Promise<string> | null = null;
export async function verifyPassword(hash: string | null | undefined, password: string): Promise<boolean> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  const target = hash ?? (await dummyHash);
  try {
    const ok = await argon2.verify(target, password);
    return ok && hash !== null && hash !== undefined;
  } catch {
    return false;
  }
}

/** A high-entropy random token (URL-safe). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Tokens are stored only as SHA-256: they are random and long, so a fast hash is enough and a leak of the table reveals nothing usable. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** API keys look like `lrl_<prefix>_<secret>`; the prefix finds the row, the secret is compared by hash. */
export const API_KEY_PATTERN = /^lrl_([A-Za-z0-9]{10})_([A-Za-z0-9_-]{40,})$/;

export function newApiKey(): { key: string; prefix: string; secretHash: string } {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const prefix = Array.from(randomBytes(10), (b) => alphabet[b % alphabet.length]).join('');
  const secret = randomToken(32);
  return { key: `lrl_${prefix}_${secret}`, prefix, secretHash: sha256(secret) };
}
