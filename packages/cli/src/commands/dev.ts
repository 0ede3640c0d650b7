import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_ADMIN_EMAIL, DEMO_PASSWORD, buildApp, demoPartnerEmail, loadConfig, runMigrations, type LaurelApp } from '@laurel/core';
import { createLaurelWorker, findTemporal, startTemporalDevServer } from '@laurel/workflows';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../embedded-postgres.ts';
import { startMailCatcher } from '../mail-catcher.ts';
import { loadInstalledPlugins } from '../plugins.ts';
import { defaultWebDir, untilSignal, webIsBuilt } from '../runtime.ts';
import { seedAll } from './seed.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

function say(line: string): void {
  console.log(`laurel dev: ${line}`);
}

async function buildWeb(): Promise<boolean> {
  say('building the web app (first start only; `pnpm build` rebuilds it) ...');
  return new Promise((resolve) => {
    const child = spawn('pnpm', ['--filter', '@laurel/web', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

interface TemporalRuntime {
  address: string;
  describe: string;
  stop(): Promise<void>;
}

async function startTemporal(dataDir: string, env: NodeJS.ProcessEnv): Promise<TemporalRuntime | { unavailable: string }> {
  const source = findTemporal(env);
  if (source.kind === 'address') return { address: source.address, describe: `TEMPORAL_ADDRESS ${source.address}`, stop: async () => {} };
  const dbFile = join(dataDir, 'temporal.db');
  if (source.kind === 'binary') {
    const server = await startTemporalDevServer({ binary: source.path, dbFile });
    return { address: server.address, describe: `dev server from ${source.path} at ${server.address}, state in ${relative(process.cwd(), dbFile)}`, stop: () => server.stop() };
  }
  // Last resort: the SDK downloads a Temporal CLI (works only where its download host is reachable).
  try {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const download = TestWorkflowEnvironment.createLocal({ server: { dbFilename: dbFile, ip: '127.0.0.1' } });
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('download timed out after 90 s')), 90_000).unref());
    const testEnv = await Promise.race([download, timeout]);
    const address = (testEnv as unknown as { address: string }).address;
    return { address, describe: `dev server downloaded by the Temporal SDK at ${address}`, stop: () => testEnv.teardown() };
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    const reason = message.split(': ').slice(-2).join(': ');
    return { unavailable: `no TEMPORAL_ADDRESS, no temporal binary on TEMPORAL_CLI_PATH or PATH, SDK download failed: ${reason}` };
  }
}

/**
 * `laurel dev` (`pnpm start`): embedded PostgreSQL with its data in .laurel/, a Temporal dev server where
 * one can be had, migrations, demo data, then server and worker in one process. Ctrl-C stops it all.
 */
export async function runDev(env: NodeJS.ProcessEnv): Promise<number> {
  const dataDir = env.LAUREL_DATA_DIR ?? join(process.cwd(), '.laurel');
  mkdirSync(dataDir, { recursive: true });
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => console.error('laurel dev: while stopping:', error));
    }
  };
  try {
    let databaseUrl = env.DATABASE_URL;
    let postgresLine: string;
    if (databaseUrl) {
      postgresLine = 'DATABASE_URL';
    } else {
      const started = performance.now();
      const pg: EmbeddedPostgresHandle = await startEmbeddedPostgres({ dataDir });
      cleanups.push(() => pg.stop());
      await pg.createDatabase('laurel');
      databaseUrl = pg.url('laurel');
      postgresLine = `embedded PostgreSQL on 127.0.0.1:${pg.port}, data in ${relative(process.cwd(), join(dataDir, 'postgres')) || dataDir} (started in ${Math.round(performance.now() - started)} ms)`;
    }
    say(`PostgreSQL: ${postgresLine}`);

    let webDir: string | undefined = env.LAUREL_WEB_DIR ?? defaultWebDir();
    if (!env.LAUREL_WEB_DIR && !webIsBuilt(webDir)) {
      if (!(await buildWeb())) {
        say('the web app did not build; serving the API only');
        webDir = undefined;
      }
    }

    const temporal = await startTemporal(dataDir, env);
    if ('unavailable' in temporal) {
      say(`Temporal: not available (${temporal.unavailable}); workflow starts wait in the outbox, everything else runs`);
    } else {
      cleanups.push(() => temporal.stop());
      say(`Temporal: ${temporal.describe}`);
    }

    // Voucher codes are encrypted at rest; for local use only, a key is made once and kept beside the data.
    const voucherKeyFile = join(dataDir, 'voucher.key');
    if (!env.LAUREL_VOUCHER_KEY && !existsSync(voucherKeyFile)) writeFileSync(voucherKeyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    const voucherKey = env.LAUREL_VOUCHER_KEY || readFileSync(voucherKeyFile, 'utf8').trim();
    const loaded = loadConfig({
      LOG_LEVEL: 'warn',
      LAUREL_VOUCHER_KEY: voucherKey,
      ...env,
      DATABASE_URL: databaseUrl,
      ...(webDir ? { LAUREL_WEB_DIR: webDir } : {}),
      ...('address' in temporal ? { TEMPORAL_ADDRESS: temporal.address } : {}),
    });
    // No SMTP server configured: catch the outgoing mail locally, so invitations and resets can be read and followed.
    const catcher = loaded.mail.smtpUrl ? null : await startMailCatcher();
    if (catcher) {
      cleanups.push(() => catcher.stop());
      say(`mail: no SMTP_URL, so outgoing mail is caught on ${catcher.url} (in memory, the last 200 messages)`);
    }
    const config = catcher ? { ...loaded, mail: { ...loaded.mail, smtpUrl: catcher.url } } : loaded;
    const laurel: LaurelApp = await buildApp(config, { plugins: await loadInstalledPlugins(env), ...(catcher ? { mailCatcher: catcher } : {}) });
    cleanups.push(() => laurel.app.close());
    const report = await runMigrations(config.database.url, laurel.plugins);
    say(`migrations: ${report.applied.length} applied, ${report.alreadyApplied} already applied`);
    const seeded = await seedAll(laurel);
    say(`demo data: ${seeded} module(s) seeded`);

    if ('address' in temporal) {
      const { worker, connection } = await createLaurelWorker(laurel, { address: temporal.address, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue });
      const running = worker.run();
      cleanups.push(async () => {
        worker.shutdown();
        await running.catch(() => {});
        await connection.close();
      });
      say(`worker: polling task queue "${config.temporal.taskQueue}"`);
    }

    await laurel.app.listen({ host: config.server.host, port: config.server.port });
    const url = config.server.publicUrl ?? `http://${config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host}:${config.server.port}`;
    console.log(
      [
        '',
        `  Laurel is running at ${url}`,
        `  Web app:        ${webDir && webIsBuilt(webDir) ? `${url}/  (English, Polski, Русский)` : 'not built (run pnpm build)'}`,
        `  API reference:  ${url}/api/docs`,
        `  Health:         ${url}/health/ready`,
        ...(catcher ? [`  Caught mail: ${url}/api/v1/mail/caught`] : []),
        `  Admin sign-in:    ${DEMO_ADMIN_EMAIL} / ${DEMO_PASSWORD}   (POST ${url}/api/v1/access/sign-in)`,
        `  Partner sign-in:  ${demoPartnerEmail(0)} … ${demoPartnerEmail(9)} / ${DEMO_PASSWORD}`,
        '  API keys:         pnpm laurel api-key create --name erp --scopes partners:read',
        `  Running:        server, outbox${'address' in temporal ? ', worker, Temporal' : ' (Temporal not available)'}, PostgreSQL`,
        '  Stop with Ctrl-C; data stays in .laurel/.',
        '',
      ].join('\n'),
    );
    const signal = await untilSignal();
    say(`${signal}: stopping ...`);
    await stopAll();
    say('stopped');
    return 0;
  } catch (error) {
    await stopAll();
    throw error;
  }
}
