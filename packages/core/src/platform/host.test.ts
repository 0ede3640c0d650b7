import { describe, expect, it } from 'vitest';
import { Type, definePlugin, type PluginDefinition } from '@laurel/plugin-sdk';
import { PluginError, resolvePlugins } from './host.ts';

const plugin = (id: string, extra: Partial<PluginDefinition> = {}): PluginDefinition =>
  definePlugin({ id, version: '1.0.0', compatibility: '^0.1.0', ...extra }) as PluginDefinition;

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PluginError);
    expect((error as Error).message).not.toContain('\n');
    return (error as Error).message;
  }
  throw new Error('expected a PluginError');
}

describe('resolvePlugins', () => {
  it('orders dependencies before dependants', () => {
    const r = resolvePlugins([plugin('core-a')], [plugin('mdf', { dependsOn: ['tiers'] }), plugin('tiers')], { plugins: {} }, '0.1.0');
    expect(r.enabled.map((p) => p.definition.id)).toEqual(['core-a', 'tiers', 'mdf']);
  });

  it('names the plugin that breaks each rule', () => {
    expect(failure(() => resolvePlugins([], [plugin('a'), plugin('a')], { plugins: {} }, '0.1.0'))).toBe('Plugin "a" is installed twice; plugin ids must be unique');
    expect(failure(() => resolvePlugins([], [plugin('old', { compatibility: '^2.0.0' })], { plugins: {} }, '0.1.0'))).toBe(
      'Plugin "old" 1.0.0 requires Laurel core ^2.0.0, but this is 0.1.0',
    );
    expect(failure(() => resolvePlugins([], [plugin('mdf', { dependsOn: ['tiers'] })], { plugins: {} }, '0.1.0'))).toBe(
      'Plugin "mdf" depends on "tiers", which is not installed',
    );
    expect(failure(() => resolvePlugins([], [plugin('mdf', { dependsOn: ['tiers'] }), plugin('tiers')], { plugins: { tiers: { enabled: false } } }, '0.1.0'))).toBe(
      'Plugin "mdf" depends on "tiers", which is disabled by configuration',
    );
    expect(failure(() => resolvePlugins([], [plugin('a', { dependsOn: ['b'] }), plugin('b', { dependsOn: ['c'] }), plugin('c', { dependsOn: ['a'] })], { plugins: {} }, '0.1.0'))).toBe(
      'Plugin "a" is part of a dependency cycle: a -> b -> c -> a',
    );
    expect(failure(() => resolvePlugins([], [plugin('Bad_Id')], { plugins: {} }, '0.1.0'))).toBe('Plugin "Bad_Id": id must be kebab-case (a-z, 0-9, -)');
    expect(failure(() => resolvePlugins([plugin('ledger')], [], { plugins: { ledger: { enabled: false } } }, '0.1.0'))).toBe(
      'Plugin "ledger" is a core module and cannot be disabled',
    );
  });

  it('validates a plugin configuration against its schema and applies defaults', () => {
    const erp = plugin('erp', { config: Type.Object({ url: Type.String({ format: 'uri' }), batch: Type.Integer({ minimum: 1, default: 100 }) }) });
    const ok = resolvePlugins([], [erp], { plugins: { erp: { options: { url: 'https://erp.example.com' } } } }, '0.1.0');
    expect(ok.enabled[0]!.options).toEqual({ url: 'https://erp.example.com', batch: 100 });
    expect(failure(() => resolvePlugins([], [erp], { plugins: { erp: { options: { url: 'not a url', batch: 0 } } } }, '0.1.0'))).toBe(
      'Plugin "erp": configuration plugins.erp.options is invalid: /url must match format "uri"; /batch must be >= 1',
    );
  });

  it('leaves a disabled plugin out and warns about unknown configuration', () => {
    const r = resolvePlugins([], [plugin('mdf')], { plugins: { mdf: { enabled: false }, ghost: {} } }, '0.1.0');
    expect(r.enabled).toEqual([]);
    expect(r.disabled.map((p) => p.id)).toEqual(['mdf']);
    expect(r.warnings).toEqual(['Configuration names plugin "ghost", which is not installed; ignored']);
  });
});
