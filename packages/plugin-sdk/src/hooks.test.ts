import { describe, expect, it } from 'vitest';
import { definePlugin, type PluginSetupContext } from './index.ts';

declare module '@laurel/plugin-sdk' {
  interface LaurelEvents {
    'sdk-test.thing.created': { thingId: string };
  }
  interface LaurelFilters {
    'sdk-test.thing.validate': { value: { name: string } };
  }
}

/**
 * Type-level checks (run by `tsc` in `pnpm check`): a misspelt event or filter name, or a payload of the
 * wrong shape, does not compile. If one of the `@ts-expect-error` lines stopped being an error, tsc fails.
 */
function typeChecks(ctx: PluginSetupContext<unknown>): void {
  ctx.on('sdk-test.thing.created', (event) => {
    const id: string = event.payload.thingId;
    void id;
  });
  // @ts-expect-error a misspelt event name does not compile
  ctx.on('sdk-test.thing.craeted', () => {});
  ctx.on('sdk-test.thing.created', (event) => {
    // @ts-expect-error the payload has no such field
    void event.payload.thingName;
  });
  ctx.filter('sdk-test.thing.validate', (value) => ({ name: value.name.trim() }));
  // @ts-expect-error a filter must return the value's type
  ctx.filter('sdk-test.thing.validate', () => ({ nom: 'x' }));
  // @ts-expect-error a misspelt filter name does not compile
  ctx.filter('sdk-test.thing.validat', (value: never) => value);
}

describe('definePlugin', () => {
  it('returns a frozen manifest', () => {
    const plugin = definePlugin({ id: 'x', version: '1.0.0', compatibility: '^0.1.0' });
    expect(Object.isFrozen(plugin)).toBe(true);
    expect(plugin.id).toBe('x');
    expect(typeof typeChecks).toBe('function');
  });
});
