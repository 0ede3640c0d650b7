import { randomBytes } from 'node:crypto';
import { ConfigError, accessServiceRef, buildApp, loadConfig, type LaurelApp } from '@laurel/core';
import { isAppError } from '@laurel/plugin-sdk';
import { parseArgs } from '../args.ts';
import { loadInstalledPlugins } from '../plugins.ts';

async function withApp<T>(env: NodeJS.ProcessEnv, run: (laurel: LaurelApp) => Promise<T>): Promise<T> {
  const config = loadConfig({ LOG_LEVEL: 'warn', ...env });
  const laurel = await buildApp(config, { plugins: await loadInstalledPlugins(env), startOutbox: false });
  try {
    return await run(laurel);
  } finally {
    await laurel.app.close();
  }
}

function cliContext(laurel: LaurelApp) {
  return laurel.host.createContext({ requestId: 'cli', locale: 'en', actor: { kind: 'system', name: 'cli' }, em: laurel.orm.em.fork({ useContext: true }) as never, log: laurel.app.log });
}

function explain(error: unknown): never {
  if (isAppError(error)) throw new ConfigError(`${error.code}: ${JSON.stringify(error.params)}`);
  throw error;
}

/** `laurel admin create --email a@b.c [--name "…"] [--password …] [--locale pl]`: an active admin; prints a generated password once. */
export async function runAdminCreate(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { flags } = parseArgs(argv);
  if (!flags.email) throw new ConfigError('admin create: --email is required, e.g. laurel admin create --email you@example.com');
  const locale = (flags.locale ?? 'en') as 'en' | 'pl' | 'ru';
  if (!['en', 'pl', 'ru'].includes(locale)) throw new ConfigError('admin create: --locale expects en, pl or ru');
  const password = flags.password ?? randomBytes(12).toString('base64url');
  const user = await withApp(env, async (laurel) =>
    laurel.host
      .service(accessServiceRef)
      .createActiveUser(cliContext(laurel), { email: flags.email!, displayName: flags.name ?? flags.email!, password, kind: 'admin', roles: ['admin'], locale })
      .catch(explain),
  );
  console.log(`laurel admin create: ${user.email} is an admin (id ${user.id})`);
  if (!flags.password) console.log(`  password (shown once): ${password}`);
  return 0;
}

/** `laurel api-key create --name erp --scopes events:write,partners:read`: prints the key once. */
export async function runApiKeyCreate(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { flags } = parseArgs(argv);
  if (!flags.name || !flags.scopes) throw new ConfigError('api-key create: --name and --scopes are required, e.g. --name erp --scopes events:write,partners:read');
  const scopes = flags.scopes.split(',').map((s) => s.trim()).filter(Boolean);
  const created = await withApp(env, async (laurel) =>
    laurel.host.service(accessServiceRef).createApiKey(cliContext(laurel), { name: flags.name!, permissions: scopes }).catch((error: unknown) => {
      if (isAppError(error) && error.code === 'ACCESS_SCOPE_INVALID') {
        throw new ConfigError(`api-key create: --scopes has unknown or not allowed scopes (${String(error.params.scopes)}); allowed: ${String(error.params.allowed)}`);
      }
      return explain(error);
    }),
  );
  console.log(`laurel api-key create: "${created.apiKey.name}" with scopes ${created.apiKey.permissions.join(', ')}`);
  console.log(`  key (shown once; send it as "Authorization: Bearer <key>"): ${created.key}`);
  return 0;
}
