import { assertMigrated, buildApp, loadConfig } from '@laurel/core';
import { loadInstalledPlugins } from '../plugins.ts';
import { defaultWebDir, untilSignal } from '../runtime.ts';

export async function runServer(env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig({ LAUREL_WEB_DIR: defaultWebDir(), ...env });
  const laurel = await buildApp(config, { plugins: await loadInstalledPlugins(env) });
  // An unmigrated database would answer 500s: refuse in one line that says what to run.
  await assertMigrated(config.database.url, laurel.plugins).catch(async (error: unknown) => {
    await laurel.app.close();
    throw error;
  });
  await laurel.app.listen({ host: config.server.host, port: config.server.port });
  await untilSignal();
  await laurel.app.close();
  return 0;
}
