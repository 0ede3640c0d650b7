import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@laurel/core';

const BIN = fileURLToPath(new URL('./bin.ts', import.meta.url));

interface Running {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
}

const children = new Set<ChildProcessWithoutNullStreams>();

function start(dataDir: string, port: number): Running {
  const env = { ...process.env, LAUREL_DATA_DIR: dataDir, LAUREL_PORT: String(port), LAUREL_WEB_DIR: join(dataDir, 'no-web') } as NodeJS.ProcessEnv;
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
  env.TEMPORAL_CLI_PATH = '/nonexistent';
  env.PATH = (env.PATH ?? '').split(':').filter((d) => !d.includes('temporal')).join(':');
  const child = spawn(process.execPath, [BIN, 'dev'], { env, stdio: 'pipe' });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

async function waitReady(port: number, running: Running, ms = 60_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (running.child.exitCode !== null) throw new Error(`laurel dev exited early:\n${running.output()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      if (res.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready within ${ms} ms:\n${running.output()}`);
}

async function stop(running: Running): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => running.child.once('exit', (code) => resolve(code)));
  running.child.kill('SIGINT');
  return exited;
}

function postgresProcessesUsing(dataDir: string): number {
  // Any postgres whose command line names this data directory is a stray.
  let n = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dataDir)) n += 1;
    } catch {
      // process ended meanwhile
    }
  }
  return n;
}

describe('laurel dev (pnpm start) on the embedded default', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'laurel-dev-'));
  afterAll(async () => {
    // A failed assertion must not leave a server (and its PostgreSQL) running.
    await Promise.all([...children].map((child) => new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    })));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts, keeps its data across Ctrl-C and a restart, and leaves no process behind', async () => {
    const port = await freePort();
    const first = start(dataDir, port);
    const readyMs = await waitReady(port, first);
    expect(readyMs).toBeLessThan(60_000);
    expect(first.output()).toContain(`Laurel is running at http://127.0.0.1:${port}`);
    expect(first.output()).toContain('Temporal: not available');
    expect(first.output()).toContain('Admin sign-in:    admin@laurel.demo / laurel-demo-2026');
    const signIn = await fetch(`http://127.0.0.1:${port}/api/v1/access/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@laurel.demo', password: 'laurel-demo-2026' }),
    });
    expect(signIn.status).toBe(200);
    const session = (await signIn.json()) as { csrfToken: string };
    const auth = { cookie: signIn.headers.getSetCookie()[0]!.split(';')[0]!, 'x-csrf-token': session.csrfToken };
    const demo = await fetch(`http://127.0.0.1:${port}/api/v1/system/approvals/0193e4a0-0000-7000-8000-00000000de00`, { headers: auth });
    expect(demo.status).toBe(200);
    const partners = (await (await fetch(`http://127.0.0.1:${port}/api/v1/partners?limit=100`, { headers: auth })).json()) as { items: { type: string }[] };
    expect(partners.items).toHaveLength(10);
    expect(new Set(partners.items.map((p) => p.type))).toEqual(new Set(['distributor', 'wholesaler', 'reseller', 'dealer', 'integrator']));
    const created = await fetch(`http://127.0.0.1:${port}/api/v1/system/approvals`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'kept across restarts' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(await stop(first)).toBe(0);
    expect(postgresProcessesUsing(dataDir)).toBe(0);

    const second = start(dataDir, port);
    await waitReady(port, second);
    expect(second.output()).toContain('migrations: 0 applied');
    const audit = await fetch(`http://127.0.0.1:${port}/api/v1/audit/records?subjectId=0193e4a0-0000-7000-8000-00000000de00`, { headers: auth });
    // seeding again added nothing: still the one "requested" record, still ten partners
    expect(((await audit.json()) as { items: unknown[] }).items).toHaveLength(1);
    const partnersAgain = (await (await fetch(`http://127.0.0.1:${port}/api/v1/partners?limit=100`, { headers: auth })).json()) as { items: unknown[] };
    expect(partnersAgain.items).toHaveLength(10);
    const again = await fetch(`http://127.0.0.1:${port}/api/v1/system/approvals/${id}`, { headers: auth });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { subject: string }).subject).toBe('kept across restarts');
    expect(await stop(second)).toBe(0);
    expect(postgresProcessesUsing(dataDir)).toBe(0);
  }, 180_000);

  it('stops with exit code 1 and one line when the configuration is wrong', async () => {
    const child = spawn(process.execPath, [BIN, 'server'], { env: { ...process.env, DATABASE_URL: 'postgres://x@127.0.0.1:1/x', LAUREL_PORT: 'abc' }, stdio: 'pipe' });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(err.trim()).toBe('laurel: configuration error: LAUREL_PORT: expects an integer between 0 and 65535 (got "abc")');
  });
});
