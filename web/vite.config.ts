import adapter from '@sveltejs/adapter-node';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig(({ command }) => {
	// In production Laurel's Fastify server serves the API and mounts build/handler.js for every
	// other path, on one origin. Under `vite dev` the API runs separately: the dev server proxies
	// API paths to it, and server-side rendering calls it directly (src/env.ts).
	const apiOrigin = process.env.LAUREL_INTERNAL_API_ORIGIN ?? 'http://127.0.0.1:3000';
	if (command === 'serve') process.env.LAUREL_INTERNAL_API_ORIGIN = apiOrigin;

	return {
		plugins: [
			sveltekit({
				adapter: adapter({ out: 'build' })
			})
		],
		server: {
			proxy: {
				// Keep in sync with API_PATH_PREFIXES in src/lib/server/api-proxy.ts.
				'/api': apiOrigin,
				'/health': apiOrigin
			}
		}
	};
});
