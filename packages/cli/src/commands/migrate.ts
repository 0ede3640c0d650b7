import { buildApp, loadConfig, runMigrations } from '@laurel/core';
import { loadInstalledPlugins } from '../plugins.ts';

export async function runMigrate(env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(env);
  config.log.level = 'warn';
  // Building the app checks the plugins (ids, versions, dependencies, config) before any SQL runs.
  const laurel = await buildApp(config, { plugins: await loadInstalledPlugins(env), startOutbox: false });
  try {
    const report = await runMigrations(config.database.url, laurel.plugins, (line) => console.log(`laurel migrate: ${line}`));
    console.log(`laurel migrate: ${report.applied.length} applied, ${report.alreadyApplied} already applied`);
    return 0;
  } finally {
    await laurel.app.close();
  }
}
