import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadInstalledPlugins } from './plugins.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('LAUREL_PLUGINS', () => {
  it('loads a plugin by a path relative to the working directory, and by its package name from a project that has it', async () => {
    const byPath = await loadInstalledPlugins({ LAUREL_PLUGINS: './plugins/template/src/index.ts' }, root);
    expect(byPath.map((p) => p.id)).toEqual(['template']);
    // not installed beside the CLI, but the package of the directory laurel runs in (here: the plugin's own folder)
    const byName = await loadInstalledPlugins({ LAUREL_PLUGINS: ' @laurel/plugin-template ' }, `${root}plugins/template`);
    expect(byName.map((p) => p.id)).toEqual(['template']);
    await expect(loadInstalledPlugins({ LAUREL_PLUGINS: '@laurel/plugin-sdk' }, root)).rejects.toThrow('"@laurel/plugin-sdk" has no definePlugin(...) default export');
  });

  it('names the entry it cannot load', async () => {
    await expect(loadInstalledPlugins({ LAUREL_PLUGINS: '@acme/not-installed' }, root)).rejects.toThrow(/cannot load plugin package "@acme\/not-installed"/);
  });
});
