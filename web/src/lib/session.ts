import type { paths } from '#lib/api/client.ts';

/** Body of `GET /api/v1/access/session`: the signed-in person, their permissions and CSRF token. */
export type ApiSession =
	paths['/api/v1/access/session']['get']['responses'][200]['content']['application/json'];
export type SessionUser = ApiSession['user'];

/**
 * What the browser learns about the signed-in person: never the CSRF token (mutations go through
 * form actions, which add it on the server).
 */
export interface ClientSession {
	user: Pick<SessionUser, 'id' | 'email' | 'displayName' | 'kind' | 'locale' | 'partnerId' | 'roles'>;
	permissions: string[];
}

export function toClientSession(session: ApiSession | null): ClientSession | null {
	if (!session) return null;
	const { id, email, displayName, kind, locale, partnerId, roles } = session.user;
	return { user: { id, email, displayName, kind, locale, partnerId, roles }, permissions: session.permissions };
}

type AnySession = Pick<ClientSession, 'user' | 'permissions'> | null | undefined;

/** Staff (admin users) work in the admin panel. */
export function isStaff(session: AnySession): boolean {
	return session?.user.kind === 'admin';
}

/** Partner users work in the partner portal. */
export function isPartnerUser(session: AnySession): boolean {
	return session?.user.kind === 'partner';
}

/** Whether the person holds a permission (as named on the API's routes, e.g. `partners:read`). */
export function can(session: AnySession, permission: string): boolean {
	return session?.permissions.includes(permission) ?? false;
}

/** The route of a person's area, for `resolve()`: the admin panel, the portal, or the home page. */
export function homeRouteFor(session: AnySession): '/(admin)/admin' | '/(portal)/portal' | '/' {
	if (isStaff(session)) return '/(admin)/admin';
	if (isPartnerUser(session)) return '/(portal)/portal';
	return '/';
}

/** Where a person lands after signing in: staff in the admin panel, partner users in the portal. */
export function homePathFor(session: AnySession): '/admin' | '/portal' | '/' {
	if (isStaff(session)) return '/admin';
	if (isPartnerUser(session)) return '/portal';
	return '/';
}

/**
 * The page to open after signing in: `next` when it is a path on this site inside the person's own
 * area (so a partner user is never sent into the admin panel), otherwise the area's home.
 */
export function landingPathFor(session: AnySession, next: string | null | undefined): string {
	const home = homePathFor(session);
	if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return home;
	if (home === '/') return home;
	return next === home || next.startsWith(`${home}/`) || next.startsWith(`${home}?`) ? next : home;
}

/** The API's httpOnly session cookie (set by sign-in; this app only relays and clears it). */
export const SESSION_COOKIE = 'laurel_session';
