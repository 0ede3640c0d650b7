import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0002_suppliers',
  up: `
    -- Outside suppliers that fulfil rewards over HTTP. The signing secret is stored sealed (AES-256-GCM).
    create table catalogue_supplier (
      id uuid primary key,
      program_id uuid not null,
      name text not null check (length(name) between 1 and 120),
      url text not null check (url ~ '^https?://'),
      secret_sealed text not null,
      timeout_ms integer not null check (timeout_ms between 1000 and 60000),
      status text not null check (status in ('active', 'disabled')),
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (program_id, name)
    );

    alter table catalogue_reward add column supplier_id uuid references catalogue_supplier (id);
    alter table catalogue_reward drop constraint catalogue_reward_fulfilment_check;
    alter table catalogue_reward add constraint catalogue_reward_fulfilment_check check (fulfilment in ('manual', 'voucher-pool', 'supplier'));
    alter table catalogue_reward add constraint catalogue_reward_supplier_check check ((fulfilment = 'supplier') = (supplier_id is not null));
    alter table catalogue_order add column supplier_reference text check (length(supplier_reference) <= 200);

    -- Every request sent to a supplier, with its answer: the delivery log an admin reads when an order is stuck.
    create table catalogue_supplier_call (
      id bigint generated always as identity primary key,
      order_id uuid not null references catalogue_order (id),
      supplier_id uuid not null references catalogue_supplier (id),
      attempt integer not null check (attempt >= 1),
      at timestamptz not null,
      status_code integer,
      duration_ms integer not null,
      outcome text not null check (outcome in ('fulfilled', 'accepted', 'refused', 'failed')),
      detail text,
      unique (order_id, attempt)
    );
  `,
};
