import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0001_webhooks',
  up: `
    -- Outbound webhook subscriptions. The secret signs deliveries (Standard Webhooks, whsec_<base64>); during a
    -- rotation's overlap the previous secret signs too, until previous_secret_expires_at.
    create table webhook_subscription (
      id uuid primary key,
      url text not null check (length(url) between 8 and 2000),
      description text not null default '' check (length(description) <= 500),
      event_types text[] not null check (cardinality(event_types) between 1 and 100),
      enabled boolean not null,
      disabled_reason text check (disabled_reason in ('manual', 'failing')),
      disabled_at timestamptz,
      secret text not null,
      previous_secret text,
      previous_secret_expires_at timestamptz,
      secret_rotated_at timestamptz,
      consecutive_failures integer not null default 0 check (consecutive_failures >= 0),
      failing_since timestamptz,
      last_success_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      check ((previous_secret is null) = (previous_secret_expires_at is null)),
      check (enabled or disabled_reason is not null)
    );
    create index webhook_subscription_types_idx on webhook_subscription using gin (event_types) where enabled;

    -- One delivery per event and subscription (the unique key makes the outbox's at-least-once fan-out idempotent).
    -- body is the exact JSON sent on every attempt.
    create table webhook_delivery (
      id uuid primary key,
      subscription_id uuid not null references webhook_subscription (id),
      event_id uuid not null,
      event_type text not null,
      body text not null,
      status text not null check (status in ('pending', 'delivered', 'failed')),
      attempts integer not null default 0,
      replays integer not null default 0,
      next_attempt_at timestamptz not null,
      last_status_code integer,
      last_error text,
      delivered_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (event_id, subscription_id)
    );
    create index webhook_delivery_due_idx on webhook_delivery (next_attempt_at) where status = 'pending';
    create index webhook_delivery_subscription_idx on webhook_delivery (subscription_id, created_at desc, id desc);
    create index webhook_delivery_recent_idx on webhook_delivery (created_at desc, id desc);

    -- Every HTTP attempt, with its answer (status code, time, the first 2 KiB of the body) or why none came.
    create table webhook_attempt (
      id uuid primary key,
      delivery_id uuid not null references webhook_delivery (id),
      number integer not null check (number >= 1),
      trigger text not null check (trigger in ('automatic', 'replay')),
      started_at timestamptz not null,
      duration_ms integer not null check (duration_ms >= 0),
      status_code integer,
      error text,
      response_body text,
      ok boolean not null,
      unique (delivery_id, number)
    );
  `,
};
