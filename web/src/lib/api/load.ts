import { error, isHttpError, isRedirect, redirect } from '@sveltejs/kit';
import { isProblem } from './problem.ts';

/** What a page shows for data it could not load (everything but 401/403/404, which are thrown). */
export interface LoadFailure {
	ok: false;
	/** HTTP status, or 0 when the API could not be reached. */
	status: number;
	/** The API's localized problem, when it sent one. */
	title: string | null;
	message: string | null;
}

export type Loaded<T> = { ok: true; data: T } | LoadFailure;

/**
 * Runs an API read for a `load` function. A 401 sends the person to sign in (and back here
 * afterwards), a 403 renders the localized "no access" page and, with `notFound`, a 404 the
 * not-found page. Other failures come back as a `LoadFailure` for the page's own error state.
 */
export async function loadFromApi<T>(
	url: URL,
	request: () => Promise<{ data?: T; error?: unknown; response: Response }>,
	options: { notFound?: boolean } = {}
): Promise<Loaded<T>> {
	try {
		const { data, error: problem, response } = await request();
		if (response.ok) return { ok: true, data: data as T };
		const detail = isProblem(problem) ? problem.detail : undefined;
		if (response.status === 401) {
			redirect(307, `/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`);
		}
		if (response.status === 403) error(403, detail ?? 'Forbidden');
		if (response.status === 404 && options.notFound) error(404, detail ?? 'Not found');
		return {
			ok: false,
			status: response.status,
			title: isProblem(problem) ? problem.title : null,
			message: detail ?? null
		};
	} catch (cause) {
		if (isRedirect(cause) || isHttpError(cause)) throw cause;
		return { ok: false, status: 0, title: null, message: null };
	}
}

/** An API read whose failure only hides a detail (e.g. names for ids): the data, or null. */
export async function loadOptional<T>(
	request: () => Promise<{ data?: T; error?: unknown; response: Response }>
): Promise<T | null> {
	try {
		const { data, response } = await request();
		return response.ok ? (data as T) : null;
	} catch {
		return null;
	}
}
