/**
 * @laurel/testing — the test harness for plugin authors. `startLaurel({ plugins: [myPlugin] })` starts the real Laurel
 * server (every core module, your plugins, their migrations) on a real PostgreSQL, and Temporal when
 * `TEMPORAL_ADDRESS` is set; then a test signs in as an admin or a partner user, calls routes, emits events and waits
 * for the listeners (drains the outbox), and runs scheduled (`every`) tasks now.
 *
 * It is a package of its own, not `@laurel/plugin-sdk/testing`: it needs the whole server (`@laurel/core`, the CLI's
 * embedded PostgreSQL, the Temporal worker), which must never become part of the SDK a plugin ships with. A plugin
 * lists it in `devDependencies` and imports it from its tests only (`pnpm check` enforces that).
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- a test reads a response body as JSON of any shape, like app.inject().json() */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ActivityDeps, Actor, EventName, EventPayload, Locale, PluginDefinition, RequestContext, Role, ServiceRef } from '@laurel/plugin-sdk';
import type { CaughtMail, DrainResult, TemporalGateway } from '@laurel/core';
import { TEST_PASSWORD, recordingTemporalGateway, startTestApp, type SessionHeaders, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from './database.ts';

export { createTestDatabase } from './database.ts';
export { TEST_PASSWORD, recordingTemporalGateway };
export type { CaughtMail, SessionHeaders };

/** Who a request is sent as: a signed-in session, an API key's bearer header, or nobody. */
export type As = SessionHeaders | { authorization: string } | 'anonymous';

export interface RequestOptions {
  /** Default: the admin the harness signed in at start. */
  as?: As;
  /** A JSON body. */
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** Sets `Accept-Language`. */
  locale?: Locale;
}

export interface TestResponse<T = any> {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** The parsed JSON body (problem+json too); undefined when the body is not JSON. */
  body: T;
  text: string;
}

export interface StartLaurelOptions {
  /** The plugins under test (and any they depend on that are not core modules). */
  plugins: PluginDefinition[];
  /** Per-plugin configuration as in the config file: `{ 'my-plugin': { enabled: true, options: { … } } }`. */
  pluginConfig?: Record<string, { enabled?: boolean; options?: Record<string, unknown> }>;
  /** A database of the test's own; by default a fresh one from `createTestDatabase()`. */
  databaseUrl?: string;
  /** Further settings as environment variables, e.g. `{ LAUREL_DEFAULT_LOCALE: 'pl' }`. */
  env?: Record<string, string>;
  /**
   * `'auto'` (default): a real Temporal when `TEMPORAL_ADDRESS` is set — the harness runs a worker with the core and
   * your plugins' workflows and activities on a task queue of its own — else a recording gateway (`temporal.starts`
   * lists the workflows asked for). `'recording'` always records; `'real'` fails without `TEMPORAL_ADDRESS`.
   */
  temporal?: 'auto' | 'recording' | 'real';
  /** Run the outbox and the `every` tasks in the background as the server does (default false: tests call `drain()` and `runScheduled()`). */
  background?: boolean;
}

export interface LaurelTestApp {
  /** The Fastify instance (`app.inject` for anything `request` does not cover). */
  app: TestApp['app'];
  /** The URL of the test's database (for `sql` from another client). */
  databaseUrl: string;
  /** The admin (role `admin`) signed in at start. */
  admin: SessionHeaders & { userId: string; email: string };
  /** The Temporal gateway: a recording one (with `starts`, `signals`, `reachable`) unless a real Temporal runs. */
  temporal: TemporalGateway & Partial<Pick<ReturnType<typeof recordingTemporalGateway>, 'starts' | 'signals' | 'reachable'>>;
  /** True when a real Temporal server and a worker serve this app. */
  realTemporal: boolean;
  /**
   * Mail the app sent (newest first), caught by a local SMTP server the harness starts unless `SMTP_URL` is given in
   * `env`. Mail is sent by a listener: `drain()` first.
   */
  mail(): CaughtMail[];

  /** Call a route; `as` defaults to the admin. */
  request<T = any>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, options?: RequestOptions): Promise<TestResponse<T>>;
  get<T = any>(url: string, options?: Omit<RequestOptions, 'body'>): Promise<TestResponse<T>>;
  post<T = any>(url: string, body?: unknown, options?: Omit<RequestOptions, 'body'>): Promise<TestResponse<T>>;

  /** Create an active user with these roles (a partner user when `partnerId` is given) and sign them in. */
  signInAs(roles: Role[], options?: { partnerId?: string; email?: string; locale?: Locale }): Promise<SessionHeaders & { userId: string; email: string }>;
  /** A partner user of this partner (role `partner-admin` unless told), signed in. */
  signInAsPartner(partnerId: string, options?: { roles?: Role[]; locale?: Locale; email?: string }): Promise<SessionHeaders & { userId: string; email: string }>;
  /** An API key with these permissions; its bearer header. */
  apiKey(permissions: string[]): Promise<{ authorization: string }>;

  /** A live program (PLN, 1 point = 0.01 PLN unless told) through the programs API. */
  createProgram(input?: { code?: string; currency?: string; pointValueMinorPerThousand?: number; name?: { en: string; pl: string; ru: string } }): Promise<{ id: string; code: string; currency: string }>;
  /** An active partner of a program through the partners API (`nip`, `regon`, `euVat`, `type` … as the API takes them). */
  createPartner(programId: string, input?: Record<string, unknown>): Promise<{ id: string; partnerCode: string; legalName: string } & Record<string, unknown>>;

  /** A request context to call services with (a fresh entity manager; a system actor unless told). */
  context(options?: { actor?: Actor; locale?: Locale }): RequestContext;
  /** A service a module or plugin provides (`earningInboxRef`, your own refs …). */
  service<T>(ref: ServiceRef<T>): T;
  /** Emit a domain event as a module would (committed at once); listeners run on `drain()`. */
  emit<N extends EventName>(name: N, payload: EventPayload<N>): Promise<void>;
  /**
   * Deliver every pending event to its listeners, retries included, until nothing is left to do now: what the
   * background dispatcher would do, deterministically. Returns the counts (dead = parked after the last attempt).
   */
  drain(): Promise<DrainResult>;
  /**
   * Run scheduled (`ctx.every`) tasks now, once each, with a system context — all, or those named `name` or
   * `<plugin id>:<name>`. A failing task throws here. Returns the `<plugin id>:<name>` of each task run.
   */
  runScheduled(name?: string): Promise<string[]>;
  /** What Temporal activities get: `createActivities(t.activityDeps())` gives your activities against the real database. */
  activityDeps(): ActivityDeps;
  /** Run SQL on the test's database (assertions on what was stored). */
  sql<R extends Record<string, unknown> = Record<string, any>>(text: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

function headersOf(as: As | undefined, fallback: SessionHeaders): Record<string, string> {
  if (as === 'anonymous') return {};
  return { ...(as ?? fallback) };
}

/** Start the real app with the given plugins; see `StartLaurelOptions`. Close it in `afterAll`. */
export async function startLaurel(options: StartLaurelOptions): Promise<LaurelTestApp> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const mode = options.temporal ?? 'auto';
  const address = process.env.TEMPORAL_ADDRESS;
  if (mode === 'real' && !address) throw new Error('startLaurel({ temporal: "real" }) needs TEMPORAL_ADDRESS (host:port of a Temporal frontend)');
  const real = mode !== 'recording' && Boolean(address);
  const taskQueue = `laurel-test-${randomBytes(4).toString('hex')}`;
  const recording = real ? null : recordingTemporalGateway();
  const { startMailCatcher } = await import('@laurel/cli');
  const catcher = options.env?.SMTP_URL ? null : await startMailCatcher();
  let t: TestApp;
  try {
    t = await startTestApp({
      databaseUrl,
      plugins: options.plugins,
      ...(options.pluginConfig ? { pluginConfig: options.pluginConfig } : {}),
      env: { ...(catcher ? { SMTP_URL: catcher.url } : {}), ...(real ? { TEMPORAL_ADDRESS: address!, LAUREL_TASK_QUEUE: taskQueue, ...(process.env.TEMPORAL_NAMESPACE ? { TEMPORAL_NAMESPACE: process.env.TEMPORAL_NAMESPACE } : {}) } : {}), ...options.env },
      ...(recording ? { temporal: recording } : {}),
      startOutbox: options.background ?? false,
    });
  } catch (error) {
    await catcher?.stop();
    throw error;
  }

  let stopWorker = async (): Promise<void> => {};
  if (real) {
    const { createLaurelWorker } = await import('@laurel/workflows');
    const { worker, connection } = await createLaurelWorker(t, { address: address!, namespace: t.config.temporal.namespace, taskQueue });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running.catch(() => {});
      await connection.close();
    };
  }

  const context: LaurelTestApp['context'] = (init = {}) =>
    t.host.createContext({
      requestId: `test-${randomBytes(4).toString('hex')}`,
      locale: init.locale ?? 'en',
      actor: init.actor ?? { kind: 'system', name: 'test' },
      em: t.orm.em.fork({ useContext: true }) as never,
      log: t.app.log,
    });

  const request: LaurelTestApp['request'] = async (method, url, opts = {}) => {
    const query = Object.entries(opts.query ?? {}).filter(([, v]) => v !== undefined);
    const fullUrl = query.length ? `${url}${url.includes('?') ? '&' : '?'}${new URLSearchParams(query.map(([k, v]): [string, string] => [k, String(v)])).toString()}` : url;
    const headers = { ...headersOf(opts.as, t.adminHeaders), ...(opts.locale ? { 'accept-language': opts.locale } : {}), ...opts.headers };
    const res = await t.app.inject({ method, url: fullUrl, headers, ...(opts.body === undefined ? {} : { payload: opts.body as object }) });
    let body: unknown;
    try {
      body = res.body.length ? JSON.parse(res.body) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, headers: res.headers, body: body as never, text: res.body };
  };

  const sql: LaurelTestApp['sql'] = async (text, params = []) => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (await client.query(text, params)).rows;
    } finally {
      await client.end();
    }
  };

  const expectOk = (what: string, res: TestResponse, status: number) => {
    if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text}`);
  };

  let programs = 0;
  const harness: LaurelTestApp = {
    app: t.app,
    databaseUrl,
    admin: await t.signInAs(['admin']),
    temporal: recording ?? t.temporal,
    realTemporal: real,
    mail: () => catcher?.messages() ?? [],
    request,
    get: (url, opts) => request('GET', url, opts),
    post: (url, body, opts) => request('POST', url, { ...opts, body }),
    signInAs: (roles, opts) => t.signInAs(roles, opts),
    signInAsPartner: (partnerId, opts = {}) => t.signInAs(opts.roles ?? ['partner-admin'], { partnerId, ...(opts.locale ? { locale: opts.locale } : {}), ...(opts.email ? { email: opts.email } : {}) }),
    apiKey: (permissions) => t.apiKeyHeaders(permissions),
    async createProgram(input = {}) {
      programs += 1;
      const code = input.code ?? `test-${programs}-${randomBytes(3).toString('hex')}`;
      const created = await request('POST', '/api/v1/programs', {
        body: { code, name: input.name ?? { en: `Program ${code}`, pl: `Program ${code}`, ru: `Программа ${code}` }, currency: input.currency ?? 'PLN', pointValueMinorPerThousand: input.pointValueMinorPerThousand ?? 10_000 },
      });
      expectOk('createProgram', created, 201);
      const live = await request('POST', `/api/v1/programs/${created.body.id}/status`, { body: { status: 'live', reason: 'test' } });
      expectOk('createProgram (live)', live, 200);
      return { id: created.body.id, code, currency: created.body.currency };
    },
    async createPartner(programId, input = {}) {
      const created = await request('POST', '/api/v1/partners', { body: { programId, legalName: `Partner ${randomBytes(3).toString('hex')}`, type: 'dealer', ...input } });
      expectOk('createPartner', created, 201);
      return created.body;
    },
    context,
    service: (ref) => t.host.service(ref),
    async emit(name, payload) {
      const ctx = context();
      ctx.emit(name, payload);
      await ctx.em.flush();
    },
    async drain() {
      const total: DrainResult = { delivered: 0, retried: 0, dead: 0 };
      const keys = t.host.listenerKeys();
      for (let round = 0; round < 1000; round += 1) {
        const r = await t.outbox.drainOnce();
        total.delivered += r.delivered;
        total.retried += r.retried;
        total.dead += r.dead;
        if (r.delivered + r.retried + r.dead > 0) continue;
        // Nothing due now: a retry may be due in a few milliseconds (the harness's backoff is 1–5 ms).
        const [soon] = keys.length
          ? await sql<{ n: number }>(`select count(*)::int as n from laurel_outbox_delivery where status = 'pending' and available_at <= now() + interval '1 second' and listener = any($1)`, [keys])
          : [{ n: 0 }];
        if (!soon || soon.n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return total;
    },
    async runScheduled(name) {
      const ran: string[] = [];
      for (const task of t.host.periodicTasks) {
        const full = `${task.pluginId}:${task.name}`;
        if (name !== undefined && name !== task.name && name !== full) continue;
        await task.task(context({ actor: { kind: 'system', name: full } }));
        ran.push(full);
      }
      if (name !== undefined && ran.length === 0) throw new Error(`runScheduled: no scheduled task is named "${name}" (have: ${t.host.periodicTasks.map((p) => `${p.pluginId}:${p.name}`).join(', ') || 'none'})`);
      return ran;
    },
    activityDeps: () => ({ systemContext: (name) => context({ actor: { kind: 'system', name } }), inject: (ref) => t.host.service(ref) }),
    sql,
    async close() {
      await stopWorker();
      await t.close();
      await catcher?.stop();
    },
  };
  return harness;
}

/**
 * Bundle workflow code the way `laurel worker` does (Temporal's bundler): fails on an import that is not allowed in a
 * workflow (Node built-ins, database drivers …). Use it on your `workflowsPath` to catch that without a Temporal server.
 */
export async function bundleWorkflowCode(workflowsPath: string): Promise<{ code: string }> {
  const { bundleWorkflows } = await import('@laurel/workflows');
  return bundleWorkflows(workflowsPath);
}
