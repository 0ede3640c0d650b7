import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema';

export type { paths } from './schema';
export type ApiClient = Client<paths>;

export interface ApiClientOptions {
	/**
	 * The `fetch` to use. In `load` functions pass SvelteKit's `event.fetch`: it forwards the
	 * user's cookies on the server and lets the browser reuse responses inlined during SSR.
	 */
	fetch: typeof globalThis.fetch;
	/**
	 * Origin of the Laurel API. The API is served by the same origin as this app, so pass
	 * `event.url.origin` (in `load`) or `location.origin` (in the browser). On the server,
	 * `handleFetch` in `hooks.server.ts` sends API paths to the Fastify server directly.
	 */
	baseUrl: string;
}

/** Creates a typed client for Laurel's HTTP API (types generated from its OpenAPI document). */
export function createApiClient({ fetch, baseUrl }: ApiClientOptions): ApiClient {
	return createClient<paths>({
		baseUrl,
		// openapi-fetch calls `fetch(request)`; keep the call unbound so SvelteKit's fetch works.
		fetch: (request: Request) => fetch(request)
	});
}
