import { Type, earningRuleExtensionsRef, type PluginSetupContext } from '@laurel/plugin-sdk';
import { createRuleExtensions, listExtensions } from './earning.extensions.ts';

/** The rule extension registry plugins register into (earningRuleExtensionsRef), and what an admin reads of it. */
export function setupRuleExtensions(ctx: PluginSetupContext<unknown>): void {
  const registry = createRuleExtensions();
  ctx.provide(earningRuleExtensionsRef, registry);
  ctx.routes((router) => {
    router.get(
      '/rule-extensions',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'Condition operators and effect types plugins registered, effect labels in the caller’s language',
          response: {
            200: Type.Object({
              operators: Type.Array(Type.Object({ name: Type.String(), args: Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema of the argument list' }) })),
              effects: Type.Array(Type.Object({ id: Type.String(), label: Type.String(), params: Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema of the effect’s params' }) })),
            }),
          },
        },
      },
      async (request) => listExtensions(registry, request.ctx.locale),
    );
  });
}
