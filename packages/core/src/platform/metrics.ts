import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance (tests build several apps in one process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'laurel_' });
  const httpDuration = new Histogram({
    name: 'laurel_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const outboxDeliveries = new Counter({
    name: 'laurel_outbox_deliveries_total',
    help: 'Outbox deliveries by outcome (delivered, retried, dead)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return { registry, httpDuration, outboxDeliveries };
}

export type Metrics = ReturnType<typeof createMetrics>;
