import type { Permission, RequestContext } from './context.ts';

/**
 * Who may call a route, declared on every route and checked by the platform before the handler, in one
 * place: `'public'` (anyone), `'signed-in'` (any authenticated user or API key), or a permission.
 * A route under /api/v1 without an access rule stops start-up.
 */
export type RouteAccess = 'public' | 'signed-in' | Permission;

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's context: actor, locale, forked entity manager and hooks. */
    ctx: RequestContext;
    /** The CSRF token of the browser session that authenticated this request, if any. */
    csrfToken: string | null;
    /** Where users reach this installation (LAUREL_PUBLIC_URL, else the request's own origin): for links in e-mail. */
    publicOrigin: string;
  }
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}
