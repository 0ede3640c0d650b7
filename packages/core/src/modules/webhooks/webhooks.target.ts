import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * The SSRF guard. Unless `allowPrivateTargets` is set, a webhook may target only public unicast addresses: loopback,
 * private (RFC 1918, unique local), link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast,
 * reserved, documentation and benchmark ranges are refused — when the URL is saved (IP literals, `localhost`) and again
 * at every delivery, on the addresses the name resolves to at that moment (so DNS rebinding cannot slip through: the
 * connection goes to the address that was checked). Redirects are not followed.
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) blocked.addSubnet(net, prefix, 'ipv6');

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** IPv4-mapped and IPv4-compatible IPv6 (`::ffff:10.0.0.1`) are judged as the IPv4 address they carry. */
function normalize(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hexMapped) {
    const hi = parseInt(hexMapped[1]!, 16);
    const lo = parseInt(hexMapped[2]!, 16);
    return { address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, family: 'ipv4' };
  }
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

/** True for every address that is not public unicast (see above). */
export function isPrivateAddress(address: string): boolean {
  const n = normalize(address);
  return blocked.check(n.address, n.family);
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (!isIP(host)) return false;
  const n = normalize(host);
  return loopback.check(n.address, n.family);
}

export interface TargetPolicy {
  /** Accept http:// for any host (development). Without it http:// is accepted for loopback hosts only. */
  allowHttp: boolean;
  /** Accept loopback, private and other non-public targets. */
  allowPrivateTargets: boolean;
}

export type UrlProblem = 'WEBHOOKS_URL_INVALID' | 'WEBHOOKS_URL_INSECURE' | 'WEBHOOKS_URL_PRIVATE';

/** What is wrong with a subscription URL under the policy, or null. Names are resolved only at delivery. */
export function urlProblem(raw: string, policy: TargetPolicy): UrlProblem | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'WEBHOOKS_URL_INVALID';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'WEBHOOKS_URL_INVALID';
  if (url.username || url.password || !url.hostname) return 'WEBHOOKS_URL_INVALID';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const local = isLoopbackHost(host);
  if (!policy.allowPrivateTargets && (local || (isIP(host) !== 0 && isPrivateAddress(host)))) return 'WEBHOOKS_URL_PRIVATE';
  if (url.protocol === 'http:' && !policy.allowHttp && !local) return 'WEBHOOKS_URL_INSECURE';
  return null;
}

export class TargetRefusedError extends Error {
  constructor(address: string) {
    super(`target address ${address} is not public`);
    this.name = 'TargetRefusedError';
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for http(s).request that refuses names resolving to any non-public address. */
function guardedLookup(hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true } as never, (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
    if (error) return callback(error, []);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) return callback(new TargetRefusedError(bad.address) as NodeJS.ErrnoException, []);
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
    return callback(null, first.address, first.family);
  });
}

export interface PostResult {
  statusCode: number | null;
  durationMs: number;
  responseBody: string | null;
  error: string | null;
}

/** How much of a response body is kept in the log. */
export const RESPONSE_BODY_LIMIT = 2048;

/**
 * POST `body` to `url` with a hard timeout covering connect, headers and body. Never throws: a failure is a result
 * with `error` set (`timeout`, `target-refused: …`, `network: …`).
 */
export function postWebhook(url: string, headers: Record<string, string>, body: string, options: { timeoutMs: number; allowPrivateTargets: boolean }): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    // eslint-disable-next-line prefer-const -- assigned below, after `done` that clears it is defined
    let timer: NodeJS.Timeout | undefined;
    const done = (result: Omit<PostResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: elapsed() });
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      done({ statusCode: null, responseBody: null, error: 'network: invalid URL' });
      return;
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (!options.allowPrivateTargets && isIP(host) !== 0 && isPrivateAddress(host)) {
      done({ statusCode: null, responseBody: null, error: `target-refused: ${host}` });
      return;
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Laurel-Webhooks/1', ...headers },
      ...(options.allowPrivateTargets ? {} : { lookup: guardedLookup as never }),
    });
    // Headers in time decide the attempt; a body still coming at the deadline is cut where it is.
    let finishResponse: (() => void) | null = null;
    timer = setTimeout(() => {
      if (finishResponse) finishResponse();
      else done({ statusCode: null, responseBody: null, error: 'timeout' });
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (error: Error) => {
      if (error instanceof TargetRefusedError) done({ statusCode: null, responseBody: null, error: `target-refused: ${error.message}` });
      else done({ statusCode: null, responseBody: null, error: `network: ${(error as NodeJS.ErrnoException).code ?? error.message}` });
    });
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => {
        const text = Buffer.concat(chunks).toString('utf8').replaceAll('\u0000', '').slice(0, RESPONSE_BODY_LIMIT);
        done({ statusCode: res.statusCode ?? null, responseBody: text.toWellFormed(), error: null });
      };
      finishResponse = finish;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        // Enough for the log: stop reading.
        if (size >= RESPONSE_BODY_LIMIT * 4) {
          finish();
          res.destroy();
        }
      });
      res.on('end', finish);
      res.on('error', finish);
      res.on('aborted', finish);
    });
    req.end(body);
  });
}
