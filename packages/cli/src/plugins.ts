import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PluginDefinition } from '@laurel/plugin-sdk';

/** Import one entry of `LAUREL_PLUGINS`: a path (absolute, or relative to `cwd`), else a package installed beside Laurel or in `cwd`. */
async function importPlugin(spec: string, cwd: string): Promise<{ default?: PluginDefinition }> {
  if (spec.startsWith('.') || isAbsolute(spec)) return (await import(pathToFileURL(resolve(cwd, spec)).href)) as { default?: PluginDefinition };
  try {
    return (await import(spec)) as { default?: PluginDefinition };
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    // Not beside Laurel: a package of the project laurel runs in (a plugin's own folder, a workspace).
    let resolved: string;
    try {
      resolved = createRequire(join(cwd, 'package.json')).resolve(spec);
    } catch {
      throw error;
    }
    return (await import(pathToFileURL(resolved).href)) as { default?: PluginDefinition };
  }
}

/**
 * The installed third-party plugins: `LAUREL_PLUGINS` (comma-separated) names npm packages — installed beside Laurel
 * or in the directory laurel runs in — or paths to a plugin's entry file, each with a `definePlugin` default export.
 * Whether each is enabled is the configuration's `plugins.<id>.enabled`.
 */
export async function loadInstalledPlugins(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): Promise<PluginDefinition[]> {
  const specs = (env.LAUREL_PLUGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const plugins: PluginDefinition[] = [];
  for (const spec of specs) {
    let mod: { default?: PluginDefinition };
    try {
      mod = await importPlugin(spec, cwd);
    } catch (error) {
      throw new Error(`LAUREL_PLUGINS: cannot load plugin package "${spec}": ${(error as Error).message}`, { cause: error });
    }
    if (!mod.default || typeof mod.default.id !== 'string') throw new Error(`LAUREL_PLUGINS: "${spec}" has no definePlugin(...) default export`);
    plugins.push(mod.default);
  }
  return plugins;
}
