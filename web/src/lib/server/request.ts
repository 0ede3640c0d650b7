import type { RequestEvent } from '@sveltejs/kit';

/**
 * Whether the request demonstrably arrived over HTTPS: an encrypted socket, the protocol the Laurel
 * server saw (`x-laurel-protocol`, set when the app is mounted) or `x-forwarded-proto`. Cookies are
 * marked `Secure` only then: behind a plain-HTTP deployment a Secure cookie would be dropped.
 * (`event.url.protocol` is no help standalone: adapter-node assumes https unless configured.)
 */
export function isHttps(event: Pick<RequestEvent, 'request' | 'platform'>): boolean {
	const socket = event.platform?.req?.socket;
	if (socket !== undefined && 'encrypted' in socket && socket.encrypted === true) return true;
	const first = (name: string) => event.request.headers.get(name)?.split(',')[0]?.trim().toLowerCase();
	return first('x-laurel-protocol') === 'https' || first('x-forwarded-proto') === 'https';
}
