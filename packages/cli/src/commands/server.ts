import { buildApp, loadConfig } from '@laurel/core';
import { loadInstalledPlugins } from '../plugins.ts';
import { defaultWebDir, untilSignal } from '../runtime.ts';

export async function runServer(env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig({ LAUREL_WEB_DIR: defaultWebDir(), ...env });
  const laurel = await buildApp(config, { plugins: await loadInstalledPlugins(env) });
  await laurel.app.listen({ host: config.server.host, port: config.server.port });
  await untilSignal();
  await laurel.app.close();
  return 0;
}
