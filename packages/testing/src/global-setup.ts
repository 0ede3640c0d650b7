/**
 * A vitest global setup for a plugin's own repository: one PostgreSQL for the whole run (`LAUREL_TEST_DATABASE_URL`
 * if set, else an embedded one) with a template database migrated once with Laurel's core modules; every
 * `createTestDatabase()` (and `startLaurel()` without a URL) clones it in milliseconds.
 *
 *   // vitest.config.ts
 *   export default defineConfig({ test: { globalSetup: ['@laurel/testing/global-setup'], testTimeout: 60_000 } });
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { coreModules, runMigrations } from '@laurel/core';
import { PROVIDED } from './database.ts';

const TEMPLATE = 'laurel_plugin_template';

export default async function setup(project: { provide: (key: string, value: unknown) => void }): Promise<() => Promise<void>> {
  let adminUrl = process.env.LAUREL_TEST_DATABASE_URL;
  let teardown = async (): Promise<void> => {};
  if (!adminUrl) {
    const { startEmbeddedPostgres } = await import('@laurel/cli');
    const dir = mkdtempSync(join(tmpdir(), 'laurel-testing-pg-'));
    const server = await startEmbeddedPostgres({ dataDir: dir });
    adminUrl = server.url('postgres');
    teardown = async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${TEMPLATE}`);
  await admin.query(`create database ${TEMPLATE}`);
  await admin.end();
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE}`;
  await runMigrations(templateUrl.toString(), coreModules);
  project.provide(PROVIDED.adminUrl, adminUrl);
  project.provide(PROVIDED.template, TEMPLATE);
  return teardown;
}
