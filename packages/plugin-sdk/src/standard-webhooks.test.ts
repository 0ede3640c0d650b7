import { describe, expect, it } from 'vitest';
import { createSecretBox, generateSecret, sign, signatureHeader, verify, verifyWebhook } from './standard-webhooks.ts';

/* The Standard Webhooks signer and verifier plugins get from the SDK (and the platform uses for outbound webhooks). */

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('Standard Webhooks', () => {
  it('signs as the specification’s example does', () => {
    // https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md (test vector)
    const body = '{"test": 2432232314}';
    expect(sign(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    expect(sign(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, Buffer.from(body))).toBe(sign(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body));
  });

  it('verifies with several secrets and says which matched, and why not', () => {
    const old = generateSecret();
    const now = 1_800_000_000;
    const headers = (s: string, ts = now) => ({ 'webhook-id': 'm1', 'webhook-timestamp': String(ts), 'webhook-signature': sign(s, 'm1', ts, 'body') });
    expect(verifyWebhook([secret, old], headers(old), 'body', { now })).toEqual({ ok: true, id: 'm1', timestamp: now, secretIndex: 1 });
    expect(verifyWebhook([secret], headers(old), 'body', { now })).toMatchObject({ ok: false, reason: 'signature-mismatch' });
    expect(verifyWebhook([secret], headers(secret), 'bodY', { now })).toMatchObject({ ok: false, reason: 'signature-mismatch' });
    expect(verifyWebhook([secret], headers(secret, now - 301), 'body', { now })).toMatchObject({ ok: false, reason: 'timestamp-stale' });
    expect(verifyWebhook([secret], headers(secret, now + 301), 'body', { now })).toMatchObject({ ok: false, reason: 'timestamp-stale' });
    expect(verifyWebhook([secret], headers(secret, now - 300), 'body', { now }).ok).toBe(true);
    expect(verifyWebhook([secret], { ...headers(secret), 'webhook-timestamp': '12.5' }, 'body', { now })).toMatchObject({ ok: false, reason: 'timestamp-invalid' });
    expect(verifyWebhook([secret], { 'webhook-id': 'm1' }, 'body', { now })).toMatchObject({ ok: false, reason: 'headers-missing' });
    // A header with a signature per secret (a sender rotating) passes with either.
    const both = { ...headers(secret), 'webhook-signature': signatureHeader([old, secret], 'm1', now, 'body') };
    expect(verifyWebhook([secret], both, 'body', { now })).toMatchObject({ ok: true, secretIndex: 0 });
    expect(verify(secret, both, 'body', { now })).toBe(true);
    expect(verifyWebhook([secret], { ...headers(secret), 'webhook-signature': 'v2,abc v1,### v1' }, 'body', { now })).toMatchObject({ ok: false, reason: 'signature-mismatch' });
  });

  it('seals secrets bound to their owner, and opens ones stored before a key was set', () => {
    const box = createSecretBox('ab'.repeat(32));
    const sealed = box.seal('owner-1', secret);
    expect(sealed).toMatch(/^sealed\.v1\./);
    expect(box.open('owner-1', sealed)).toBe(secret);
    expect(() => box.open('owner-2', sealed)).toThrow();
    expect(box.open('owner-1', secret)).toBe(secret);
    expect(() => createSecretBox(null).open('owner-1', sealed)).toThrow('secret key missing');
    expect(createSecretBox(null).seal('owner-1', secret)).toBe(secret);
  });
});
