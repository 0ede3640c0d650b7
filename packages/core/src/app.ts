import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { AppError, Type, hasPermission, type Locale, type PluginDefinition, type PluginRouter } from '@laurel/plugin-sdk';
import cookie from '@fastify/cookie';
import type { LaurelConfig } from './config/config.ts';
import { CORE_VERSION } from './version.ts';
import { PluginError, PluginHost, resolvePlugins } from './platform/host.ts';
import { CSRF_HEADER, SESSION_COOKIE, authenticatorRef, type Authentication } from './platform/auth.ts';
import { Translator, isLocale, negotiateLocale } from './platform/i18n.ts';
import { installProblemHandlers, sendNotFound } from './platform/problem.ts';
import { DEFAULT_OUTBOX_OPTIONS, OutboxDispatcher, type OutboxOptions } from './platform/outbox.ts';
import { createTemporalGateway, temporalGatewayRef, type TemporalGateway } from './platform/temporal.ts';
import { createMetrics } from './platform/metrics.ts';
import { WEB_PROTOCOL_HEADER, isApiPath, loadWebHandler } from './platform/web.ts';
import { uuidv7 } from './platform/ids.ts';
import { buildRequestValidator } from './platform/validation.ts';
import { coreModules } from './modules/index.ts';
import { mailSettingsRef, type CaughtMailbox } from './modules/mail/index.ts';
import { catalogueSettingsRef } from './modules/catalogue/index.ts';
import { adminUiRef, checkAdminPageRoutes, createAdminUi, type RouteTable } from './platform/admin-ui.ts';

export interface BuildAppOptions {
  /** Third-party plugins installed alongside the core modules. */
  plugins?: PluginDefinition[];
  /** Start draining the outbox when the server is ready (default true). */
  startOutbox?: boolean;
  outbox?: Partial<OutboxOptions>;
  /** Replace the Temporal gateway (tests). */
  temporal?: TemporalGateway;
  /** A local SMTP catcher (`laurel dev`): admins read what it caught at GET /api/v1/mail/caught. */
  mailCatcher?: CaughtMailbox;
}

export interface LaurelApp {
  app: FastifyInstance;
  orm: MikroORM;
  host: PluginHost;
  outbox: OutboxDispatcher;
  temporal: TemporalGateway;
  config: LaurelConfig;
  /** Plugins in set-up order (dependencies first), for `laurel migrate`. */
  plugins: PluginDefinition[];
}

export const LOCALE_COOKIE = 'laurel_locale';

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** Locale of a request: a cookie the user chose, then `Accept-Language`. (Profiles come with user accounts.) */
export function requestLocale(request: Pick<FastifyRequest, 'headers'>): Locale {
  const cookie = readCookie(request.headers.cookie, LOCALE_COOKIE);
  if (isLocale(cookie)) return cookie;
  const header = request.headers['accept-language'];
  return negotiateLocale(Array.isArray(header) ? header[0] : header);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** RFC 9457 problem details, as every error response of the API is shaped. */
const ProblemSchema = Type.Object({
  type: Type.String({ description: 'URN of the problem type, e.g. urn:laurel:problem:validation-failed' }),
  title: Type.String({ description: 'Short title in the caller language' }),
  status: Type.Integer(),
  detail: Type.String({ description: 'What went wrong, in the caller language' }),
  instance: Type.String(),
  code: Type.String({ description: 'Stable, module-prefixed error code' }),
  requestId: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
}, { $id: 'Problem', title: 'Problem' });

const HealthReadySchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  version: Type.String(),
  checkedAt: Type.String({ format: 'date-time' }),
  components: Type.Object({
    postgres: Type.Object({ status: Type.Union([Type.Literal('up'), Type.Literal('down')]), latencyMs: Type.Optional(Type.Number()) }),
    temporal: Type.Object({
      status: Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('disabled')]),
      address: Type.Optional(Type.String()),
    }),
  }),
});

/**
 * Build the Laurel application: checks and sets up plugins, connects to PostgreSQL, mounts routes. It does
 * not listen; the CLI's `server` entry does. Tests call `app.inject()`.
 */
export async function buildApp(config: LaurelConfig, options: BuildAppOptions = {}): Promise<LaurelApp> {
  const resolution = resolvePlugins(coreModules, options.plugins ?? [], config);
  const app = Fastify({
    logger: { level: config.log.level, redact: ['req.headers.authorization', 'req.headers.cookie'] },
    // Loopback is always a trusted proxy: the web app calls the API from this host, forwarding the browser's
    // address, host and protocol; LAUREL_TRUST_PROXY=true also trusts a reverse proxy elsewhere.
    trustProxy: config.server.trustProxy ? true : 'loopback',
    requestIdHeader: 'x-request-id',
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : uuidv7();
    },
    // JSON bodies are validated as sent; only the query string, path parameters and headers (text by nature) are
    // coerced to the schema's types. Coercing a body would turn `"stock": null` into 0 in a nullable field.
    // (Cast: @fastify/ajv-compiler's published type has the compiler take a bare schema; Fastify passes the route's.)
    schemaController: { compilersFactory: { buildValidator: buildRequestValidator as never } },
    bodyLimit: 1024 * 1024,
    // The event inbox under its short, documented name: /api/v1/events[/…] is the earning module's /api/v1/earning/events[/…].
    rewriteUrl: (req) => {
      const url = req.url ?? '/';
      return url === '/api/v1/events' || url.startsWith('/api/v1/events/') || url.startsWith('/api/v1/events?') ? `/api/v1/earning${url.slice('/api/v1'.length)}` : url;
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  for (const warning of resolution.warnings) app.log.warn(warning);

  const host = new PluginHost(resolution);
  const temporal = options.temporal ?? createTemporalGateway(config.temporal, app.log);
  host.providePlatform(temporalGatewayRef, temporal);
  host.providePlatform(mailSettingsRef, { ...config.mail, caught: options.mailCatcher ?? null });
  host.providePlatform(catalogueSettingsRef, { voucherKey: config.catalogue.voucherKey });
  // Plugin routes as registered (method, full path, body schema): admin pages are checked against them.
  const pluginRoutes: RouteTable = new Map();
  host.providePlatform(adminUiRef, createAdminUi(host, pluginRoutes));
  await host.setupAll(app.log);
  const translator = new Translator(host.localeNamespaces);
  host.setTranslator(translator);

  const entities = resolution.enabled.flatMap((p) => p.definition.entities ?? []);
  const orm = await MikroORM.init({
    clientUrl: config.database.url,
    entities,
    pool: { min: 0, max: config.database.poolSize },
    allowGlobalContext: false,
    ensureDatabase: false,
    debug: false,
  });

  const metrics = createMetrics();
  const outboxOptions = { ...DEFAULT_OUTBOX_OPTIONS, pollIntervalMs: config.outbox.pollIntervalMs, batchSize: config.outbox.batchSize, ...options.outbox };
  const outbox = new OutboxDispatcher(orm, host, app.log, outboxOptions, (r) => {
    if (r.delivered) metrics.outboxDeliveries.inc({ outcome: 'delivered' }, r.delivered);
    if (r.retried) metrics.outboxDeliveries.inc({ outcome: 'retried' }, r.retried);
    if (r.dead) metrics.outboxDeliveries.inc({ outcome: 'dead' }, r.dead);
  });

  installProblemHandlers(app, translator, requestLocale);

  await app.register(cookie);

  // Every API route declares who may call it; a route without a rule stops start-up.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1/')) return;
    const access = (route.config as { access?: string } | undefined)?.access;
    const methods = Array.isArray(route.method) ? route.method.join(',') : route.method;
    if (!access) throw new PluginError(`Route ${methods} ${route.url} declares no access rule (config.access: 'public', 'signed-in' or a permission)`);
    if (access !== 'public' && access !== 'signed-in' && !host.isPermission(access)) {
      throw new PluginError(`Route ${methods} ${route.url} requires permission "${access}", which no enabled plugin declares and grants`);
    }
  });

  // Request lifecycle (core only): request id, authentication, locale, entity-manager fork -> request.ctx.
  const authentications = new WeakMap<FastifyRequest, Authentication>();
  app.decorateRequest('ctx', null as never);
  app.decorateRequest('csrfToken', null);
  app.decorateRequest('publicOrigin', '');
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    const em = orm.em.fork({ useContext: true }) as EntityManager;
    let authentication: Authentication | null = null;
    let failure: unknown = null;
    if (request.url.startsWith('/api/')) {
      try {
        const authenticator = host.tryService(authenticatorRef);
        // The platform authenticates before anyone is known: it reads sessions and keys unscoped.
        const authEm = orm.em.fork() as EntityManager;
        host.applyScopes(authEm, { kind: 'system', name: 'authenticator' });
        authentication =
          (await authenticator?.authenticate(
            {
              authorization: request.headers.authorization,
              sessionToken: request.cookies[SESSION_COOKIE],
              ip: request.ip,
              userAgent: request.headers['user-agent'],
            },
            authEm,
          )) ?? null;
      } catch (error) {
        failure = error;
      }
    }
    if (authentication) authentications.set(request, authentication);
    request.csrfToken = authentication?.csrfToken ?? null;
    request.publicOrigin = config.server.publicUrl?.replace(/\/+$/, '') ?? `${request.protocol}://${request.host}`;
    request.ctx = host.createContext({
      requestId: request.id,
      locale: authentication?.locale ?? requestLocale(request),
      actor: authentication?.actor ?? { kind: 'anonymous' },
      em,
      log: request.log,
      ip: request.ip,
    });
    if (failure) throw failure;
  });
  // Authorization before validation and the handler, in one place: the route's rule, then CSRF for cookie sessions.
  app.addHook('preValidation', async (request) => {
    const access = request.routeOptions.config.access;
    if (!access || access === 'public') return;
    const { actor } = request.ctx;
    if (actor.kind !== 'user' && actor.kind !== 'api-key') throw new AppError('UNAUTHORIZED', 401);
    const authentication = authentications.get(request);
    if (authentication?.via === 'session' && !SAFE_METHODS.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || sent !== authentication.csrfToken) throw new AppError('CSRF_TOKEN_INVALID', 403);
    }
    if (access !== 'signed-in' && !hasPermission(actor, access)) throw new AppError('FORBIDDEN', 403);
  });
  // Text PostgreSQL cannot store (a NUL character) or that is not valid Unicode (a lone surrogate) is refused before
  // any handler sees it, naming the field — instead of failing later in the database as a 500.
  app.addHook('preValidation', async (request) => {
    const bad = unstorableText(request.body, '/body');
    if (bad) throw new AppError('TEXT_NOT_STORABLE', 400, { fields: [{ field: bad, messageKey: 'errors.TEXT_NOT_STORABLE' }] });
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.addSchema(ProblemSchema);
  await app.register(swagger, {
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Laurel API',
        version: CORE_VERSION,
        description: 'Laurel: self-hosted B2B loyalty and partner-incentive programs. Errors are RFC 9457 problem+json, localized by Accept-Language (en, pl, ru).',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (laurel api-key create), sent as a bearer token' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: `Browser session; unsafe methods also need the ${CSRF_HEADER} header` },
        },
      },
    },
    transform: ({ schema, url, route }) => {
      const access = (route.config as { access?: string } | undefined)?.access;
      const out = { ...(schema as object) } as Record<string, unknown>;
      if (access && access !== 'public') {
        out.security = [{ apiKey: [] }, { session: [] }];
        if (access !== 'signed-in') out['x-laurel-permission'] = access;
      }
      // Every operation may answer with a problem+json error; document its shape once per operation.
      out.response = {
        ...(out.response as object | undefined),
        default: { description: 'Error (RFC 9457 problem details, localized by Accept-Language)', content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } } },
      };
      return { schema: out as never, url };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get(
    '/health/live',
    { schema: { tags: ['health'], summary: 'The process is alive', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        summary: 'Ready to serve: PostgreSQL answers (Temporal is reported as a separate component)',
        response: { 200: HealthReadySchema, 503: HealthReadySchema },
      },
    },
    async (_request, reply) => {
      const started = performance.now();
      let postgres: { status: 'up' | 'down'; latencyMs?: number };
      try {
        await orm.em.fork().getConnection().execute('select 1');
        postgres = { status: 'up', latencyMs: Math.round((performance.now() - started) * 10) / 10 };
      } catch {
        postgres = { status: 'down' };
      }
      const t = await temporal.status();
      const temporalComponent = t.status === 'disabled' ? { status: t.status } : { status: t.status, address: t.address };
      const body = {
        status: postgres.status === 'up' ? ('ok' as const) : ('unavailable' as const),
        version: CORE_VERSION,
        checkedAt: new Date().toISOString(),
        components: { postgres, temporal: temporalComponent },
      };
      return reply.status(postgres.status === 'up' ? 200 : 503).send(body);
    },
  );
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1/')) return;
    for (const method of [route.method].flat()) pluginRoutes.set(`${method} ${route.url}`, { body: route.schema?.body });
  });
  // Every enabled plugin's routes, encapsulated under /api/v1/<id>.
  for (const { pluginId, register } of host.routes) {
    await app.register(
      async (scope) => {
        await register(scope as unknown as PluginRouter);
      },
      { prefix: `/api/v1/${pluginId}` },
    );
  }

  checkAdminPageRoutes(host, pluginRoutes);

  const web = await loadWebHandler(config.web.dir);
  await app.register(async (scope) => {
    // The web app reads its own request bodies (form actions): leave the stream untouched.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    scope.route({
      method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url: '/*',
      schema: { hide: true },
      handler: async (request, reply) => {
        if (!web || isApiPath(request.url)) {
          sendNotFound(request, reply, translator, request.ctx.locale);
          return reply;
        }
        reply.hijack();
        request.raw.headers[WEB_PROTOCOL_HEADER] = request.protocol;
        web(request.raw, reply.raw, () => {
          reply.raw.statusCode = 404;
          reply.raw.end();
        });
        return reply;
      },
    });
  });
  app.setNotFoundHandler((request, reply) => {
    sendNotFound(request, reply, translator, requestLocale(request));
  });

  // Periodic background tasks of the modules (e.g. sealing the ledger), each in a loop of its own.
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<unknown>>();
  let stopping = false;
  const startPeriodicTasks = (): void => {
    for (const t of host.periodicTasks) {
      const run = async (): Promise<void> => {
        if (stopping) return;
        const ctx = host.createContext({
          requestId: `task-${t.pluginId}-${t.name}`,
          locale: 'en',
          actor: { kind: 'system', name: `${t.pluginId}:${t.name}` },
          em: orm.em.fork({ useContext: true }) as EntityManager,
          log: app.log,
        });
        const work = t.task(ctx).catch((error: unknown) => {
          if (!stopping) app.log.error({ err: error, task: `${t.pluginId}:${t.name}` }, 'background task failed');
        });
        running.add(work);
        await work;
        running.delete(work);
        if (!stopping) {
          const timer = setTimeout(() => {
            timers.delete(timer);
            void run();
          }, t.intervalMs);
          timers.add(timer);
        }
      };
      void run();
    }
  };

  app.addHook('onReady', async () => {
    await host.runReadyHooks();
    if (options.startOutbox ?? true) {
      outbox.start();
      startPeriodicTasks();
    }
  });
  app.addHook('onClose', async () => {
    stopping = true;
    for (const timer of timers) clearTimeout(timer);
    // Let the background tasks under way finish (a few seconds at most) before their connections close.
    if (running.size > 0) await Promise.race([Promise.allSettled(running), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    await outbox.stop();
    await host.runCloseHooks();
    await temporal.close();
    await orm.close(true);
  });

  return {
    app,
    orm,
    host,
    outbox,
    temporal,
    config,
    plugins: resolution.enabled.map((p) => p.definition),
  };
}

/** The JSON pointer of the first string (value or key) holding a NUL character or a lone surrogate, if any. */
export function unstorableText(value: unknown, path: string, depth = 0): string | null {
  const bad = (text: string) => text.includes('\u0000') || !text.isWellFormed();
  if (typeof value === 'string') return bad(value) ? path : null;
  if (depth > 64 || value === null || typeof value !== 'object') return null;
  // Bytes (an upload read as a Buffer) are not text: walking them entry by entry took seconds for a few megabytes.
  if (ArrayBuffer.isView(value)) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = unstorableText(value[i], `${path}/${i}`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const here = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (bad(key)) return here;
    const found = unstorableText(item, here, depth + 1);
    if (found) return found;
  }
  return null;
}
