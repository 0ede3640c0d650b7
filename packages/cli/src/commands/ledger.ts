import { ConfigError, buildApp, loadConfig, verifyLedger } from '@laurel/core';
import { parseArgs } from '../args.ts';
import { loadInstalledPlugins } from '../plugins.ts';

/** `laurel ledger verify [--program <id>]`: recompute the ledger's invariants; exit 1 when one is broken. */
export async function runLedgerVerify(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { flags } = parseArgs(argv);
  if (flags.program && !/^[0-9a-f-]{36}$/i.test(flags.program)) throw new ConfigError('ledger verify: --program expects a program id (uuid)');
  const config = loadConfig({ LOG_LEVEL: 'warn', ...env });
  const laurel = await buildApp(config, { plugins: await loadInstalledPlugins(env), startOutbox: false });
  try {
    const started = performance.now();
    const report = await verifyLedger(laurel.orm.em.fork() as never, flags.program);
    const ms = Math.round(performance.now() - started);
    console.log(`laurel ledger verify: ${report.entries} entries, ${report.postings} postings, ${report.accounts} accounts checked in ${ms} ms`);
    if (report.problems.length === 0) {
      console.log(`laurel ledger verify: OK — every entry balances, balance rows equal their postings, no guarded account is negative, ${report.sealed} sealed entries match the hash chain`);
      return 0;
    }
    for (const p of report.problems) console.error(`laurel ledger verify: BROKEN ${p.check}: ${p.detail}`);
    return 1;
  } finally {
    await laurel.app.close();
  }
}
