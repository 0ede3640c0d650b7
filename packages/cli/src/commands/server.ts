import { assertMigrated, buildApp, loadConfig } from '@laurel/core';
import { loadInstalledPlugins } from '../plugins.ts';
import { closeWithin, defaultWebDir, untilSignal } from '../runtime.ts';

export async function runServer(env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig({ LAUREL_WEB_DIR: defaultWebDir(), ...env });
  const laurel = await buildApp(config, { plugins: await loadInstalledPlugins(env) });
  // An unmigrated database would answer 500s: refuse in one line that says what to run.
  await assertMigrated(config.database.url, laurel.plugins).catch(async (error: unknown) => {
    await laurel.app.close();
    throw error;
  });
  // Listen for the stop signal before listening on the port: "Server listening" is logged inside listen(),
  // and a supervisor that stops the server as soon as it sees that line must get a clean shutdown.
  const stop = untilSignal();
  await laurel.app.listen({ host: config.server.host, port: config.server.port });
  await stop;
  return closeWithin(laurel.app, 20_000);
}
