import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Migration, PluginDefinition } from '@laurel/plugin-sdk';

export interface MigrationRecord {
  pluginId: string;
  name: string;
}

export interface MigrationReport {
  applied: MigrationRecord[];
  alreadyApplied: number;
}

export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

const LOCK_KEY = 7_301_779_421; // pg_advisory_lock key of `laurel migrate`: one migrator at a time

function checksum(m: Migration): string {
  return createHash('sha256').update(typeof m.up === 'string' ? m.up : m.up.toString()).digest('hex');
}

/**
 * Apply the migrations of the given plugins (already in dependency order), each in its own transaction,
 * recording `(plugin, name, checksum)` in `laurel_migrations`. Idempotent: a second run applies nothing.
 * An applied migration whose text changed is refused: migrations are append-only, like the ledger.
 */
export async function runMigrations(
  databaseUrl: string,
  plugins: readonly PluginDefinition[],
  onProgress: (message: string) => void = () => {},
): Promise<MigrationReport> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'laurel-migrate' });
  await client.connect();
  const report: MigrationReport = { applied: [], alreadyApplied: 0 };
  try {
    await client.query('select pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`create table if not exists laurel_migrations (
      plugin_id text not null,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now(),
      primary key (plugin_id, name)
    )`);
    const { rows } = await client.query<{ plugin_id: string; name: string; checksum: string }>('select plugin_id, name, checksum from laurel_migrations');
    const done = new Map(rows.map((r) => [`${r.plugin_id}\u0000${r.name}`, r.checksum]));
    for (const plugin of plugins) {
      const migrations = [...(plugin.migrations ?? [])];
      const names = new Set<string>();
      for (const m of migrations) {
        if (names.has(m.name)) throw new MigrationError(`Plugin "${plugin.id}": migration "${m.name}" is listed twice`);
        names.add(m.name);
      }
      const sorted = migrations.sort((a, b) => a.name.localeCompare(b.name));
      for (const migration of sorted) {
        const sum = checksum(migration);
        const previous = done.get(`${plugin.id}\u0000${migration.name}`);
        if (previous !== undefined) {
          if (previous !== sum) {
            throw new MigrationError(`Plugin "${plugin.id}": migration "${migration.name}" was changed after it was applied; add a new migration instead`);
          }
          report.alreadyApplied += 1;
          continue;
        }
        onProgress(`applying ${plugin.id}/${migration.name}`);
        await client.query('begin');
        try {
          if (typeof migration.up === 'string') {
            await client.query(migration.up);
          } else {
            await migration.up({
              execute: async (sql, params) => (await client.query(sql, params as unknown[] | undefined)).rows as unknown[],
            });
          }
          await client.query('insert into laurel_migrations (plugin_id, name, checksum) values ($1, $2, $3)', [plugin.id, migration.name, sum]);
          await client.query('commit');
        } catch (error) {
          await client.query('rollback');
          const reason = error instanceof Error ? error.message : String(error);
          throw new MigrationError(`Plugin "${plugin.id}": migration "${migration.name}" failed: ${reason}`, { cause: error });
        }
        report.applied.push({ pluginId: plugin.id, name: migration.name });
      }
    }
  } finally {
    await client.query('select pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    await client.end();
  }
  return report;
}

/**
 * The migrations of the given plugins not yet recorded in `laurel_migrations` (none at all on an empty database).
 * Reads only; `laurel server` and `laurel worker` refuse to start while any are pending.
 */
export async function pendingMigrations(databaseUrl: string, plugins: readonly PluginDefinition[]): Promise<MigrationRecord[]> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'laurel-migration-check' });
  await client.connect();
  try {
    const { rows: exists } = await client.query<{ table: string | null }>("select to_regclass('laurel_migrations')::text as table");
    const done = new Set<string>();
    if (exists[0]?.table) {
      const { rows } = await client.query<{ plugin_id: string; name: string }>('select plugin_id, name from laurel_migrations');
      for (const r of rows) done.add(`${r.plugin_id}\u0000${r.name}`);
    }
    return plugins.flatMap((p) => [...(p.migrations ?? [])].sort((a, b) => a.name.localeCompare(b.name)).filter((m) => !done.has(`${p.id}\u0000${m.name}`)).map((m) => ({ pluginId: p.id, name: m.name })));
  } finally {
    await client.end();
  }
}

/** Throws a one-line `MigrationError` saying what to run when the database is not migrated. */
export async function assertMigrated(databaseUrl: string, plugins: readonly PluginDefinition[]): Promise<void> {
  const pending = await pendingMigrations(databaseUrl, plugins);
  if (pending.length === 0) return;
  const first = pending[0]!;
  throw new MigrationError(
    `the database is not migrated (${pending.length} pending, first ${first.pluginId}/${first.name}): run \`laurel migrate\` with the same DATABASE_URL first`,
  );
}
