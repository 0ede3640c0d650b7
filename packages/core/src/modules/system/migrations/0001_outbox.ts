import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0001_outbox',
  up: `
    create table laurel_outbox_event (
      id uuid primary key,
      name text not null,
      payload jsonb not null,
      occurred_at timestamptz not null,
      request_id text,
      actor jsonb not null
    );
    create index laurel_outbox_event_name_idx on laurel_outbox_event (name, occurred_at);

    create table laurel_outbox_delivery (
      id uuid primary key,
      event_id uuid not null references laurel_outbox_event (id),
      listener text not null,
      status text not null check (status in ('pending', 'delivered', 'dead')),
      attempts integer not null default 0 check (attempts >= 0),
      max_attempts integer not null check (max_attempts > 0),
      available_at timestamptz not null,
      last_error text,
      delivered_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (event_id, listener)
    );
    create index laurel_outbox_delivery_due_idx on laurel_outbox_delivery (available_at, id) where status = 'pending';
    create index laurel_outbox_delivery_dead_idx on laurel_outbox_delivery (updated_at desc) where status = 'dead';
  `,
};
