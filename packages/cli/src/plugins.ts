import type { PluginDefinition } from '@laurel/plugin-sdk';

/**
 * The installed third-party plugins: npm package names in `LAUREL_PLUGINS` (comma-separated), each with a
 * `definePlugin` default export. Whether each is enabled is the configuration's `plugins.<id>.enabled`.
 */
export async function loadInstalledPlugins(env: NodeJS.ProcessEnv): Promise<PluginDefinition[]> {
  const specs = (env.LAUREL_PLUGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const plugins: PluginDefinition[] = [];
  for (const spec of specs) {
    let mod: { default?: PluginDefinition };
    try {
      mod = (await import(spec)) as { default?: PluginDefinition };
    } catch (error) {
      throw new Error(`LAUREL_PLUGINS: cannot load plugin package "${spec}": ${(error as Error).message}`, { cause: error });
    }
    if (!mod.default || typeof mod.default.id !== 'string') throw new Error(`LAUREL_PLUGINS: "${spec}" has no definePlugin(...) default export`);
    plugins.push(mod.default);
  }
  return plugins;
}
