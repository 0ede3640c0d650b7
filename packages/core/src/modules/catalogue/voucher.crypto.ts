import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Voucher codes at rest: AES-256-GCM under the configured key (LAUREL_VOUCHER_KEY, 32 bytes as 64 hex characters).
 * A sealed code is `v1.<iv>.<tag>.<ciphertext>` (base64url); the reward id is bound as associated data, so a sealed
 * code copied to another reward does not open.
 */
export interface VoucherCipher {
  seal(rewardId: string, code: string): string;
  open(rewardId: string, sealed: string): string;
  /** A keyed fingerprint of a code, to recognize a code imported twice without decrypting anything. */
  fingerprint(rewardId: string, code: string): string;
}

export function createVoucherCipher(hexKey: string): VoucherCipher {
  const key = Buffer.from(hexKey, 'hex');
  if (key.length !== 32) throw new Error('the voucher key must be 32 bytes (64 hex characters)');
  const macKey = createHmac('sha256', key).update('laurel voucher fingerprint').digest();
  return {
    seal(rewardId, code) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(rewardId));
      const ciphertext = Buffer.concat([cipher.update(code, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
    },
    open(rewardId, sealed) {
      const [version, iv, tag, ciphertext] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || ciphertext === undefined) throw new Error('not a sealed voucher code');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(rewardId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    },
    fingerprint(rewardId, code) {
      return createHmac('sha256', macKey).update(`${rewardId}\u0000${code}`).digest('base64url');
    },
  };
}
