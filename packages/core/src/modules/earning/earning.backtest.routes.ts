import { Type, type PluginRouter, type PluginSetupContext } from '@laurel/plugin-sdk';
import { auditServiceRef } from '../audit/index.ts';
import { partnerServiceRef } from '../partners/index.ts';
import { programServiceRef } from '../programs/index.ts';
import { backtestServiceRef, createBacktestService, type BacktestService, type UnsavedRule } from './earning.backtest.ts';
import { CapsSchema, Effect, EventTypeSchema, SimulationSchema, StackingSchema, fourPlaces } from './earning.routes.ts';
import { validateEvent } from './earning.schemas.ts';
import type { EarningService } from './earning.service.ts';

const Uuid = Type.String({ format: 'uuid' });
const RuleIds = Type.Array(Uuid, { maxItems: 50, description: 'Saved draft versions to put in force (of the same program): each replaces the active versions of its code over an overlapping period' });
const RuleRefSchema = Type.Object({
  ruleId: Uuid,
  code: Type.String(),
  version: Type.Integer(),
  status: Type.Union([Type.Literal('draft'), Type.Literal('unsaved'), Type.Literal('active')], { description: 'unsaved: the rule of the editor, with the zero id and the version it would get' }),
});
const UnsavedRuleSchema = Type.Object(
  {
    code: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,79}$' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    validFrom: Type.String({ format: 'date-time' }),
    validTo: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
    priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
    eventTypes: Type.Array(EventTypeSchema, { minItems: 1, maxItems: 10 }),
    condition: Type.Unknown({ description: 'JsonLogic; true for every line' }),
    effect: Effect,
    stacking: Type.Optional(StackingSchema),
    caps: Type.Optional(Type.Union([CapsSchema, Type.Null()])),
  },
  { additionalProperties: false, description: 'The rule being edited, not saved yet: the body of POST /rules without programId (the event names the program)' },
);
const DraftSimulationSchema = Type.Object({
  ...SimulationSchema.properties,
  ruleSet: Type.Object(
    { drafts: Type.Array(RuleRefSchema, { description: 'The drafts put in force' }), replaced: Type.Array(RuleRefSchema, { description: 'Active versions the drafts replace' }) },
    { description: 'The rule set the simulation ran: the active rules, less `replaced`, plus `drafts`' },
  ),
});

function backtestRoutes(backtests: () => BacktestService) {
  return (router: PluginRouter): void => {
    router.post(
      '/simulate/draft',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'What an event would earn with draft rules in force (saved drafts and the rule being edited), line by line; posts nothing',
          description:
            'The same computation and explanation as POST /simulate (and as a posting stores), over the rule set the drafts make: every active rule except the versions of a draft’s code over an overlapping period, plus the drafts. Activate the drafts (retiring what they replace) and the event posts exactly this.',
          body: Type.Object(
            {
              event: Type.Unknown({ description: 'The sample event, as POST /simulate takes it (invoice.issued or an activity event)' }),
              ruleIds: Type.Optional(RuleIds),
              rule: Type.Optional(UnsavedRuleSchema),
            },
            { additionalProperties: false },
          ),
          response: { 200: DraftSimulationSchema },
        },
      },
      async (request) => {
        const { event, ruleIds, rule } = request.body;
        const checked = validateEvent(event);
        if (!checked.ok) throw Object.assign(new Error('invalid event'), { validation: checked.errors, validationContext: 'body/event' });
        if (rule) {
          if (rule.effect.type !== 'fixed') fourPlaces(rule.effect.pointsPerUnit, '/body/rule/effect/pointsPerUnit');
          rule.effect.multipliers?.strategic?.forEach((m, i) => fourPlaces(m.multiplier, `/body/rule/effect/multipliers/strategic/${i}/multiplier`));
        }
        return backtests().simulateDraft(request.ctx, checked.event, { ruleIds, rule: (rule as UnsavedRule | undefined) ?? null });
      },
    );
  };
}

/** Draft simulation and backtests: their service and routes (registered from the earning module's setup). */
export function setupBacktest(ctx: PluginSetupContext<unknown>, earning: () => EarningService): void {
  const service = createBacktestService({ earning, partners: ctx.inject(partnerServiceRef), programs: ctx.inject(programServiceRef), audit: ctx.inject(auditServiceRef) });
  ctx.provide(backtestServiceRef, service);
  ctx.routes(backtestRoutes(() => service));
}
