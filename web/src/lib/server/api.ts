import { fail, redirect, type ActionFailure, type RequestEvent } from '@sveltejs/kit';
import createClient from 'openapi-fetch';
import type { ApiClient, paths } from '#lib/api/client.ts';
import { fieldErrorsOf, isProblem } from '#lib/api/problem.ts';
import type { FormState } from '#lib/forms.ts';
import { SESSION_COOKIE } from '#lib/session.ts';
import { isHttps } from './request.ts';
import { translatorOf } from './i18n.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A typed API client for server code (form actions, hooks). Requests go through `event.fetch`, so
 * `handleFetch` sends them to the API with the person's cookies; unsafe methods also carry the
 * session's CSRF token, which therefore never has to reach the browser.
 */
export function serverApi(event: RequestEvent): ApiClient {
	const csrfToken = event.locals.session?.csrfToken;
	return createClient<paths>({
		baseUrl: event.url.origin,
		fetch: (request: Request) => {
			if (csrfToken && !SAFE_METHODS.has(request.method)) {
				request.headers.set('x-csrf-token', csrfToken);
			}
			return event.fetch(request);
		}
	});
}

/**
 * Copies the API's `Set-Cookie` headers (the session cookie after signing in) to this app's
 * response. The API was called on its internal address over plain HTTP, so `Secure` is decided by
 * how the browser reached us.
 */
export function relayCookies(event: RequestEvent, response: Response): void {
	for (const header of response.headers.getSetCookie()) {
		const { name, value, ...options } = event.cookies.parse(header);
		if (!name) continue;
		event.cookies.set(name, value ?? '', {
			...options,
			path: options.path ?? '/',
			secure: isHttps(event)
		});
	}
}

/** Forgets the session cookie in the browser (after signing out, or when the API no longer knows it). */
export function clearSessionCookie(event: RequestEvent): void {
	event.cookies.delete(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: isHttps(event) });
}

export type ApiOutcome<D> =
	| { ok: true; data: D; response: Response }
	| {
			ok: false;
			status: number;
			/** What to show: the API's localized problem (title, detail, field errors). */
			state: FormState;
			/** `fail()` with the problem plus extra state (the submitted values, the action's name). */
			fail: (extra?: FormState) => ActionFailure<FormState>;
	  };

/**
 * Runs an API call for a form action and never throws for API failures: a problem becomes form
 * state (detail and field errors, already in the person's language), an unreachable API a
 * localized message. A 401 (the session ended meanwhile) sends the person to sign in again.
 */
export async function callApi<D>(
	event: RequestEvent,
	run: (api: ApiClient) => Promise<{ data?: D; error?: unknown; response: Response }>
): Promise<ApiOutcome<D>> {
	const t = translatorOf(event);
	let result: { data?: D; error?: unknown; response: Response };
	try {
		result = await run(serverApi(event));
	} catch (cause) {
		console.error(`[laurel-web] ${event.request.method} ${event.url.pathname}: API call failed`, cause);
		const state: FormState = { title: t('errors.unreachableTitle'), message: t('errors.unreachable') };
		return { ok: false, status: 503, state, fail: (extra = {}) => fail(503, { ...state, ...extra }) };
	}

	const { data, error, response } = result;
	if (response.ok) return { ok: true, data: data as D, response };

	const status = response.status;
	if (status === 401 && event.locals.session) {
		clearSessionCookie(event);
		redirect(303, `/sign-in?next=${encodeURIComponent(event.url.pathname + event.url.search)}`);
	}
	const state: FormState = isProblem(error)
		? { title: error.title, message: error.detail, code: error.code, errors: fieldErrorsOf(error) }
		: { message: t('errors.unexpected', { status }) };
	return { ok: false, status, state, fail: (extra = {}) => fail(status, { ...state, ...extra }) };
}
