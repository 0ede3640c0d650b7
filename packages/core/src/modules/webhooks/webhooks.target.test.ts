import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isPrivateAddress, postWebhook, urlProblem } from './webhooks.target.ts';
import { generateSecret, sign, signatureHeader, verify } from '../../platform/standard-webhooks.ts';

const production = { allowHttp: false, allowPrivateTargets: false };
const dev = { allowHttp: false, allowPrivateTargets: true };

describe('webhook targets: the SSRF guard', () => {
  it('tells public from non-public addresses, IPv4-mapped IPv6 included', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:a9fe:a9fe']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('accepts only https to public hosts by default; loopback over http when private targets are allowed', () => {
    expect(urlProblem('https://hooks.example.com/laurel', production)).toBeNull();
    expect(urlProblem('http://hooks.example.com/laurel', production)).toBe('WEBHOOKS_URL_INSECURE');
    expect(urlProblem('https://127.0.0.1/x', production)).toBe('WEBHOOKS_URL_PRIVATE');
    expect(urlProblem('https://localhost/x', production)).toBe('WEBHOOKS_URL_PRIVATE');
    expect(urlProblem('https://[::1]/x', production)).toBe('WEBHOOKS_URL_PRIVATE');
    expect(urlProblem('https://169.254.169.254/latest/meta-data', production)).toBe('WEBHOOKS_URL_PRIVATE');
    expect(urlProblem('https://10.0.0.5/x', production)).toBe('WEBHOOKS_URL_PRIVATE');
    expect(urlProblem('ftp://hooks.example.com', production)).toBe('WEBHOOKS_URL_INVALID');
    expect(urlProblem('https://u:p@hooks.example.com', production)).toBe('WEBHOOKS_URL_INVALID');
    expect(urlProblem('not a url', production)).toBe('WEBHOOKS_URL_INVALID');
    expect(urlProblem('http://127.0.0.1:8080/x', dev)).toBeNull();
    expect(urlProblem('http://hooks.example.com', dev)).toBe('WEBHOOKS_URL_INSECURE');
    expect(urlProblem('http://hooks.example.com', { allowHttp: true, allowPrivateTargets: false })).toBeNull();
  });

  it('refuses at delivery time too: an IP literal, and a name that resolves to loopback', async () => {
    const server = createServer((_req, res) => res.end('should not be reached'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const literal = await postWebhook(`http://127.0.0.1:${port}/`, {}, '{}', { timeoutMs: 2000, allowPrivateTargets: false });
      expect(literal).toMatchObject({ statusCode: null, error: expect.stringMatching(/^target-refused/) });
      const named = await postWebhook(`http://localhost:${port}/`, {}, '{}', { timeoutMs: 2000, allowPrivateTargets: false });
      expect(named).toMatchObject({ statusCode: null, error: expect.stringMatching(/^target-refused/) });
      const allowed = await postWebhook(`http://127.0.0.1:${port}/`, {}, '{}', { timeoutMs: 2000, allowPrivateTargets: true });
      expect(allowed).toMatchObject({ statusCode: 200, responseBody: 'should not be reached', error: null });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('webhook signatures (Standard Webhooks)', () => {
  it('verifies as the spec says: id.timestamp.body under the base64 key, within the tolerance', () => {
    // The example of the Standard Webhooks specification.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const timestamp = 1614265330;
    const body = '{"test": 2432232314}';
    expect(sign(secret, id, timestamp, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signatureHeader([generateSecret(), secret], id, timestamp, body) };
    expect(verify(secret, headers, body, { now: timestamp + 10 })).toBe(true);
    expect(verify(secret, headers, body, { now: timestamp + 301 })).toBe(false);
    expect(verify(secret, { ...headers, 'webhook-id': 'msg_other' }, body, { now: timestamp })).toBe(false);
    expect(verify(generateSecret(), headers, body, { now: timestamp })).toBe(false);
  });
});

describe('webhook secrets at rest', () => {
  it('seals with a key, opens only for the same subscription, and passes plain secrets through', async () => {
    const { createSecretBox } = await import('./webhooks.crypto.ts');
    const box = createSecretBox('c3'.repeat(32));
    const secret = generateSecret();
    const sealed = box.seal('sub-1', secret);
    expect(sealed).toMatch(/^sealed\.v1\./);
    expect(box.open('sub-1', sealed)).toBe(secret);
    expect(() => box.open('sub-2', sealed)).toThrow();
    expect(box.open('sub-1', secret)).toBe(secret);
    const plain = createSecretBox(null);
    expect(plain.seal('sub-1', secret)).toBe(secret);
    expect(() => plain.open('sub-1', sealed)).toThrow(/WEBHOOKS_SECRET_KEY_MISSING/);
  });
});
