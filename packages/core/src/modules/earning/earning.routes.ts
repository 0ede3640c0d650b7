import type { ErrorObject } from 'ajv';
import localize from 'ajv-i18n';
import { AppError, Type, isAppError, type PluginRouter, type RequestContext } from '@laurel/plugin-sdk';
import type { EarningService, EventOutcome, ResolveInput } from './earning.service.ts';
import type { EarningEventInput } from './earning.schemas.ts';
import { AnyEvent, CUSTOM_TYPE, eventBodyValidator, validateEvent } from './earning.schemas.ts';

const Uuid = Type.String({ format: 'uuid' });
const Status = Type.Union([Type.Literal('received'), Type.Literal('processed'), Type.Literal('unmatched'), Type.Literal('refused'), Type.Literal('rejected')], {
  description: 'received: being processed; processed: points posted (or none earned); unmatched: no partner found, waits for an admin; refused: processing refused it, a resend processes it again; rejected: an admin rejected it',
});
const Target = Type.Union([Type.Literal('pending'), Type.Literal('available')]);
const EventTypeSchema = Type.Union(
  [
    ...(['invoice.issued', 'invoice.paid', 'deal.won', 'lead.registered', 'lead.accepted', 'training.completed', 'certification.earned'] as const).map((t) => Type.Literal(t)),
    Type.String({ pattern: CUSTOM_TYPE, description: 'custom.<name>' }),
  ],
  { description: 'An event type the rule answers (invoice lines for invoice.issued; one pseudo-line with the amount for the others)' },
);

const OutcomeSchema = Type.Object({
  id: Uuid,
  source: Type.String(),
  externalId: Type.String(),
  type: Type.String(),
  status: Status,
  programId: Type.Union([Uuid, Type.Null()]),
  partnerId: Type.Union([Uuid, Type.Null()]),
  replayed: Type.Boolean({ description: 'true when this answer replays the first one' }),
  points: Type.Integer({ description: 'Points earned (invoice.issued) or released to available (invoice.paid)' }),
  entries: Type.Array(Type.Object({ target: Target, entryId: Type.Integer({ description: 'The ledger entry' }), points: Type.Integer() })),
});

const EventViewSchema = Type.Object({
  ...OutcomeSchema.properties,
  occurredAt: Type.String({ format: 'date-time' }),
  payload: Type.Record(Type.String(), Type.Unknown(), { description: 'The event as it arrived' }),
  result: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  resolution: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  receivedAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
const { replayed: _replayed, ...viewProperties } = EventViewSchema.properties;
const EventView = Type.Object(viewProperties);
const EventPage = Type.Object({ items: Type.Array(EventView), nextBefore: Type.Union([Uuid, Type.Null()]) });

const ItemProblem = Type.Object({
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String(),
  detail: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
});

const PerAmount = Type.Object(
  {
    type: Type.Literal('per-amount', { description: 'Points per whole currency unit of net value, per invoice line' }),
    pointsPerUnit: Type.Number({ exclusiveMinimum: 0, maximum: 1000, description: 'Up to 4 decimal places' }),
    target: Target,
    rounding: Type.Literal('floor'),
  },
  { additionalProperties: false },
);
const Fixed = Type.Object(
  {
    type: Type.Literal('fixed', { description: 'A fixed number of points: once per event (deal, lead, training, certification, custom), per matching line of an invoice' }),
    points: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    target: Target,
  },
  { additionalProperties: false },
);
const Effect = Type.Union([PerAmount, Fixed]);
const RuleSchema = Type.Object({
  id: Uuid,
  programId: Uuid,
  code: Type.String(),
  version: Type.Integer(),
  name: Type.String(),
  status: Type.Union([Type.Literal('draft'), Type.Literal('active'), Type.Literal('retired')]),
  validFrom: Type.String({ format: 'date-time' }),
  validTo: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  priority: Type.Integer(),
  eventTypes: Type.Array(Type.String()),
  condition: Type.Unknown({ description: 'JsonLogic' }),
  effect: Effect,
  createdAt: Type.String({ format: 'date-time' }),
  activatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const RuleRef = { ruleId: Uuid, code: Type.String(), version: Type.Integer() };
const Fired = Type.Object({ ...RuleRef, target: Target, pointsPerUnit: Type.Optional(Type.Number()), fixed: Type.Optional(Type.Integer()), points: Type.Integer(), computation: Type.String() });
const Skipped = Type.Object({
  ...RuleRef,
  reason: Type.Union([Type.Literal('event-type'), Type.Literal('not-yet-valid'), Type.Literal('no-longer-valid'), Type.Literal('condition'), Type.Literal('condition-error')]),
  detail: Type.Optional(Type.String()),
});
const ExplainedLine = Type.Object({
  line: Type.Integer(),
  sku: Type.String(),
  quantity: Type.Number(),
  netAmount: Type.Integer({ description: 'In minor units of the program currency (converted when the invoice is in another)' }),
  category: Type.Union([Type.String(), Type.Null()]),
  original: Type.Optional(Type.Object({ currency: Type.String(), netAmount: Type.Integer() }, { description: 'The line as invoiced, before conversion' })),
  points: Type.Integer(),
  fired: Type.Array(Fired),
});
const ConversionSchema = Type.Object(
  {
    from: Type.String(),
    to: Type.String(),
    rate: Type.String({ description: '1 from = rate to: a decimal when it terminates, else numerator/denominator' }),
    numerator: Type.String(),
    denominator: Type.String(),
    rateDate: Type.String({ format: 'date', description: 'The day of the rate used: the latest on or before the invoice date' }),
    source: Type.String(),
    rounding: Type.Literal('half-even', { description: 'Each line converted in minor units, rounded half to even' }),
  },
  { description: 'How an invoice in another currency was converted to the program currency' },
);
const FxRateSchema = Type.Object({
  currency: Type.String(),
  quote: Type.String({ description: 'The currency the rate is in (the program currency)' }),
  date: Type.String({ format: 'date' }),
  rate: Type.String({ description: '1 currency = rate quote; a decimal when it terminates, else numerator/denominator' }),
  numerator: Type.String(),
  denominator: Type.String(),
  source: Type.String(),
  importedAt: Type.String({ format: 'date-time' }),
});
const SimulationSchema = Type.Object({
  partner: Type.Union([Type.Object({ id: Uuid, partnerCode: Type.String(), legalName: Type.String() }), Type.Null()], { description: 'null: no partner matches (the rules run without partner facts)' }),
  programId: Uuid,
  currency: Type.String({ description: 'The program currency: amounts of the lines are in it' }),
  conversion: Type.Optional(ConversionSchema),
  points: Type.Integer(),
  pending: Type.Integer(),
  available: Type.Integer(),
  lines: Type.Array(Type.Object({ ...ExplainedLine.properties, skipped: Type.Array(Skipped) })),
  explanation: Type.Object({ pending: Type.Array(ExplainedLine), available: Type.Array(ExplainedLine) }, { description: 'Exactly what the ledger entries of the event store' }),
});

/** One batch item's problem, in the caller's language: the same fields and messages a single request gets. */
function itemProblem(ctx: RequestContext, error: unknown, base: string): { title: string; status: number; code: string; detail: string; errors?: { field: string; message: string }[] } {
  const titled = (status: number) => ctx.t(`problem.title.${status}`);
  const validation = (error as { validation?: ErrorObject[] }).validation;
  if (validation) {
    const errors = validation.map((e) => ({ ...e }));
    (localize as unknown as Record<string, (errors: ErrorObject[]) => void>)[ctx.locale]?.(errors);
    const seen = new Set<string>();
    const fields: { field: string; message: string }[] = [];
    for (const e of errors) {
      const params = e.params as Record<string, unknown>;
      const extra = e.keyword === 'required' ? params.missingProperty : e.keyword === 'additionalProperties' ? params.additionalProperty : undefined;
      const field = `${base}${e.instancePath}${typeof extra === 'string' ? `/${extra}` : ''}`;
      const message = e.message ?? e.keyword;
      if (seen.has(`${field}\u0000${message}`)) continue;
      seen.add(`${field}\u0000${message}`);
      fields.push({ field, message });
    }
    return { title: titled(400), status: 400, code: 'VALIDATION_FAILED', detail: ctx.t('errors.VALIDATION_FAILED', { count: fields.length, fields: fields.map((f) => f.field).join(', ') }), errors: fields };
  }
  if (isAppError(error) && error.status < 500) {
    const errors = error.fields.map((f) => ({ field: f.field, message: ctx.t(f.messageKey, f.params ?? {}) }));
    return { title: titled(error.status), status: error.status, code: error.code, detail: ctx.t(error.messageKey, error.params), ...(errors.length ? { errors } : {}) };
  }
  ctx.log.error({ err: error }, 'batch event failed');
  return { title: titled(500), status: 500, code: 'INTERNAL_ERROR', detail: ctx.t('errors.INTERNAL_ERROR', { requestId: ctx.requestId }) };
}

const eventBody = { validatorCompiler: () => eventBodyValidator() };

export function earningRoutes(earning: () => EarningService) {
  return (router: PluginRouter): void => {
    router.post(
      '/events',
      {
        config: { access: 'events:write' },
        ...eventBody,
        schema: {
          tags: ['earning'],
          summary: 'Send one business event (invoice.issued, invoice.paid)',
          description:
            'Keyed by (source, externalId): a replay returns the first result (200, or 202 while unmatched); the same key with a different body is a 409. 201: processed now; 202: no partner matches the identifiers, the event waits in the unmatched queue. A refused event (suspended partner, currency other than the program\'s) is kept and answered with a problem; sent again, it is processed again.',
          body: AnyEvent,
          response: { 200: OutcomeSchema, 201: OutcomeSchema, 202: OutcomeSchema },
        },
      },
      async (request, reply) => {
        const outcome = await earning().ingest(request.ctx, request.body as EarningEventInput);
        return reply.status(outcome.status === 'unmatched' ? 202 : outcome.replayed ? 200 : 201).send(outcome);
      },
    );

    router.post(
      '/events/batch',
      {
        config: { access: 'events:write' },
        bodyLimit: 32 * 1024 * 1024,
        schema: {
          tags: ['earning'],
          summary: 'Send up to 1,000 events; each is accepted or refused on its own',
          description: 'Every item is checked and processed as if sent alone (same keys, replays and problems); the answer has one result per item, in order. Items with status unmatched are accepted.',
          body: Type.Object({ events: Type.Array(Type.Unknown({ description: 'An event, as POST /events takes it' }), { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false }),
          response: {
            200: Type.Object({
              accepted: Type.Integer(),
              refused: Type.Integer(),
              items: Type.Array(Type.Object({ index: Type.Integer(), ok: Type.Boolean(), event: Type.Optional(OutcomeSchema), problem: Type.Optional(ItemProblem) })),
            }),
          },
        },
      },
      async (request) => {
        const items: { index: number; ok: boolean; event?: EventOutcome; problem?: ReturnType<typeof itemProblem> }[] = [];
        const valid: { index: number; event: EarningEventInput; prefix: string }[] = [];
        for (const [index, raw] of request.body.events.entries()) {
          const checked = validateEvent(raw);
          if (checked.ok) valid.push({ index, event: checked.event, prefix: `/body/events/${index}` });
          else items[index] = { index, ok: false, problem: itemProblem(request.ctx, Object.assign(new Error('invalid event'), { validation: checked.errors }), `/body/events/${index}`) };
        }
        const answers = await earning().ingestMany(request.ctx, valid);
        answers.forEach((a, k) => {
          const { index, prefix } = valid[k]!;
          items[index] = a.ok ? { index, ok: true, event: a.outcome } : { index, ok: false, problem: itemProblem(request.ctx, a.error, prefix) };
        });
        const accepted = items.filter((i) => i.ok).length;
        return { accepted, refused: items.length - accepted, items };
      },
    );

    router.get(
      '/events',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'Received events, newest first, with their raw payload, status and result',
          querystring: Type.Object({
            status: Type.Optional(Status),
            programId: Type.Optional(Uuid),
            source: Type.Optional(Type.String({ maxLength: 100 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            before: Type.Optional(Uuid),
          }),
          response: { 200: EventPage },
        },
      },
      async (request) => earning().listEvents(request.ctx, { ...request.query, limit: request.query.limit ?? 50 }),
    );

    router.get(
      '/unmatched',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'Events waiting for an admin to name their partner (the unmatched queue), newest first',
          querystring: Type.Object({ programId: Type.Optional(Uuid), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })), before: Type.Optional(Uuid) }),
          response: { 200: EventPage },
        },
      },
      async (request) => earning().listEvents(request.ctx, { ...request.query, status: 'unmatched', limit: request.query.limit ?? 50 }),
    );

    router.get(
      '/events/:id',
      { config: { access: 'earning:manage' }, schema: { tags: ['earning'], summary: 'One event: raw payload, status, result, resolution', params: Type.Object({ id: Uuid }), response: { 200: EventView } } },
      async (request) => earning().getEvent(request.ctx, request.params.id),
    );

    router.post(
      '/events/:id/resolve',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'Resolve an unmatched event: map it to a partner (it is then processed) or reject it with a reason',
          params: Type.Object({ id: Uuid }),
          body: Type.Object(
            {
              action: Type.Union([Type.Literal('map'), Type.Literal('reject')]),
              partnerId: Type.Optional(Type.String({ format: 'uuid', description: 'With map: the partner the event belongs to' })),
              reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'With reject: why' })),
            },
            { additionalProperties: false },
          ),
          response: { 200: OutcomeSchema },
        },
      },
      async (request) => {
        const { action, partnerId, reason } = request.body;
        let input: ResolveInput;
        if (action === 'map') {
          if (!partnerId) throw new AppError('EARNING_RESOLVE_PARTNER_REQUIRED', 422, { fields: [{ field: '/body/partnerId', messageKey: 'errors.EARNING_RESOLVE_PARTNER_REQUIRED' }] });
          input = { action, partnerId };
        } else {
          if (!reason?.trim()) throw new AppError('EARNING_RESOLVE_REASON_REQUIRED', 422, { fields: [{ field: '/body/reason', messageKey: 'errors.EARNING_RESOLVE_REASON_REQUIRED' }] });
          input = { action, reason: reason.trim() };
        }
        return earning().resolve(request.ctx, request.params.id, input);
      },
    );

    router.post(
      '/simulate',
      {
        config: { access: 'earning:manage' },
        ...eventBody,
        schema: {
          tags: ['earning'],
          summary: 'What an invoice.issued event would earn, line by line, with the rules that fired and why the others did not; posts nothing',
          body: AnyEvent,
          response: { 200: SimulationSchema },
        },
      },
      async (request) => earning().simulate(request.ctx, request.body as EarningEventInput),
    );

    router.post(
      '/fx-rates/import',
      {
        config: { access: 'earning:manage' },
        bodyLimit: 8 * 1024 * 1024,
        schema: {
          tags: ['earning'],
          summary: 'Import exchange rates: an NBP table A (JSON or XML of its API) or the ECB daily reference rates (XML)',
          description:
            'NBP rates are quoted in PLN; ECB rates are stored against quote (EUR by default, or a currency on the file such as PLN, as cross rates). Rates are exact fractions; a rate of the same currency, quote and day is replaced. Invoices in another currency are converted at the latest rate on or before their date.',
          body: Type.Object(
            {
              format: Type.Union([Type.Literal('nbp-json'), Type.Literal('nbp-xml'), Type.Literal('ecb-xml')]),
              content: Type.String({ minLength: 1, maxLength: 4 * 1024 * 1024, description: 'The file as published' }),
              quote: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'ecb-xml: the currency to store rates in (the program currency)' })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ imported: Type.Integer(), quote: Type.String(), dates: Type.Array(Type.String({ format: 'date' })), source: Type.Union([Type.String(), Type.Null()]) }) },
        },
      },
      async (request, reply) => reply.status(201).send(await earning().importRates(request.ctx, request.body)),
    );

    router.get(
      '/fx-rates',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'Stored exchange rates, newest day first',
          querystring: Type.Object({
            currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
            quote: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
            from: Type.Optional(Type.String({ format: 'date' })),
            to: Type.Optional(Type.String({ format: 'date' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
          }),
          response: { 200: Type.Object({ items: Type.Array(FxRateSchema) }) },
        },
      },
      async (request) => earning().listRates(request.ctx, { ...request.query, limit: request.query.limit ?? 200 }),
    );

    router.get(
      '/rules',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'Earning rules (every version), by code and newest version first',
          querystring: Type.Object({ programId: Type.Optional(Uuid), status: Type.Optional(RuleSchema.properties.status), code: Type.Optional(Type.String({ maxLength: 80 })) }),
          response: { 200: Type.Object({ items: Type.Array(RuleSchema) }) },
        },
      },
      async (request) => ({ items: await earning().listRules(request.ctx, request.query) }),
    );

    router.get(
      '/rules/:id',
      { config: { access: 'earning:manage' }, schema: { tags: ['earning'], summary: 'One earning rule version', params: Type.Object({ id: Uuid }), response: { 200: RuleSchema } } },
      async (request) => earning().getRule(request.ctx, request.params.id),
    );

    router.post(
      '/rules',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'Add a draft earning rule (a new version when the code exists)',
          description:
            'The condition is JsonLogic over { line: { index, sku, quantity, netAmount, category, margin }, event: { type, source, externalId, occurredAt, number, currency, netTotal }, partner: { id, partnerCode, type, country, region, salesChannel, segments } }; true applies to every line. Amounts are integers in minor units.',
          body: Type.Object(
            {
              programId: Uuid,
              code: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,79}$', description: 'Stable name of the rule; versions share it' }),
              name: Type.String({ minLength: 1, maxLength: 200 }),
              validFrom: Type.String({ format: 'date-time' }),
              validTo: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Exclusive; null: open-ended' })),
              priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000, default: 0 })),
              eventTypes: Type.Array(EventTypeSchema, { minItems: 1, maxItems: 10 }),
              condition: Type.Unknown({ description: 'JsonLogic; true for every line' }),
              effect: Effect,
            },
            { additionalProperties: false },
          ),
          response: { 201: RuleSchema },
        },
      },
      async (request, reply) => {
        const pointsPerUnit = request.body.effect.type === 'per-amount' ? request.body.effect.pointsPerUnit : 0;
        if (Math.round(pointsPerUnit * 10_000) / 10_000 !== pointsPerUnit) {
          throw new AppError('EARNING_POINTS_PER_UNIT', 422, { params: { value: pointsPerUnit }, fields: [{ field: '/body/effect/pointsPerUnit', messageKey: 'errors.EARNING_POINTS_PER_UNIT', params: { value: pointsPerUnit } }] });
        }
        if (request.body.condition === undefined) {
          throw new AppError('EARNING_CONDITION_REQUIRED', 422, { fields: [{ field: '/body/condition', messageKey: 'errors.EARNING_CONDITION_REQUIRED' }] });
        }
        return reply.status(201).send(await earning().createRule(request.ctx, request.body));
      },
    );

    router.post(
      '/rules/:id/activate',
      { config: { access: 'earning:manage' }, schema: { tags: ['earning'], summary: 'Put a draft rule in force (over its validity period)', params: Type.Object({ id: Uuid }), response: { 200: RuleSchema } } },
      async (request) => earning().activateRule(request.ctx, request.params.id),
    );

    router.post(
      '/rules/:id/retire',
      { config: { access: 'earning:manage' }, schema: { tags: ['earning'], summary: 'Take an active rule out of force', params: Type.Object({ id: Uuid }), response: { 200: RuleSchema } } },
      async (request) => earning().retireRule(request.ctx, request.params.id),
    );
  };
}
