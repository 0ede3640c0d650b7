import type { RequestEvent } from '@sveltejs/kit';
import { LAUREL_INTERNAL_API_ORIGIN } from '$app/env/private';
import { isHttps } from './request.ts';

/**
 * Paths answered by Laurel's Fastify server, not by this app. Fastify only hands the other paths
 * to `build/handler.js`, so in the browser these requests reach the API directly.
 */
export const API_PATH_PREFIXES = ['/api/', '/health/'] as const;

export function isApiPath(pathname: string): boolean {
	return pathname === '/api' || API_PATH_PREFIXES.some((prefix) => pathname.startsWith(prefix));
}

/**
 * Where the server side of this app can reach the API. SvelteKit's `event.fetch` would answer a
 * same-origin request itself (and 404, since the API is not a SvelteKit route), so API requests
 * made while rendering are sent here instead:
 *
 * 1. `LAUREL_INTERNAL_API_ORIGIN`, when set (standalone `node build`, `vite dev`, TLS setups);
 * 2. otherwise the local address of the connection the current request arrived on: when the app
 *    is mounted in the Laurel server, that is the Fastify server itself, and it bypasses any
 *    reverse proxy in front of it.
 */
export function internalApiOrigin(event: RequestEvent): string | undefined {
	if (LAUREL_INTERNAL_API_ORIGIN) return LAUREL_INTERNAL_API_ORIGIN;

	const socket = event.platform?.req?.socket;
	if (!socket?.localAddress || !socket.localPort) return undefined;

	const protocol = 'encrypted' in socket && socket.encrypted ? 'https' : 'http';
	const host = socket.localAddress.includes(':') ? `[${socket.localAddress}]` : socket.localAddress;
	return `${protocol}://${host}:${socket.localPort}`;
}

/**
 * Re-targets a same-origin API request at the internal origin, carrying over the credentials
 * SvelteKit would have forwarded (cookies, authorization), the user's language and browser, and
 * where the request really came from.
 */
export function toInternalApiRequest(event: RequestEvent, request: Request, origin: string): Request {
	const url = new URL(request.url);
	const target = new URL(`${url.pathname}${url.search}`, origin);

	const headers = new Headers(request.headers);
	for (const name of ['cookie', 'authorization', 'accept-language', 'user-agent']) {
		const value = event.request.headers.get(name);
		if (value && !headers.has(name)) headers.set(name, value);
	}
	headers.delete('origin');

	// Who is really asking. Fetch cannot set `Host`, so the public host and protocol (which the API
	// puts into the links it mails) and the client's address (sign-in throttling, session records)
	// travel as X-Forwarded-* headers; the API reads them when it trusts its proxy
	// (LAUREL_TRUST_PROXY).
	let client: string | undefined;
	try {
		client = event.getClientAddress();
	} catch {
		client = undefined;
	}
	const forwardedFor = event.request.headers.get('x-forwarded-for');
	if (client) headers.set('x-forwarded-for', forwardedFor ? `${forwardedFor}, ${client}` : client);
	headers.set('x-forwarded-host', event.url.host);
	headers.set('x-forwarded-proto', isHttps(event) ? 'https' : 'http');

	return new Request(target, {
		method: request.method,
		headers,
		body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
		signal: request.signal,
		redirect: 'manual',
		// Required by Node's fetch when streaming a request body.
		...(request.body ? { duplex: 'half' } : {})
	} as RequestInit);
}
