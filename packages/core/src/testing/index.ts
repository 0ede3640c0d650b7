/**
 * Test harness for Laurel and plugin authors: start the real app (real PostgreSQL, real migrations) with
 * the plugins under test, call it with `app.inject()`, drain the outbox deterministically.
 */
import type { Locale, PluginDefinition, Role } from '@laurel/plugin-sdk';
import { accessServiceRef } from '../modules/access/index.ts';
import { buildApp, type LaurelApp } from '../app.ts';
import { loadConfig, type LaurelConfig } from '../config/config.ts';
import { runMigrations } from '../platform/migrations.ts';
import type { TemporalGateway, WorkflowRunState } from '../platform/temporal.ts';

/** The password of every user the harness creates. */
export const TEST_PASSWORD = 'correct horse battery staple';

export interface StartTestAppOptions {
  /** A database of its own for this test file (see the integration setup). */
  databaseUrl: string;
  plugins?: PluginDefinition[];
  /** Extra environment-style settings, e.g. `{ LAUREL_WEB_DIR: 'web/build' }`. */
  env?: Record<string, string>;
  /** Per-plugin configuration, as in the config file's `plugins` section. */
  pluginConfig?: LaurelConfig['plugins'];
  temporal?: TemporalGateway;
  /** Start the outbox poller (default false: tests call `outbox.drainUntilIdle()`). */
  startOutbox?: boolean;
}

/** Headers of a signed-in browser session: the cookie and the CSRF token. */
export type SessionHeaders = { cookie: string; 'x-csrf-token': string };

export interface TestApp extends LaurelApp {
  /** A signed-in admin (role `admin`) created at start. */
  adminHeaders: SessionHeaders;
  /** Create an active user with these roles (a partner user when `partnerId` is given) and sign them in. */
  signInAs(roles: Role[], options?: { partnerId?: string; email?: string; locale?: Locale }): Promise<SessionHeaders & { userId: string; email: string }>;
  /** Create an API key with these scopes; returns the bearer header. */
  apiKeyHeaders(scopes: string[]): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

export async function startTestApp(options: StartTestAppOptions): Promise<TestApp> {
  const config = loadConfig({
    DATABASE_URL: options.databaseUrl,
    LOG_LEVEL: 'silent',
    LAUREL_DB_POOL_SIZE: '4',
    ...options.env,
  });
  config.plugins = { ...config.plugins, ...options.pluginConfig };
  const laurel = await buildApp(config, {
    plugins: options.plugins ?? [],
    startOutbox: options.startOutbox ?? false,
    outbox: { retryBaseMs: 1, retryMaxMs: 5, leaseMs: 30_000 },
    ...(options.temporal ? { temporal: options.temporal } : {}),
  });
  await runMigrations(options.databaseUrl, laurel.plugins);
  await laurel.app.ready();
  const access = laurel.host.service(accessServiceRef);
  const system = () =>
    laurel.host.createContext({ requestId: 'test-harness', locale: 'en', actor: { kind: 'system', name: 'test' }, em: laurel.orm.em.fork({ useContext: true }) as never, log: laurel.app.log });
  let n = 0;
  const signInAs: TestApp['signInAs'] = async (roles, extra = {}) => {
    n += 1;
    const email = extra.email ?? `${roles.join('-')}-${n}-${Math.random().toString(36).slice(2, 8)}@test.laurel.local`;
    const user = await access.createActiveUser(system(), {
      email,
      displayName: `Test ${roles.join(' ')}`,
      password: TEST_PASSWORD,
      kind: extra.partnerId ? 'partner' : 'admin',
      roles,
      partnerId: extra.partnerId ?? null,
      locale: extra.locale ?? 'en',
    });
    const res = await laurel.app.inject({ method: 'POST', url: '/api/v1/access/sign-in', payload: { email, password: TEST_PASSWORD } });
    if (res.statusCode !== 200) throw new Error(`test sign-in failed: ${res.statusCode} ${res.body}`);
    const cookie = res.cookies.find((c) => c.name === 'laurel_session');
    return { cookie: `laurel_session=${cookie?.value ?? ''}`, 'x-csrf-token': (res.json() as { csrfToken: string }).csrfToken, userId: user.id, email };
  };
  const admin = await signInAs(['admin']);
  return {
    ...laurel,
    adminHeaders: { cookie: admin.cookie, 'x-csrf-token': admin['x-csrf-token'] },
    signInAs,
    async apiKeyHeaders(scopes) {
      const { key } = await access.createApiKey(system(), { name: `test-${scopes.join('-')}`.slice(0, 100), permissions: scopes });
      return { authorization: `Bearer ${key}` };
    },
    close: () => laurel.app.close(),
  };
}

/**
 * A Temporal gateway that records what it was asked and can be told to be unreachable. A workflow it started is
 * `running` until a test says how it ended (`ended.set(workflowId, 'terminated')`); one it never started is `not-found`.
 */
export function recordingTemporalGateway(): TemporalGateway & {
  starts: { workflowType: string; workflowId: string; args: unknown[] }[];
  signals: { workflowId: string; signal: string; args: unknown[] }[];
  reachable: boolean;
  ended: Map<string, WorkflowRunState>;
} {
  const gateway = {
    starts: [] as { workflowType: string; workflowId: string; args: unknown[] }[],
    signals: [] as { workflowId: string; signal: string; args: unknown[] }[],
    reachable: true,
    ended: new Map<string, WorkflowRunState>(),
    async describeWorkflow(workflowId: string): Promise<WorkflowRunState> {
      if (!gateway.reachable) throw new Error('Temporal is unreachable');
      return gateway.ended.get(workflowId) ?? (gateway.starts.some((s) => s.workflowId === workflowId) ? 'running' : 'not-found');
    },
    async status() {
      return gateway.reachable ? ({ status: 'up', address: 'recording' } as const) : ({ status: 'down', address: 'recording', reason: 'unreachable' } as const);
    },
    async startWorkflow(request: { workflowType: string; workflowId: string; args: unknown[] }) {
      if (!gateway.reachable) throw new Error('Temporal is unreachable');
      const started = !gateway.starts.some((s) => s.workflowId === request.workflowId);
      if (started) gateway.starts.push({ workflowType: request.workflowType, workflowId: request.workflowId, args: request.args });
      return { started };
    },
    async signalWorkflow(request: { workflowId: string; signal: string; args: unknown[] }) {
      if (!gateway.reachable) throw new Error('Temporal is unreachable');
      gateway.signals.push(request);
    },
    async close() {},
  };
  return gateway;
}
