import type { RequestContext } from './context.ts';

/** Who may call a route. Checked by the platform before the handler, in one place. */
export type RouteAccess = 'public' | 'admin';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's context: actor, locale, forked entity manager and hooks. */
    ctx: RequestContext;
  }
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}
