import { defineEntity, p, partnerScoped, programScoped } from '@laurel/plugin-sdk';

export const EVENT_STATUSES = ['received', 'processed', 'unmatched', 'refused', 'rejected', 'review'] as const;
/**
 * `received`: stored, being processed (or a crash interrupted it: a resend finishes it); `processed`: points posted
 * (or none earned); `unmatched`: no partner found, waits for an admin; `refused`: processing refused it (a suspended
 * partner, a foreign currency …), a resend processes it again; `rejected`: an admin rejected it, for good; `review`: a
 * guardrail held it back, it waits in the review queue (`earning_review`) for an admin to approve or reject it.
 */
export type EventStatus = (typeof EVENT_STATUSES)[number];

export const RULE_STATUSES = ['draft', 'active', 'retired'] as const;
export type RuleStatus = (typeof RULE_STATUSES)[number];

/** One business event as it arrived (raw payload), keyed by (source, externalId), with what became of it. */
export const EarningEvent = defineEntity({
  name: 'EarningEvent',
  tableName: 'earning_event',
  filters: { ...partnerScoped('partnerId'), ...programScoped('programId') },
  properties: {
    id: p.uuid().primary(),
    programId: p.uuid().nullable(),
    source: p.string(),
    externalId: p.string(),
    type: p.string(),
    occurredAt: p.datetime(),
    payload: p.json<Record<string, unknown>>(),
    payloadHash: p.string(),
    status: p.string().$type<EventStatus>(),
    partnerId: p.uuid().nullable(),
    result: p.json<Record<string, unknown>>().nullable(),
    resolution: p.json<Record<string, unknown>>().nullable(),
    receivedBy: p.json<Record<string, unknown>>(),
    receivedAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});

/** An earning rule: data, versioned per code, valid over [validFrom, validTo), answering some event types. */
export const EarningRule = defineEntity({
  name: 'EarningRule',
  tableName: 'earning_rule',
  filters: programScoped('programId'),
  properties: {
    id: p.uuid().primary(),
    programId: p.uuid(),
    code: p.string(),
    version: p.integer(),
    name: p.string(),
    status: p.string().$type<RuleStatus>(),
    validFrom: p.datetime(),
    validTo: p.datetime().nullable(),
    priority: p.integer(),
    eventTypes: p.json<string[]>(),
    condition: p.json<unknown>(),
    effect: p.json<Record<string, unknown>>(),
    stacking: p.json<Record<string, unknown>>(),
    caps: p.json<Record<string, unknown>>().nullable(),
    createdBy: p.json<Record<string, unknown>>(),
    createdAt: p.datetime(),
    activatedAt: p.datetime().nullable(),
  },
});
