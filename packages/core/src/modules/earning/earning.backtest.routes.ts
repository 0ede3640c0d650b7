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

const Totals = {
  events: Type.Integer({ description: 'Events evaluated' }),
  partners: Type.Integer({ description: 'Partners with at least one event' }),
  live: Type.Integer({ description: 'Points under the rules in force' }),
  draft: Type.Integer({ description: 'Points with the drafts in force' }),
  difference: Type.Integer({ description: 'draft − live' }),
  ratio: Type.Union([Type.Number(), Type.Null()], { description: 'draft / live to 4 decimal places; null when live is 0' }),
  liveCost: Type.Integer({ description: 'What the live points are worth, in minor units of the program currency (at its point value, half to even)' }),
  draftCost: Type.Integer(),
  costDifference: Type.Integer(),
};
const ResultSchema = Type.Object({
  currency: Type.String(),
  pointValueMinorPerThousand: Type.Integer(),
  total: Type.Object(Totals),
  segments: Type.Array(Type.Object({ segment: Type.Union([Type.String(), Type.Null()], { description: 'null: partners in no segment; a partner in several counts in each' }), ...Totals })),
  types: Type.Array(Type.Object({ type: Type.String({ description: 'Partner type' }), ...Totals })),
  rules: Type.Array(Type.Object({ code: Type.String(), live: Type.Integer(), draft: Type.Integer(), difference: Type.Integer() }), { description: 'Points per rule code' }),
  skipped: Type.Array(Type.Object({ code: Type.String(), count: Type.Integer() }), { description: 'Events left out, by reason (no exchange rate, partner not found)' }),
  millis: Type.Integer({ description: 'How long the computation took' }),
  eventsPerSecond: Type.Integer(),
});
const BacktestSchema = Type.Object({
  id: Uuid,
  programId: Uuid,
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time', description: 'Exclusive' }),
  status: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
  total: Type.Integer({ description: 'Events of the period to evaluate' }),
  done: Type.Integer({ description: 'Events evaluated so far (progress: done / total)' }),
  drafts: Type.Array(RuleRefSchema),
  replaced: Type.Array(RuleRefSchema),
  result: Type.Union([ResultSchema, Type.Null()], { description: 'Once done; the list leaves it out' }),
  error: Type.Union([Type.Object({ code: Type.String(), params: Type.Record(Type.String(), Type.Unknown()) }), Type.Null()]),
  startedBy: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

function backtestRoutes(backtests: () => BacktestService, earning: () => EarningService) {
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
          const effect = rule.effect;
          if ('pointsPerUnit' in effect) fourPlaces(effect.pointsPerUnit, '/body/rule/effect/pointsPerUnit');
          if ('multipliers' in effect) effect.multipliers?.strategic?.forEach((m, i) => fourPlaces(m.multiplier, `/body/rule/effect/multipliers/strategic/${i}/multiplier`));
        }
        return backtests().simulateDraft(request.ctx, checked.event, { ruleIds, rule: (rule as UnsavedRule | undefined) ?? null });
      },
    );

    router.post(
      '/backtests',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'Backtest draft rules over a past period: points and cost against the rules in force, per partner segment and type. Runs in the background; audited; posts nothing',
          description:
            'The stored events of the period (issued invoices and activities, processed or held for review) are evaluated under the active rules and under the rule set the drafts make (each replacing the active versions of its code it overlaps), with the evaluator a posting runs, in the order they were received; caps count from zero at the start of the period, on each side. Answers 202 with the backtest (status running, total); GET it for progress (done / total) and, once done, the result.',
          body: Type.Object(
            {
              programId: Uuid,
              from: Type.String({ format: 'date-time' }),
              to: Type.String({ format: 'date-time', description: 'Exclusive' }),
              ruleIds: Type.Array(Uuid, { minItems: 1, maxItems: 50, description: 'Draft versions to test (of the program)' }),
              idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'A replay returns the first answer; the same key for another request is a 409' })),
            },
            { additionalProperties: false },
          ),
          response: { 202: BacktestSchema },
        },
      },
      async (request, reply) => {
        const { idempotencyKey, ...input } = request.body;
        const started = await earning().once(request.ctx, idempotencyKey, 'backtest', input, () => backtests().start(request.ctx, input));
        return reply.status(202).send(started);
      },
    );

    router.get(
      '/backtests',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'A program’s backtests, newest first (without results)',
          querystring: Type.Object({ programId: Uuid, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })) }),
          response: { 200: Type.Object({ items: Type.Array(BacktestSchema) }) },
        },
      },
      async (request) => ({ items: await backtests().list(request.ctx, { programId: request.query.programId, limit: request.query.limit ?? 20 }) }),
    );

    router.get(
      '/backtests/:id',
      { config: { access: 'earning:manage' }, schema: { tags: ['earning'], summary: 'One backtest: progress and, once done, its result', params: Type.Object({ id: Uuid }), response: { 200: BacktestSchema } } },
      async (request) => backtests().get(request.ctx, request.params.id),
    );
  };
}

/** Draft simulation and backtests: their service and routes (registered from the earning module's setup). */
export function setupBacktest(ctx: PluginSetupContext<unknown>, earning: () => EarningService): void {
  const service = createBacktestService({ earning, partners: ctx.inject(partnerServiceRef), programs: ctx.inject(programServiceRef), audit: ctx.inject(auditServiceRef) });
  ctx.provide(backtestServiceRef, service);
  ctx.routes(backtestRoutes(() => service, earning));
  ctx.on('earning.backtest.requested', async (event, listenerCtx) => void (await service.run(listenerCtx, event.payload.backtestId)), { name: 'run-backtest', maxAttempts: 3 });
}
