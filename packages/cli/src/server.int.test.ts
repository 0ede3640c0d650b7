import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const BIN = fileURLToPath(new URL('./bin.ts', import.meta.url));
const KILL_AFTER_MS = 100_000;

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Run `laurel …`; `until` (matched against stdout) makes it send SIGTERM once the text appears. */
function laurel(args: string[], env: Record<string, string>, until?: RegExp): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: 'pipe' });
    let out = '';
    let err = '';
    let stopped = false;
    // A generous backstop: on a loaded CI machine, loading and starting the whole app can take tens of seconds.
    const timer = setTimeout(() => {
      err += `\n[test] no exit after ${KILL_AFTER_MS / 1000} s: SIGKILL`;
      child.kill('SIGKILL');
    }, KILL_AFTER_MS);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!stopped && until?.test(out)) {
        stopped = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

describe('laurel server on an unmigrated database', () => {
  const adminUrl = inject('pgAdminUrl');
  const name = `laurel_empty_${randomBytes(6).toString('hex')}`;
  let databaseUrl: string;

  beforeAll(async () => {
    // An empty database, not the migrated template: what a first `docker compose up` would find.
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
  });

  afterAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  it('refuses to start with one line saying what to run, and starts once migrated', { timeout: 420_000 }, async () => {
    const env = { DATABASE_URL: databaseUrl, LAUREL_PORT: '0', LOG_LEVEL: 'info' };
    const refused = await laurel(['server'], env);
    expect(refused.code).toBe(1);
    expect(refused.err.trim().split('\n')).toHaveLength(1);
    expect(refused.err).toMatch(/^laurel: the database is not migrated \(\d+ pending, first audit\/\S+\): run `laurel migrate` with the same DATABASE_URL first/);
    expect(refused.out).not.toContain('Server listening');

    const worker = await laurel(['worker'], { ...env, TEMPORAL_ADDRESS: 'localhost:1' });
    expect(worker.code).toBe(1);
    expect(worker.err).toContain('run `laurel migrate`');

    const migrated = await laurel(['migrate'], env);
    expect(migrated.code, migrated.err).toBe(0);

    const started = await laurel(['server'], env, /Server listening at/);
    expect(started.out).toMatch(/Server listening at/);
    expect(started.code, started.err).toBe(0);
  });
});
