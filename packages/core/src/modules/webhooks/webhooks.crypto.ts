import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '@laurel/plugin-sdk';
import { SECRET_PREFIX } from '../../platform/standard-webhooks.ts';

/**
 * Signing secrets at rest. With `secretKey` (32 bytes as 64 hex characters) configured, a secret is stored sealed:
 * AES-256-GCM, `sealed.v1.<iv>.<tag>.<ciphertext>` (base64url), with the subscription id bound as associated data
 * so a sealed secret copied to another subscription does not open. Without a key, secrets are stored as they are.
 * Secrets stored before a key was configured stay readable; rotating them seals the new ones.
 */
export interface SecretBox {
  seal(subscriptionId: string, secret: string): string;
  open(subscriptionId: string, stored: string): string;
}

const SEALED = 'sealed.v1.';

export function createSecretBox(hexKey: string | null): SecretBox {
  const key = hexKey ? Buffer.from(hexKey, 'hex') : null;
  if (key && key.length !== 32) throw new Error('the webhook secret key must be 32 bytes (64 hex characters)');
  return {
    seal(subscriptionId, secret) {
      if (!key) return secret;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(subscriptionId));
      const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return `${SEALED}${[iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url')).join('.')}`;
    },
    open(subscriptionId, stored) {
      if (stored.startsWith(SECRET_PREFIX)) return stored;
      if (!stored.startsWith(SEALED)) throw new Error('not a webhook secret');
      if (!key) throw new AppError('WEBHOOKS_SECRET_KEY_MISSING', 503, { retryable: false });
      const [iv, tag, ciphertext] = stored.slice(SEALED.length).split('.');
      if (!iv || !tag || ciphertext === undefined) throw new Error('not a sealed webhook secret');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(subscriptionId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
