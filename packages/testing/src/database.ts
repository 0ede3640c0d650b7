import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** What the global setup hands to each test file (vitest's `provide`/`inject`). */
export const PROVIDED = { adminUrl: 'pgAdminUrl', template: 'pgTemplate' } as const;

let embedded: Promise<{ adminUrl: string; stop: () => Promise<void> }> | null = null;

/** One embedded PostgreSQL per process when nothing else is given, stopped when the process exits. */
async function embeddedServer(): Promise<string> {
  embedded ??= (async () => {
    const { startEmbeddedPostgres } = await import('@laurel/cli');
    const dir = mkdtempSync(join(tmpdir(), 'laurel-testing-pg-'));
    const server = await startEmbeddedPostgres({ dataDir: dir });
    const stop = async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    };
    process.once('beforeExit', () => void stop());
    return { adminUrl: server.url('postgres'), stop };
  })();
  return (await embedded).adminUrl;
}

/** The server the global setup started (repository or `@laurel/testing/global-setup`), if the runner is vitest. */
async function provided(): Promise<{ adminUrl: string; template: string | null } | null> {
  try {
    const { inject } = (await import('vitest')) as unknown as { inject: (key: string) => unknown };
    const adminUrl = inject(PROVIDED.adminUrl);
    if (typeof adminUrl !== 'string') return null;
    const template = inject(PROVIDED.template);
    return { adminUrl, template: typeof template === 'string' ? template : null };
  } catch {
    return null;
  }
}

/**
 * A fresh, empty database of the test's own, on a real PostgreSQL: the server of the global setup (cloned from its
 * migrated template: fast), else the server at `LAUREL_TEST_DATABASE_URL` (a maintenance database URL with the right to
 * create databases), else an embedded PostgreSQL started once for the process. Returns its URL.
 */
export async function createTestDatabase(): Promise<string> {
  const fromSetup = await provided();
  const adminUrl = fromSetup?.adminUrl ?? process.env.LAUREL_TEST_DATABASE_URL ?? (await embeddedServer());
  const name = `laurel_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(fromSetup?.template ? `create database ${name} template ${fromSetup.template}` : `create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
