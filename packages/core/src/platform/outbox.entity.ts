import { defineEntity, p } from '@mikro-orm/core';

/** A domain event written in the same transaction as the change it announces. */
export const OutboxEvent = defineEntity({
  name: 'OutboxEvent',
  tableName: 'laurel_outbox_event',
  properties: {
    id: p.uuid().primary(),
    name: p.string(),
    payload: p.json<unknown>(),
    occurredAt: p.datetime(),
    requestId: p.string().nullable(),
    actor: p.json<unknown>(),
  },
});

/** One listener's delivery of one event: tracked apart, so a failing listener never re-runs the others. */
export const OutboxDelivery = defineEntity({
  name: 'OutboxDelivery',
  tableName: 'laurel_outbox_delivery',
  properties: {
    id: p.uuid().primary(),
    event: () => p.manyToOne(OutboxEvent),
    listener: p.string(),
    status: p.string(),
    attempts: p.integer(),
    maxAttempts: p.integer(),
    availableAt: p.datetime(),
    lastError: p.text().nullable(),
    deliveredAt: p.datetime().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
