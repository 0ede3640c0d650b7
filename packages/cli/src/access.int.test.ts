import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { coreModules, runMigrations } from '@laurel/core';
import { startTestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../test/database.ts';

const BIN = fileURLToPath(new URL('./bin.ts', import.meta.url));

function laurel(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: 'pipe' });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('laurel admin create / api-key create', () => {
  let databaseUrl: string;
  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    await runMigrations(databaseUrl, coreModules);
  });

  it('makes the first admin with a generated password shown once, who can then sign in', async () => {
    const res = await laurel(['admin', 'create', '--email', 'Owner@Example.test', '--name', 'Owner'], { DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
    expect(res.code, res.err).toBe(0);
    const password = /password \(shown once\): (\S+)/.exec(res.out)?.[1];
    expect(password).toBeTruthy();
    const t = await startTestApp({ databaseUrl });
    const signIn = await t.app.inject({ method: 'POST', url: '/api/v1/access/sign-in', payload: { email: 'owner@example.test', password } });
    expect(signIn.statusCode).toBe(200);
    expect(signIn.json().user.roles).toEqual(['admin']);
    await t.close();
  });

  it('makes an API key with the given scopes, printed once, that works as a bearer token', async () => {
    const res = await laurel(['api-key', 'create', '--name', 'erp', '--scopes', 'partners:read,programs:read'], { DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
    expect(res.code, res.err).toBe(0);
    const key = /key \(shown once[^)]*\): (lrl_\S+)/.exec(res.out)?.[1];
    expect(key).toBeTruthy();
    const t = await startTestApp({ databaseUrl });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/partners', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/audit/records', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(403);
    await t.close();
  });

  it('refuses unknown scopes in one line naming the allowed ones', async () => {
    const res = await laurel(['api-key', 'create', '--name', 'x', '--scopes', 'ledger:everything'], { DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
    expect(res.code).toBe(1);
    expect(res.err.trim().split('\n')).toHaveLength(1);
    expect(res.err).toContain('ledger:everything');
    expect(res.err).toContain('partners:read');
  });

  it('laurel ledger verify reports a sound ledger with exit code 0', async () => {
    const res = await laurel(['ledger', 'verify'], { DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
    expect(res.code, res.err).toBe(0);
    expect(res.out).toMatch(/laurel ledger verify: \d+ entries, \d+ postings, \d+ accounts checked/);
    expect(res.out).toContain('OK');
  });
});
