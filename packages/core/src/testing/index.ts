/**
 * Test harness for Laurel and plugin authors: start the real app (real PostgreSQL, real migrations) with
 * the plugins under test, call it with `app.inject()`, drain the outbox deterministically.
 */
import type { PluginDefinition } from '@laurel/plugin-sdk';
import { buildApp, type LaurelApp } from '../app.ts';
import { loadConfig, type LaurelConfig } from '../config/config.ts';
import { runMigrations } from '../platform/migrations.ts';
import type { TemporalGateway } from '../platform/temporal.ts';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

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

export interface TestApp extends LaurelApp {
  /** Headers with the admin token. */
  adminHeaders: Record<string, string>;
  close(): Promise<void>;
}

export async function startTestApp(options: StartTestAppOptions): Promise<TestApp> {
  const config = loadConfig({
    DATABASE_URL: options.databaseUrl,
    LOG_LEVEL: 'silent',
    LAUREL_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
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
  return {
    ...laurel,
    adminHeaders: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    close: () => laurel.app.close(),
  };
}

/** A Temporal gateway that records what it was asked and can be told to be unreachable. */
export function recordingTemporalGateway(): TemporalGateway & {
  starts: { workflowType: string; workflowId: string; args: unknown[] }[];
  signals: { workflowId: string; signal: string; args: unknown[] }[];
  reachable: boolean;
} {
  const gateway = {
    starts: [] as { workflowType: string; workflowId: string; args: unknown[] }[],
    signals: [] as { workflowId: string; signal: string; args: unknown[] }[],
    reachable: true,
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
