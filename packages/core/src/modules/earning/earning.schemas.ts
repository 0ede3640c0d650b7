import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { CanonicalEvents, storableFormats, type TSchema } from '@laurel/plugin-sdk';

/*
 * The canonical events of the inbox are defined in the plugin SDK (connector plugins map their documents to them);
 * here they validate every event, one by one (a batch accepts or rejects each on its own).
 */
export const { PartnerIdentification, InvoiceLine, InvoiceIssued, InvoicePaid, InvoiceCorrected, OrderReturned, DealWon, LeadRegistered, LeadAccepted, TrainingCompleted, CertificationEarned, CUSTOM_TYPE, Custom, EVENT_SCHEMAS, EVENT_TYPES, AnyEvent, isActivity } = CanonicalEvents;
export type EventType = CanonicalEvents.EventType;
export type InvoiceIssuedEvent = CanonicalEvents.InvoiceIssuedEvent;
export type InvoicePaidEvent = CanonicalEvents.InvoicePaidEvent;
export type InvoiceCorrectedEvent = CanonicalEvents.InvoiceCorrectedEvent;
export type OrderReturnedEvent = CanonicalEvents.OrderReturnedEvent;
export type ActivityEvent = CanonicalEvents.ActivityEvent;
export type EarningEventInput = CanonicalEvents.EarningEventInput;

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);
storableFormats(ajv);
const compiled = new Map<string, ValidateFunction>(Object.entries(EVENT_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema as TSchema)]));
const compiledCustom = ajv.compile(Custom as TSchema);
const customType = new RegExp(CUSTOM_TYPE);

/** Limits that keep a hostile body cheap to refuse. */
const MAX_DEPTH = 8;

function depthOf(value: unknown, limit: number): number {
  if (value === null || typeof value !== 'object') return 0;
  if (limit <= 0) return 1;
  let max = 0;
  for (const v of Object.values(value as Record<string, unknown>)) max = Math.max(max, depthOf(v, limit - 1));
  return max + 1;
}

/**
 * Validate one event against the schema its `type` names. Errors are ajv's (instancePath relative to the event),
 * so the caller localizes them and names each field.
 */
export function validateEvent(data: unknown): { ok: true; event: EarningEventInput } | { ok: false; errors: ErrorObject[] } {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, errors: [{ instancePath: '', schemaPath: '#/type', keyword: 'type', params: { type: 'object' }, message: 'must be object' }] };
  }
  if (depthOf(data, MAX_DEPTH + 1) > MAX_DEPTH) {
    return { ok: false, errors: [{ instancePath: '', schemaPath: '#/maxDepth', keyword: 'maxDepth', params: { limit: MAX_DEPTH }, message: `must not nest deeper than ${MAX_DEPTH} levels` }] };
  }
  const type = (data as { type?: unknown }).type;
  const validate = typeof type === 'string' ? (compiled.get(type) ?? (customType.test(type) ? compiledCustom : undefined)) : undefined;
  if (!validate) {
    const error: ErrorObject =
      type === undefined
        ? { instancePath: '', schemaPath: '#/required', keyword: 'required', params: { missingProperty: 'type' }, message: "must have required property 'type'" }
        : { instancePath: '/type', schemaPath: '#/properties/type/enum', keyword: 'enum', params: { allowedValues: EVENT_TYPES }, message: 'must be equal to one of the allowed values' };
    return { ok: false, errors: [error] };
  }
  if (validate(data)) return { ok: true, event: data as EarningEventInput };
  return { ok: false, errors: [...(validate.errors ?? [])] };
}

/** A Fastify validator compiler for a route whose body is one event (errors rendered by the root handler). */
export function eventBodyValidator() {
  const fn = (data: unknown): boolean => {
    const r = validateEvent(data);
    fn.errors = r.ok ? null : r.errors;
    return r.ok;
  };
  fn.errors = null as ErrorObject[] | null;
  return fn;
}
