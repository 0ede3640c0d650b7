import { defineEnvVars } from '@sveltejs/kit/env';

// Environment variables of the web app, read when the server starts (see `$app/env/private`).
export const variables = defineEnvVars({
	LAUREL_INTERNAL_API_ORIGIN: {
		description:
			'Origin the web server uses to call the Laurel API during server-side rendering, e.g. ' +
			'`http://127.0.0.1:3000`. Optional: when the app is mounted inside the Laurel server it ' +
			'calls the address the current request arrived on.',
		schema: (value) => {
			if (!value) return undefined;
			const url = new URL(value);
			if (url.protocol !== 'http:' && url.protocol !== 'https:') {
				throw new Error('LAUREL_INTERNAL_API_ORIGIN must be an http(s) URL');
			}
			return url.origin;
		}
	}
});
