import type { RequestEvent } from '@sveltejs/kit';
import { SESSION_COOKIE, type ApiSession } from '#lib/session.ts';
import { clearSessionCookie, serverApi } from './api.ts';

/**
 * The signed-in person for this request (`GET /api/v1/access/session` with the browser's cookie),
 * or null. Only asked when the session cookie is present; a session the API no longer knows is
 * forgotten, so the next requests do not ask again. An unreachable API counts as signed out
 * (the pages then show their own error states).
 */
export async function loadSession(event: RequestEvent): Promise<ApiSession | null> {
	if (!event.cookies.get(SESSION_COOKIE)) return null;
	try {
		const { data, response } = await serverApi(event).GET('/api/v1/access/session');
		if (data) return data;
		if (response.status === 401) clearSessionCookie(event);
		else console.error(`[laurel-web] session lookup answered HTTP ${response.status}`);
	} catch (cause) {
		console.error('[laurel-web] session lookup failed', cause);
	}
	return null;
}
