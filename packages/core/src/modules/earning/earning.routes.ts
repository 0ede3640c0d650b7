import type { ErrorObject } from 'ajv';
import localize from 'ajv-i18n';
import { AppError, Type, isAppError, type PluginRouter, type RequestContext } from '@laurel/plugin-sdk';
import type { EarningService, EventOutcome, ResolveInput, RuleInput } from './earning.service.ts';
import type { EarningEventInput } from './earning.schemas.ts';
import { AnyEvent, CUSTOM_TYPE, eventBodyValidator, validateEvent } from './earning.schemas.ts';

const Uuid = Type.String({ format: 'uuid' });
const Status = Type.Union([Type.Literal('received'), Type.Literal('processed'), Type.Literal('unmatched'), Type.Literal('refused'), Type.Literal('rejected'), Type.Literal('review')], {
  description: 'received: being processed; processed: points posted (or none earned); unmatched: no partner found, waits for an admin; refused: processing refused it, a resend processes it again; rejected: an admin rejected it; review: a guardrail held it back, it waits in the review queue',
});
const IdempotencyKey = Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Idempotency key: a replay returns the first answer; the same key for another request is a 409' }));
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

const PointsPerUnit = Type.Number({ exclusiveMinimum: 0, maximum: 1000, description: 'Up to 4 decimal places' });
const Rounding = Type.Union([Type.Literal('floor'), Type.Literal('half-even')], { description: 'How the exact product is rounded to whole points (floor when left out); once, after every multiplier' });
const Multiplier = Type.Number({ exclusiveMinimum: 0, maximum: 100, description: 'Up to 4 decimal places' });
const Multipliers = Type.Object(
  {
    strategic: Type.Optional(
      Type.Array(
        Type.Object(
          { skus: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 1000 })), categories: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100 })), multiplier: Multiplier },
          { additionalProperties: false },
        ),
        { maxItems: 50, description: 'Strategic SKUs or categories: a line matching one is multiplied by the highest multiplier it matches' },
      ),
    ),
    tier: Type.Optional(Type.Boolean({ description: "false: the partner's tier multiplier (from a tiers plugin) does not apply; it does by default" })),
  },
  { additionalProperties: false },
);
const common = { target: Target, rounding: Type.Optional(Rounding), multipliers: Type.Optional(Multipliers) };
const PerAmount = Type.Object({ type: Type.Literal('per-amount', { description: 'Points per whole currency unit of net value, per invoice line' }), pointsPerUnit: PointsPerUnit, ...common }, { additionalProperties: false });
const PerQuantity = Type.Object({ type: Type.Literal('per-quantity', { description: "Points per unit of a line's quantity" }), pointsPerUnit: PointsPerUnit, ...common }, { additionalProperties: false });
const PerMargin = Type.Object({ type: Type.Literal('per-margin', { description: "Points per whole currency unit of a line's margin (none or negative: nothing)" }), pointsPerUnit: PointsPerUnit, ...common }, { additionalProperties: false });
const Fixed = Type.Object(
  {
    type: Type.Literal('fixed', { description: 'A fixed number of points: once per event (deal, lead, training, certification, custom), per matching line of an invoice' }),
    points: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    ...common,
  },
  { additionalProperties: false },
);
const PluginEffectSchema = Type.Object(
  {
    type: Type.String({ pattern: '^[a-z][a-z0-9-]{0,39}\\.[a-z0-9][a-z0-9_-]{0,59}$', description: 'An effect type a plugin registered, <plugin id>.<name> (GET /earning/rule-extensions lists them)' }),
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "The effect type's parameters, checked against its schema when the rule is saved" })),
    target: Target,
  },
  { additionalProperties: false },
);
const Effect = Type.Union([PerAmount, PerQuantity, PerMargin, Fixed, PluginEffectSchema]);
const StackingSchema = Type.Union(
  [Type.Object({ mode: Type.Literal('additive') }, { additionalProperties: false }), Type.Object({ mode: Type.Literal('best-of'), group: Type.String({ minLength: 1, maxLength: 80 }) }, { additionalProperties: false })],
  { description: 'additive (the default): adds its points; best-of: of the rules of its group that fire on a line only the one giving the most points applies (ties: higher priority, then lower code)' },
);
const CapPoints = Type.Integer({ minimum: 0, maximum: 1_000_000_000_000 });
const CapsSchema = Type.Object(
  {
    perEvent: Type.Optional(CapPoints),
    perPartner: Type.Optional(Type.Object({ period: Type.Union([Type.Literal('month'), Type.Literal('quarter'), Type.Literal('year')]), points: CapPoints }, { additionalProperties: false, description: "Per partner per calendar period in the program's time zone, counted from what the rule (by code) already granted" })),
    budget: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'Points across all partners (by code)' })),
    onCap: Type.Optional(Type.Union([Type.Literal('post'), Type.Literal('review')], { description: 'post (default): the capped part is posted; review: the event goes to the review queue' })),
  },
  { additionalProperties: false },
);
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
  stacking: StackingSchema,
  caps: Type.Union([CapsSchema, Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  activatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const RuleRef = { ruleId: Uuid, code: Type.String(), version: Type.Integer() };
const CapKind = Type.Union([Type.Literal('event'), Type.Literal('period'), Type.Literal('budget')]);
const Fired = Type.Object({
  ...RuleRef,
  target: Target,
  effect: Type.Optional(Type.String({ description: "A plugin effect type's id, when the rule's effect is one; computation is then its explanation" })),
  pointsPerUnit: Type.Optional(Type.Number()),
  fixed: Type.Optional(Type.Integer()),
  multipliers: Type.Optional(Type.Object({ strategic: Type.Optional(Type.Number()), tier: Type.Optional(Type.Number()) })),
  points: Type.Integer(),
  computation: Type.String(),
  capped: Type.Optional(Type.Object({ kind: CapKind, limit: Type.Integer(), period: Type.Optional(Type.String()), alreadyGranted: Type.Integer(), uncapped: Type.Integer() }, { description: 'A cap took points off this line' })),
});
const Skipped = Type.Object({
  ...RuleRef,
  reason: Type.Union([Type.Literal('event-type'), Type.Literal('not-yet-valid'), Type.Literal('no-longer-valid'), Type.Literal('condition'), Type.Literal('condition-error'), Type.Literal('effect-error'), Type.Literal('best-of')]),
  detail: Type.Optional(Type.String()),
  group: Type.Optional(Type.String()),
  points: Type.Optional(Type.Integer({ description: 'best-of: the points the rule would have given' })),
  lostTo: Type.Optional(Type.Object({ code: Type.String(), version: Type.Integer(), points: Type.Integer() })),
});
const CapSummary = Type.Object({
  ...RuleRef,
  target: Target,
  kind: CapKind,
  limit: Type.Integer(),
  period: Type.Optional(Type.String()),
  alreadyGranted: Type.Integer(),
  grantedNow: Type.Integer(),
  uncapped: Type.Integer(),
  onCap: Type.Union([Type.Literal('post'), Type.Literal('review')]),
});
const ReviewReasonSchema = Type.Object(
  {
    kind: Type.Union([Type.Literal('document-number'), Type.Literal('volume'), Type.Literal('cap'), Type.Literal('related-company')]),
    number: Type.Optional(Type.String()),
    otherEventId: Type.Optional(Uuid),
    otherPartnerId: Type.Optional(Uuid),
    netTotal: Type.Optional(Type.Integer()),
    average: Type.Optional(Type.Integer()),
    factor: Type.Optional(Type.Number()),
    invoices: Type.Optional(Type.Integer()),
    code: Type.Optional(Type.String()),
    cap: Type.Optional(CapKind),
    limit: Type.Optional(Type.Integer()),
    alreadyGranted: Type.Optional(Type.Integer()),
    grantedNow: Type.Optional(Type.Integer()),
    uncapped: Type.Optional(Type.Integer()),
    relation: Type.Optional(Type.Union([Type.Literal('self'), Type.Literal('declared'), Type.Literal('group')], { description: 'related-company: the buyer is the partner itself, a company it declared related, or a partner of its capital group' })),
    buyer: Type.Optional(Type.Object({ partnerId: Type.Optional(Type.String()), nip: Type.Optional(Type.String()), euVat: Type.Optional(Type.String()), regon: Type.Optional(Type.String()), name: Type.Optional(Type.String()) })),
    matched: Type.Optional(Type.String({ description: 'related-company: the identifier that matched (`nip 5250007738`)' })),
    name: Type.Optional(Type.String()),
    relatedPartnerId: Type.Optional(Uuid),
    relatedCompanyId: Type.Optional(Uuid),
  },
  { description: 'document-number: already credited to another partner; volume: net value above factor × the partner’s 12-month average invoice; cap: a rule’s cap reached (onCap: review)' },
);
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
  caps: Type.Optional(Type.Array(CapSummary, { description: 'The caps that bound; each ledger entry stores those of its target' })),
  explanation: Type.Object({ pending: Type.Array(ExplainedLine), available: Type.Array(ExplainedLine) }, { description: 'Exactly what the ledger entries of the event store' }),
  guardrails: Type.Optional(Type.Array(ReviewReasonSchema, { description: 'Guardrails the event would trip: sent, it would wait in the review queue' })),
});
const ReviewSchema = Type.Object({
  id: Uuid,
  programId: Uuid,
  eventId: Uuid,
  partnerId: Uuid,
  status: Type.Union([Type.Literal('open'), Type.Literal('approved'), Type.Literal('rejected')]),
  reasons: Type.Array(ReviewReasonSchema),
  points: Type.Integer({ description: 'What approval posts: exactly what the simulation showed when the event was held' }),
  pending: Type.Integer(),
  available: Type.Integer(),
  simulation: Type.Record(Type.String(), Type.Unknown(), { description: 'The simulation of the event when it was held (lines, rules, caps, explanation)' }),
  decision: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  result: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  decidedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const SettingsSchema = Type.Object({
  programId: Uuid,
  volumeFactor: Type.Union([Type.Number(), Type.Null()], { description: 'An invoice above this × the partner’s trailing 12-month average invoice goes to review; null: off' }),
  volumeMinInvoices: Type.Integer({ description: 'The volume guardrail applies once the partner has this many invoices in the 12 months' }),
});

/** A 422 naming a field with more than 4 decimal places. */
function fourPlaces(value: number | undefined, field: string) {
  if (value === undefined || Math.round(value * 10_000) / 10_000 === value) return;
  throw new AppError('EARNING_POINTS_PER_UNIT', 422, { params: { value }, fields: [{ field, messageKey: 'errors.EARNING_POINTS_PER_UNIT', params: { value } }] });
}
const OptionalKeyBody = Type.Optional(Type.Object({ idempotencyKey: IdempotencyKey }, { additionalProperties: false }));

/** One batch item's problem, in the caller's language: the same fields and messages a single request gets. */
export function itemProblem(ctx: RequestContext, error: unknown, base: string): { title: string; status: number; code: string; detail: string; errors?: { field: string; message: string }[] } {
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
        return reply.status(outcome.status === 'unmatched' || outcome.status === 'review' ? 202 : outcome.replayed ? 200 : 201).send(outcome);
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
              idempotencyKey: IdempotencyKey,
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
        return earning().once(request.ctx, request.body.idempotencyKey, `resolve:${request.params.id}`, input, () => earning().resolve(request.ctx, request.params.id, input));
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
              stacking: Type.Optional(StackingSchema),
              caps: Type.Optional(Type.Union([CapsSchema, Type.Null()])),
              idempotencyKey: IdempotencyKey,
            },
            { additionalProperties: false },
          ),
          response: { 201: RuleSchema },
        },
      },
      async (request, reply) => {
        const { idempotencyKey, ...body } = request.body;
        const effect = body.effect;
        if ('pointsPerUnit' in effect) fourPlaces(effect.pointsPerUnit, '/body/effect/pointsPerUnit');
        if ('multipliers' in effect) effect.multipliers?.strategic?.forEach((m, i) => fourPlaces(m.multiplier, `/body/effect/multipliers/strategic/${i}/multiplier`));
        if (body.condition === undefined) {
          throw new AppError('EARNING_CONDITION_REQUIRED', 422, { fields: [{ field: '/body/condition', messageKey: 'errors.EARNING_CONDITION_REQUIRED' }] });
        }
        const rule = await earning().once(request.ctx, idempotencyKey, 'create-rule', body, () => earning().createRule(request.ctx, body as RuleInput));
        return reply.status(201).send(rule);
      },
    );

    router.post(
      '/rules/:id/activate',
      { config: { access: 'earning:manage' }, schema: { tags: ['earning'], summary: 'Put a draft rule in force (over its validity period)', params: Type.Object({ id: Uuid }), body: OptionalKeyBody, response: { 200: RuleSchema } } },
      async (request) => earning().once(request.ctx, request.body?.idempotencyKey, `activate:${request.params.id}`, {}, () => earning().activateRule(request.ctx, request.params.id)),
    );

    router.post(
      '/rules/:id/retire',
      { config: { access: 'earning:manage' }, schema: { tags: ['earning'], summary: 'Take an active rule out of force', params: Type.Object({ id: Uuid }), body: OptionalKeyBody, response: { 200: RuleSchema } } },
      async (request) => earning().once(request.ctx, request.body?.idempotencyKey, `retire:${request.params.id}`, {}, () => earning().retireRule(request.ctx, request.params.id)),
    );

    router.get(
      '/reviews',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'The review queue: events a guardrail held back (a document number credited to another partner, volume far outside the partner’s history, a cap reached), newest first',
          querystring: Type.Object({
            programId: Type.Optional(Uuid),
            status: Type.Optional(ReviewSchema.properties.status),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            before: Type.Optional(Uuid),
          }),
          response: { 200: Type.Object({ items: Type.Array(ReviewSchema), nextBefore: Type.Union([Uuid, Type.Null()]) }) },
        },
      },
      async (request) => earning().listReviews(request.ctx, { ...request.query, limit: request.query.limit ?? 50 }),
    );

    router.get(
      '/reviews/:id',
      { config: { access: 'earning:manage' }, schema: { tags: ['earning'], summary: 'One held event: why, and what approval posts', params: Type.Object({ id: Uuid }), response: { 200: ReviewSchema } } },
      async (request) => earning().getReview(request.ctx, request.params.id),
    );

    router.post(
      '/reviews/:id/approve',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'Approve a held event: posts exactly what its simulation showed (once; approving again answers the same). Audited',
          params: Type.Object({ id: Uuid }),
          body: OptionalKeyBody,
          response: { 200: ReviewSchema },
        },
      },
      async (request) => earning().once(request.ctx, request.body?.idempotencyKey, `approve:${request.params.id}`, {}, () => earning().approveReview(request.ctx, request.params.id)),
    );

    router.post(
      '/reviews/:id/reject',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'Reject a held event with a reason: nothing is posted, the event is rejected. Audited',
          params: Type.Object({ id: Uuid }),
          body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }), idempotencyKey: IdempotencyKey }, { additionalProperties: false }),
          response: { 200: ReviewSchema },
        },
      },
      async (request) => {
        const reason = request.body.reason.trim();
        if (!reason) throw new AppError('EARNING_RESOLVE_REASON_REQUIRED', 422, { fields: [{ field: '/body/reason', messageKey: 'errors.EARNING_RESOLVE_REASON_REQUIRED' }] });
        return earning().once(request.ctx, request.body.idempotencyKey, `reject:${request.params.id}`, { reason }, () => earning().rejectReview(request.ctx, request.params.id, reason));
      },
    );

    router.get(
      '/settings/:programId',
      { config: { access: 'earning:manage' }, schema: { tags: ['earning'], summary: 'The guardrail settings of a program', params: Type.Object({ programId: Uuid }), response: { 200: SettingsSchema } } },
      async (request) => earning().getSettings(request.ctx, request.params.programId),
    );

    router.put(
      '/settings/:programId',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'Set the guardrail settings of a program (audited)',
          params: Type.Object({ programId: Uuid }),
          body: Type.Object(
            {
              volumeFactor: Type.Union([Type.Number({ exclusiveMinimum: 1, maximum: 1000 }), Type.Null()], { description: 'Up to 4 decimal places; null turns the volume guardrail off' }),
              volumeMinInvoices: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 5 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: SettingsSchema },
        },
      },
      async (request) => {
        if (request.body.volumeFactor !== null) fourPlaces(request.body.volumeFactor, '/body/volumeFactor');
        return earning().putSettings(request.ctx, request.params.programId, request.body);
      },
    );
  };
}

/** Schemas the draft simulation and backtest routes share (earning.backtest.routes.ts). */
export { CapsSchema, Effect, EventTypeSchema, SimulationSchema, StackingSchema, fourPlaces };
