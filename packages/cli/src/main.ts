import { ConfigError, MigrationError, PluginError, describeSettings } from '@laurel/core';
import { runAdminCreate, runApiKeyCreate } from './commands/access.ts';
import { runLedgerVerify } from './commands/ledger.ts';
import { runMigrate } from './commands/migrate.ts';
import { runSeed } from './commands/seed.ts';
import { runServer } from './commands/server.ts';
import { runWorker } from './commands/worker.ts';

const USAGE = `Usage: laurel <command>

Commands:
  dev       Run everything on the embedded default: PostgreSQL in .laurel/, Temporal where one can be had,
            migrations, demo data, server and worker (this is \`pnpm start\`)
  server    Serve the API and the web app (DATABASE_URL required)
  worker    Run the Temporal worker (TEMPORAL_ADDRESS required)
  migrate   Apply core and enabled plugins' migrations (idempotent)
  seed      Load idempotent demo data
  admin create --email <e-mail> [--name …] [--password …] [--locale en|pl|ru]
            Make an admin (the first one on an empty installation); prints a generated password once
  api-key create --name <name> --scopes <scope,scope>
            Make an API key for an integration; prints the key once
  ledger verify [--program <id>]
            Recompute the ledger's invariants from the journal; exit 1 when one is broken
  config    List the environment variables Laurel reads
`;

/** Run a command; returns the exit code. Start-up problems print one line and exit 1. */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command] = argv;
  try {
    switch (command) {
      case 'dev': {
        // Loaded only here: the embedded PostgreSQL it uses is a development dependency, absent from the image.
        const { runDev } = await import('./commands/dev.ts');
        return await runDev(env);
      }
      case 'server':
        return await runServer(env);
      case 'worker':
        return await runWorker(env);
      case 'migrate':
        return await runMigrate(env);
      case 'seed':
        return await runSeed(env);
      case 'admin':
        if (argv[1] === 'create') return await runAdminCreate(argv.slice(2), env);
        console.error(`laurel: unknown command "admin ${argv[1] ?? ''}"; try "laurel admin create --email …"`);
        return 1;
      case 'ledger':
        if (argv[1] === 'verify') return await runLedgerVerify(argv.slice(2), env);
        console.error(`laurel: unknown command "ledger ${argv[1] ?? ''}"; try "laurel ledger verify"`);
        return 1;
      case 'api-key':
        if (argv[1] === 'create') return await runApiKeyCreate(argv.slice(2), env);
        console.error(`laurel: unknown command "api-key ${argv[1] ?? ''}"; try "laurel api-key create --name … --scopes …"`);
        return 1;
      case 'config':
        for (const s of describeSettings()) {
          console.log(`${s.env.padEnd(24)} ${s.required ? '(required) ' : ''}${s.expects}${s.default !== null ? ` [default: ${String(s.default)}]` : ''}`);
        }
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        console.log(USAGE);
        return command === undefined ? 1 : 0;
      default:
        console.error(`laurel: unknown command "${command}"\n\n${USAGE}`);
        return 1;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`laurel: configuration error: ${error.message}`);
      return 1;
    }
    if (error instanceof PluginError || error instanceof MigrationError) {
      console.error(`laurel: ${error.message}`);
      return 1;
    }
    const code = (error as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '28P01' || code === '3D000') {
      console.error(`laurel: cannot reach PostgreSQL (${code}): check DATABASE_URL`);
      return 1;
    }
    console.error('laurel: failed to start:', error);
    return 1;
  }
}
