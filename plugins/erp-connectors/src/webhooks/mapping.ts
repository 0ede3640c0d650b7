import { CanonicalEvents } from '@laurel/plugin-sdk';
import { minorUnitsOf, parseQuantity, toMinor } from '../money.ts';

/*
 * Mappings as data: how a CRM's or ERP's JSON becomes one canonical event. A mapping names the event type, optional
 * conditions (a deal update that is not a win is ignored), and for each canonical field where its value comes from:
 * a JSON Pointer into the body (RFC 6901) with a conversion, a fixed value, or a template of pointers. Arrays (an
 * invoice's lines) map each element with pointers relative to it. Pure: no database, no clock.
 */

export type Conversion = 'string' | 'uppercase' | 'number' | 'integer' | 'minor-units' | 'date-time' | 'boolean';
export const CONVERSIONS: Conversion[] = ['string', 'uppercase', 'number', 'integer', 'minor-units', 'date-time', 'boolean'];

export type FieldRule =
  | { pointer: string; as?: Conversion; optional?: boolean }
  | { value: string | number | boolean }
  | { template: string; optional?: boolean }
  | { each: string; fields: Record<string, FieldRule>; optional?: boolean };

export interface Condition {
  pointer: string;
  /** The value must be one of these (strings, numbers, booleans; compared as JSON values, numbers also as their text). */
  in: (string | number | boolean)[];
}

export interface Mapping {
  /** A canonical event type (`deal.won`, `invoice.paid`, …) or `custom.<name>`. */
  type: string;
  /** Every condition must hold, else the delivery is ignored (answered 200, logged as ignored, nothing posted). */
  when?: Condition[];
  /** Canonical field (dotted for nested: `partner.nip`) → where its value comes from. `source` and `programId` are the source's. */
  fields: Record<string, FieldRule>;
}

/** A problem with one field: the canonical field, the body's JSON Pointer it was read from, what is wrong. */
export interface MappingProblem {
  /** The canonical field, as a JSON Pointer into the event: `/amount`, `/lines/2/netAmount`. */
  field: string;
  /** Where in the body it was read from (a JSON Pointer), when it comes from the body. */
  pointer: string | null;
  problem: 'missing' | 'not-a-string' | 'not-a-number' | 'not-an-integer' | 'not-a-boolean' | 'not-an-array' | 'not-a-date' | 'decimal-format' | 'decimal-precision' | 'decimal-range' | 'currency-unknown' | 'currency-missing' | 'too-long';
}

export type MapResult =
  | { kind: 'event'; event: Record<string, unknown>; origins: Record<string, string> }
  | { kind: 'ignored'; condition: string }
  | { kind: 'failed'; problems: MappingProblem[] };

/** RFC 6901: `''` is the whole document, `/a/0/b~1c` reads a → 0 → "b/c". */
export function readPointer(doc: unknown, pointer: string): { found: true; value: unknown } | { found: false } {
  if (pointer === '') return { found: true, value: doc };
  let at: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(at)) {
      if (!/^(0|[1-9]\d*)$/.test(key) || Number(key) >= at.length) return { found: false };
      at = at[Number(key)];
    } else if (at !== null && typeof at === 'object' && Object.hasOwn(at, key)) {
      at = (at as Record<string, unknown>)[key];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: at };
}

export const isPointer = (p: unknown): p is string => typeof p === 'string' && p.length <= 300 && (p === '' || (p.startsWith('/') && !/~[^01]|~$/.test(p)));

const escapeSegment = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_SPACE = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * A point in time as CRMs send it: ISO 8601 with a zone, a date alone (midnight UTC), `YYYY-MM-DD HH:MM[:SS]` (taken
 * as UTC, as Pipedrive sends it), or Unix time as a number or digits (milliseconds from 10^11 on, as HubSpot sends
 * them; seconds below). Null when it is none of these or not a real day.
 */
export function toInstant(value: unknown): string | null {
  let ms: number;
  if (typeof value === 'number' || (typeof value === 'string' && /^\d{1,15}$/.test(value.trim()))) {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0) return null;
    ms = n >= 1e11 ? n : n * 1000;
  } else if (typeof value === 'string') {
    const text = value.trim();
    const only = DATE_ONLY.exec(text);
    const spaced = DATE_SPACE.exec(text);
    if (only) ms = Date.parse(`${text}T00:00:00.000Z`);
    else if (spaced) ms = Date.parse(`${spaced[1]}T${spaced[2]}Z`);
    else if (DATE_TIME.test(text)) ms = Date.parse(text);
    else return null;
    // A day that does not exist (2026-02-30) rolls over in Date.parse: compare the date part back.
    const day = (only?.[0] ?? spaced?.[1] ?? text.slice(0, 10));
    if (Number.isFinite(ms) && (only || spaced) && new Date(ms).toISOString().slice(0, 10) !== day) return null;
  } else {
    return null;
  }
  if (!Number.isFinite(ms) || ms < Date.UTC(1970, 0, 1) || ms > Date.UTC(9999, 11, 31)) return null;
  return new Date(ms).toISOString();
}

/** The text of a scalar: strings as they are, finite numbers in their shortest exact form, booleans. */
function scalarText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return null;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let at = target;
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[path.at(-1)!] = value;
}

/**
 * Map a parsed body to a canonical event. Money (`minor-units`) is converted exactly in the currency of the event's
 * `currency` field, after every other field is read. Failures name every field that could not be made.
 */
export function applyMapping(mapping: Mapping, body: unknown): MapResult {
  for (const c of mapping.when ?? []) {
    const r = readPointer(body, c.pointer);
    const ok = r.found && c.in.some((v) => v === r.value || (typeof r.value === 'number' && String(r.value) === String(v)) || (typeof v === 'number' && scalarText(r.value) === String(v)));
    if (!ok) return { kind: 'ignored', condition: c.pointer };
  }
  const event: Record<string, unknown> = { type: mapping.type };
  const origins: Record<string, string> = {};
  const problems: MappingProblem[] = [];
  const money: { path: string[]; field: string; pointer: string; text: string; target: Record<string, unknown> }[] = [];

  const fill = (target: Record<string, unknown>, fields: Record<string, FieldRule>, scope: unknown, scopePointer: string, fieldPrefix: string) => {
    for (const [name, rule] of Object.entries(fields)) {
      const path = name.split('.');
      const field = `${fieldPrefix}/${path.map(escapeSegment).join('/')}`;
      if ('value' in rule) {
        setPath(target, path, rule.value);
        continue;
      }
      if ('template' in rule) {
        let missing: string | null = null;
        const text = rule.template.replace(/\{([^{}]*)\}/g, (_m, p: string) => {
          const r = readPointer(scope, p);
          const s = r.found ? scalarText(r.value) : null;
          if (s === null || s === '') missing ??= scopePointer + p;
          return s ?? '';
        });
        if (missing !== null) {
          if (!rule.optional) problems.push({ field, pointer: missing, problem: 'missing' });
          continue;
        }
        origins[field] = scopePointer || '/';
        setPath(target, path, text);
        continue;
      }
      if ('each' in rule) {
        const r = readPointer(scope, rule.each);
        const pointer = scopePointer + rule.each;
        if (!r.found || r.value === null) {
          if (!rule.optional) problems.push({ field, pointer, problem: 'missing' });
          continue;
        }
        if (!Array.isArray(r.value)) {
          problems.push({ field, pointer, problem: 'not-an-array' });
          continue;
        }
        const items: Record<string, unknown>[] = [];
        for (const [i, element] of r.value.slice(0, 1000).entries()) {
          const item: Record<string, unknown> = {};
          fill(item, rule.fields, element, `${pointer}/${i}`, `${field}/${i}`);
          items.push(item);
        }
        origins[field] = pointer;
        setPath(target, path, items);
        continue;
      }
      const r = readPointer(scope, rule.pointer);
      const pointer = scopePointer + rule.pointer;
      if (!r.found || r.value === null || r.value === '') {
        if (!rule.optional) problems.push({ field, pointer, problem: 'missing' });
        continue;
      }
      origins[field] = pointer;
      const converted = convert(r.value, rule.as ?? 'string');
      if ('problem' in converted) {
        problems.push({ field, pointer, problem: converted.problem });
        continue;
      }
      if (converted.money !== undefined) {
        money.push({ path, field, pointer, text: converted.money, target });
        continue;
      }
      setPath(target, path, converted.value);
    }
  };
  fill(event, mapping.fields, body, '', '');

  if (money.length > 0) {
    const currency = event.currency;
    const digits = typeof currency === 'string' && /^[A-Z]{3}$/.test(currency) ? minorUnitsOf(currency) : undefined;
    if (typeof currency !== 'string') {
      problems.push({ field: '/currency', pointer: null, problem: 'currency-missing' });
    } else if (digits === undefined) {
      problems.push({ field: '/currency', pointer: origins['/currency'] ?? null, problem: 'currency-unknown' });
    } else {
      for (const m of money) {
        const r = toMinor(m.text, digits);
        if (!r.ok) problems.push({ field: m.field, pointer: m.pointer, problem: `decimal-${r.problem}` });
        else if (r.value < 0) problems.push({ field: m.field, pointer: m.pointer, problem: 'decimal-range' });
        else setPath(m.target, m.path, r.value);
      }
    }
  }
  if (problems.length > 0) {
    const seen = new Set<string>();
    return { kind: 'failed', problems: problems.filter((p) => (seen.has(p.field + p.problem) ? false : (seen.add(p.field + p.problem), true))) };
  }
  return { kind: 'event', event, origins };
}

function convert(value: unknown, as: Conversion): { value: unknown; money?: undefined } | { money: string } | { problem: MappingProblem['problem'] } {
  switch (as) {
    case 'string':
    case 'uppercase': {
      const s = scalarText(value);
      if (s === null) return { problem: 'not-a-string' };
      if (s.length > 1000) return { problem: 'too-long' };
      return { value: as === 'uppercase' ? s.trim().toUpperCase() : s.trim() };
    }
    case 'number': {
      const s = scalarText(value);
      const q = s === null ? null : parseQuantity(s);
      return q?.ok ? { value: q.value } : { problem: 'not-a-number' };
    }
    case 'integer': {
      const s = scalarText(value)?.trim();
      if (!s || !/^-?\d{1,16}$/.test(s) || !Number.isSafeInteger(Number(s))) return { problem: 'not-an-integer' };
      return { value: Number(s) };
    }
    case 'boolean':
      if (typeof value === 'boolean') return { value };
      if (value === 'true' || value === 'false') return { value: value === 'true' };
      return { problem: 'not-a-boolean' };
    case 'date-time': {
      const iso = toInstant(value);
      return iso ? { value: iso } : { problem: 'not-a-date' };
    }
    case 'minor-units': {
      const s = scalarText(value);
      if (s === null || typeof value === 'boolean') return { problem: 'decimal-format' };
      return { money: s };
    }
  }
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Checking a mapping an admin saves: known type, known fields, pointers, everything the event needs.            */

/** What is wrong with a part of a mapping, in English (the locales' `webhooks.mapping.<key>` say it in en, pl, ru). */
const ISSUES = {
  "notObject": "must be an object with type and fields",
  "unknownPart": "is not a part of a mapping (type, when, fields)",
  "type": "must be one of {{types}} or custom.<name>",
  "when": "must be a list of at most 20 conditions",
  "conditionPointer": "must be a JSON Pointer such as /properties/dealstage",
  "conditionValues": "must list 1 to 50 values (strings, numbers, booleans)",
  "conditionParts": "takes pointer and in only",
  "fields": "must be an object: canonical field → rule",
  "tooMany": "has more than 100 fields",
  "setBySource": "{{name}} is set by the source, not mapped",
  "notAField": "is not a field of {{type}}",
  "rule": "must be a rule: { pointer, as }, { value }, { template } or { each, fields }",
  "ruleKind": "must have exactly one of pointer, value, template, each",
  "rulePart": "is not a part of a {{kind}} rule",
  "boolean": "must be true or false",
  "pointer": "must be a JSON Pointer (RFC 6901) such as /properties/amount",
  "conversion": "must be one of {{conversions}}",
  "value": "must be a string, number or boolean",
  "template": "must be text with at least one {JSON Pointer}, e.g. deal:{/id}",
  "each": "must be a JSON Pointer to an array",
  "notAList": "is not a list field",
  "itemFields": "must be an object: field of an item → rule",
  "mustMap": "must map {{field}}",
  "currency": "maps an amount with minor-units: map currency too"
} as const;
export type MappingIssueKey = keyof typeof ISSUES;

export interface MappingIssue {
  /** JSON Pointer into the mapping (`/fields/amount/as`). */
  at: string;
  code: 'ERP_WEBHOOK_MAPPING_INVALID';
  key: MappingIssueKey;
  params: Record<string, string>;
  /** In English. */
  reason: string;
}

type Schema = { properties?: Record<string, Schema>; required?: string[]; items?: Schema; patternProperties?: unknown; additionalProperties?: unknown; anyOf?: Schema[] };

function schemaOf(type: string): Schema | null {
  const known = (CanonicalEvents.EVENT_SCHEMAS as Record<string, Schema>)[type];
  if (known) return known;
  return new RegExp(CanonicalEvents.CUSTOM_TYPE).test(type) ? (CanonicalEvents.Custom as unknown as Schema) : null;
}

/** The schema of a property: objects by `properties`, arrays by `items`, free records (custom `data`) take any key. */
function child(schema: Schema, key: string): Schema | 'any' | null {
  if (schema.properties && Object.hasOwn(schema.properties, key)) return schema.properties[key]!;
  if (schema.patternProperties || (typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null)) return 'any';
  return null;
}

const SET_BY_SOURCE = new Set(['type', 'source', 'programId']);

/** Check a mapping; the issues name where in the mapping (empty: it can be saved). */
export function checkMapping(input: unknown): MappingIssue[] {
  const issues: MappingIssue[] = [];
  const issue = (at: string, key: MappingIssueKey, params: Record<string, string> = {}) =>
    issues.push({ at, code: 'ERP_WEBHOOK_MAPPING_INVALID', key, params, reason: ISSUES[key].replace(/\{\{(\w+)\}\}/g, (_m, n: string) => params[n] ?? '') });
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    issue('', 'notObject');
    return issues;
  }
  const m = input as Record<string, unknown>;
  for (const key of Object.keys(m)) if (!['type', 'when', 'fields'].includes(key)) issue(`/${escapeSegment(key)}`, 'unknownPart');
  const schema = typeof m.type === 'string' ? schemaOf(m.type) : null;
  if (!schema) {
    issue('/type', 'type', { types: CanonicalEvents.EVENT_TYPES.join(', ') });
    return issues;
  }
  if (m.when !== undefined) {
    if (!Array.isArray(m.when) || m.when.length > 20) issue('/when', 'when');
    else
      m.when.forEach((c: unknown, i) => {
        const cond = c as Record<string, unknown> | null;
        if (!cond || typeof cond !== 'object' || !isPointer(cond.pointer)) issue(`/when/${i}/pointer`, 'conditionPointer');
        else if (!Array.isArray(cond.in) || cond.in.length === 0 || cond.in.length > 50 || !cond.in.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) issue(`/when/${i}/in`, 'conditionValues');
        else if (Object.keys(cond).some((k) => k !== 'pointer' && k !== 'in')) issue(`/when/${i}`, 'conditionParts');
      });
  }
  if (typeof m.fields !== 'object' || m.fields === null || Array.isArray(m.fields)) {
    issue('/fields', 'fields');
    return issues;
  }
  let usesMoney = false;
  const checkFields = (fields: Record<string, unknown>, s: Schema, at: string, depth: number) => {
    const names = Object.keys(fields);
    if (names.length > 100) issue(at, 'tooMany');
    for (const name of names) {
      const where = `${at}/${escapeSegment(name)}`;
      const rule = fields[name] as Record<string, unknown> | null;
      if (depth === 0 && SET_BY_SOURCE.has(name)) {
        issue(where, 'setBySource', { name });
        continue;
      }
      let target: Schema | 'any' | null = s;
      for (const part of name.split('.')) target = target === 'any' ? 'any' : target ? child(target, part) : null;
      if (!target) {
        issue(where, 'notAField', { type: m.type as string });
        continue;
      }
      if (!rule || typeof rule !== 'object' || Array.isArray(rule)) {
        issue(where, 'rule');
        continue;
      }
      const kinds = ['pointer', 'value', 'template', 'each'].filter((k) => k in rule);
      if (kinds.length !== 1) {
        issue(where, 'ruleKind');
        continue;
      }
      const allowed = { pointer: ['pointer', 'as', 'optional'], value: ['value'], template: ['template', 'optional'], each: ['each', 'fields', 'optional'] }[kinds[0] as 'pointer'];
      for (const k of Object.keys(rule)) if (!allowed.includes(k)) issue(`${where}/${escapeSegment(k)}`, 'rulePart', { kind: kinds[0]! });
      if ('optional' in rule && typeof rule.optional !== 'boolean') issue(`${where}/optional`, 'boolean');
      if (kinds[0] === 'pointer') {
        if (!isPointer(rule.pointer)) issue(`${where}/pointer`, 'pointer');
        if (rule.as !== undefined && !CONVERSIONS.includes(rule.as as Conversion)) issue(`${where}/as`, 'conversion', { conversions: CONVERSIONS.join(', ') });
        if (rule.as === 'minor-units') usesMoney = true;
      } else if (kinds[0] === 'value') {
        if (!['string', 'number', 'boolean'].includes(typeof rule.value) || (typeof rule.value === 'string' && rule.value.length > 1000)) issue(`${where}/value`, 'value');
      } else if (kinds[0] === 'template') {
        const tpl = rule.template;
        const parts = typeof tpl === 'string' ? [...tpl.matchAll(/\{([^{}]*)\}/g)].map((x) => x[1]) : [];
        if (typeof tpl !== 'string' || tpl.length > 500 || parts.length === 0 || !parts.every(isPointer)) issue(`${where}/template`, 'template');
      } else {
        const items = target === 'any' ? null : target.items;
        if (!isPointer(rule.each)) issue(`${where}/each`, 'each');
        if (depth > 0 || !items?.properties) issue(where, 'notAList');
        else if (typeof rule.fields !== 'object' || rule.fields === null || Array.isArray(rule.fields)) issue(`${where}/fields`, 'itemFields');
        else {
          checkFields(rule.fields as Record<string, unknown>, items, `${where}/fields`, depth + 1);
          for (const req of items.required ?? []) if (!Object.hasOwn(rule.fields, req)) issue(`${where}/fields`, 'mustMap', { field: req });
        }
      }
    }
  };
  checkFields(m.fields as Record<string, unknown>, schema, '/fields', 0);
  for (const req of schema.required ?? []) {
    if (SET_BY_SOURCE.has(req)) continue;
    const mapped = Object.keys(m.fields).some((k) => k === req || k.startsWith(`${req}.`));
    if (!mapped) issue('/fields', 'mustMap', { field: req });
  }
  if (usesMoney && !Object.hasOwn(m.fields, 'currency')) issue('/fields', 'currency');
  return issues;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Presets: common shapes, copied into a source when it is created (then the source's own data).                 */

export interface Preset {
  id: string;
  /** Which system and event it is for (English; the admin pages translate by id). */
  description: string;
  mapping: Mapping;
  /** A body of that shape, for trying the mapping out. */
  example: Record<string, unknown>;
}

export const PRESETS: Preset[] = [
  {
    id: 'hubspot-deal-won',
    description: 'A HubSpot deal (CRM object JSON, as a workflow webhook sends it) moved to the closedwon stage → deal.won; the partner is read from the deal property partner_nip',
    mapping: {
      type: 'deal.won',
      when: [{ pointer: '/properties/dealstage', in: ['closedwon'] }],
      fields: {
        externalId: { template: 'hubspot-deal:{/id}' },
        dealId: { pointer: '/id', as: 'string' },
        occurredAt: { pointer: '/properties/closedate', as: 'date-time' },
        'partner.nip': { pointer: '/properties/partner_nip', as: 'string' },
        currency: { pointer: '/properties/deal_currency_code', as: 'uppercase' },
        amount: { pointer: '/properties/amount', as: 'minor-units' },
      },
    },
    example: {
      id: '16284093826',
      properties: { dealname: 'Heat pumps for Kowalski Sp. z o.o.', dealstage: 'closedwon', pipeline: 'default', amount: '12500.50', deal_currency_code: 'PLN', closedate: '2026-11-20T10:15:00.000Z', partner_nip: '1111111111' },
    },
  },
  {
    id: 'pipedrive-deal-won',
    description: 'A Pipedrive deal webhook (v2: meta, data, previous) whose status is won → deal.won; the partner code is read from the custom field partner_code',
    mapping: {
      type: 'deal.won',
      when: [{ pointer: '/meta/entity', in: ['deal'] }, { pointer: '/data/status', in: ['won'] }],
      fields: {
        externalId: { template: 'pipedrive-deal:{/data/id}' },
        dealId: { pointer: '/data/id', as: 'string' },
        occurredAt: { pointer: '/data/won_time', as: 'date-time' },
        'partner.partnerCode': { pointer: '/data/custom_fields/partner_code', as: 'string' },
        currency: { pointer: '/data/currency', as: 'uppercase' },
        amount: { pointer: '/data/value', as: 'minor-units' },
      },
    },
    example: {
      meta: { action: 'change', entity: 'deal', entity_id: '42', id: '0b8a5f3e-7c1d-4e7a-9a53-2f4c1e0d9b11', timestamp: '2026-11-20T10:15:00.000Z', version: '2.0' },
      data: { id: 42, title: 'Solar panels for Nowak', status: 'won', value: 8400, currency: 'PLN', won_time: '2026-11-20 10:15:00', custom_fields: { partner_code: 'P-0001' } },
      previous: { status: 'open' },
    },
  },
  {
    id: 'stripe-invoice-paid',
    description: 'A Stripe-like invoice.paid event (type, data.object with the invoice id and status_transitions.paid_at in Unix seconds) → invoice.paid of the invoice sent earlier under that id',
    mapping: {
      type: 'invoice.paid',
      when: [{ pointer: '/type', in: ['invoice.paid'] }],
      fields: {
        externalId: { template: 'paid:{/data/object/id}' },
        invoiceExternalId: { pointer: '/data/object/id', as: 'string' },
        occurredAt: { pointer: '/data/object/status_transitions/paid_at', as: 'date-time' },
      },
    },
    example: {
      id: 'evt_1QxYz2AbCdEf',
      type: 'invoice.paid',
      data: { object: { id: 'in_1QxYyzAbCdEf', object: 'invoice', number: 'F-2026-0042', status: 'paid', currency: 'pln', amount_paid: 1250050, status_transitions: { paid_at: 1763633700 } } },
    },
  },
];

export const presetById = (id: string): Preset | undefined => PRESETS.find((p) => p.id === id);
