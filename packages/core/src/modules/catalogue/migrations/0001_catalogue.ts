import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0001_catalogue',
  up: `
    -- Rewards of a program's catalogue. Stock is a guarded counter on the reward row: an order takes units with a
    -- conditional update (stock >= quantity) in the ordering transaction, and the CHECK is the last line, so the
    -- last unit can never be sold twice. Null stock means unlimited.
    create table catalogue_reward (
      id uuid primary key,
      program_id uuid not null,
      sku text not null check (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
      type text not null check (type in ('physical', 'voucher', 'service', 'training', 'event', 'cashback', 'privilege')),
      name jsonb not null,
      description jsonb not null,
      category text not null check (length(category) between 1 and 80),
      price_points bigint not null check (price_points > 0),
      cash_minor bigint check (cash_minor > 0),
      cash_currency text check (cash_currency ~ '^[A-Z]{3}$'),
      available_from timestamptz,
      available_to timestamptz,
      limit_quantity integer check (limit_quantity > 0),
      limit_period text check (limit_period in ('month', 'quarter', 'year', 'ever')),
      stock integer check (stock >= 0),
      fulfilment text not null check (fulfilment in ('manual', 'voucher-pool')),
      approval_required boolean not null default false,
      status text not null check (status in ('draft', 'active', 'retired')),
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (program_id, sku),
      check ((cash_minor is null) = (cash_currency is null)),
      check ((limit_quantity is null) = (limit_period is null)),
      check (available_to is null or available_from is null or available_to > available_from),
      check (fulfilment <> 'voucher-pool' or stock is not null)
    );
    create index catalogue_reward_program_idx on catalogue_reward (program_id, status, category);

    -- Redemption orders: the PostgreSQL mirror of the redemption workflow (Temporal holds the progress). points_state
    -- and stock_state make compensation and capture idempotent: each moves once.
    create table catalogue_order (
      id uuid primary key,
      program_id uuid not null,
      partner_id uuid not null,
      user_id uuid,
      idempotency_key text not null check (length(idempotency_key) between 1 and 200),
      request_hash text not null,
      reward_id uuid not null references catalogue_reward (id),
      sku text not null,
      reward_type text not null,
      fulfilment text not null,
      quantity integer not null check (quantity between 1 and 100),
      points bigint not null check (points > 0),
      cash_minor bigint,
      cash_currency text,
      hold_id bigint,
      status text not null check (status in ('placed', 'awaiting-approval', 'fulfilling', 'awaiting-shipment', 'shipped', 'completed', 'cancelled', 'rejected', 'expired', 'failed')),
      points_state text not null check (points_state in ('reserved', 'captured', 'released')),
      stock_state text not null check (stock_state in ('reserved', 'consumed', 'released')),
      approval_required boolean not null,
      shipping jsonb,
      tracking_number text,
      carrier text,
      reason text,
      history jsonb not null default '[]',
      placed_by jsonb not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (partner_id, idempotency_key)
    );
    create index catalogue_order_partner_idx on catalogue_order (partner_id, created_at desc);
    create index catalogue_order_status_idx on catalogue_order (program_id, status, created_at desc);
    create index catalogue_order_limit_idx on catalogue_order (partner_id, reward_id, created_at) where stock_state <> 'released';

    -- Voucher codes, encrypted at rest (AES-256-GCM; the key is LAUREL_VOUCHER_KEY). code_hash is an HMAC of the code
    -- under the same key, so a re-imported code is recognized without decrypting. A code is given to one order only.
    create table catalogue_voucher_code (
      id uuid primary key,
      reward_id uuid not null references catalogue_reward (id),
      code_hash text not null,
      sealed text not null,
      order_id uuid references catalogue_order (id),
      allocated_at timestamptz,
      revealed_at timestamptz,
      imported_at timestamptz not null,
      unique (reward_id, code_hash),
      check ((order_id is null) = (allocated_at is null))
    );
    create index catalogue_voucher_free_idx on catalogue_voucher_code (reward_id, imported_at, id) where order_id is null;
    create index catalogue_voucher_order_idx on catalogue_voucher_code (order_id) where order_id is not null;
  `,
};
