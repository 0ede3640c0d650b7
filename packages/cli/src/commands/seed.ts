import { buildApp, loadConfig, type LaurelApp } from '@laurel/core';
import { loadInstalledPlugins } from '../plugins.ts';

/** Run every enabled plugin's idempotent seeders in dependency order. */
export async function seedAll(laurel: LaurelApp, log: (line: string) => void = () => {}): Promise<number> {
  let seeded = 0;
  for (const { pluginId, seed } of laurel.host.seeders) {
    const ctx = laurel.host.createContext({
      requestId: `seed-${pluginId}`,
      locale: 'en',
      actor: { kind: 'system', name: 'seed' },
      em: laurel.orm.em.fork({ useContext: true }) as never,
      log: laurel.app.log,
    });
    await seed(ctx);
    await ctx.em.flush();
    log(`seeded ${pluginId}`);
    seeded += 1;
  }
  return seeded;
}

export async function runSeed(env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(env);
  const laurel = await buildApp(config, { plugins: await loadInstalledPlugins(env), startOutbox: false });
  try {
    const n = await seedAll(laurel, (line) => console.log(`laurel seed: ${line}`));
    console.log(`laurel seed: ${n} plugin(s) seeded`);
    return 0;
  } finally {
    await laurel.app.close();
  }
}
