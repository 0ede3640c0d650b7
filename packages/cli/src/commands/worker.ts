import { ConfigError, assertMigrated, buildApp, loadConfig } from '@laurel/core';
import { createLaurelWorker } from '@laurel/workflows';
import { loadInstalledPlugins } from '../plugins.ts';
import { untilSignal } from '../runtime.ts';

export async function runWorker(env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(env);
  if (!config.temporal.address) throw new ConfigError('TEMPORAL_ADDRESS: is required for `laurel worker`; expects host:port of a Temporal frontend, such as localhost:7233');
  const laurel = await buildApp(config, { plugins: await loadInstalledPlugins(env), startOutbox: false });
  await assertMigrated(config.database.url, laurel.plugins).catch(async (error: unknown) => {
    await laurel.app.close();
    throw error;
  });
  const { worker, connection } = await createLaurelWorker(laurel, { address: config.temporal.address, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue });
  const stop = untilSignal();
  const running = worker.run();
  console.log(`laurel worker: polling task queue "${config.temporal.taskQueue}" on ${config.temporal.address}`);
  await Promise.race([stop, running]);
  worker.shutdown();
  await running.catch(() => {});
  await connection.close();
  await laurel.app.close();
  return 0;
}
