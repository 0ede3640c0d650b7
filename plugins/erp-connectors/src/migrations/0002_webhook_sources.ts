import type { Migration } from '@laurel/plugin-sdk';

/**
 * Signed webhooks in: sources (per program, with their signing secret — sealed when a secretKey is configured — the
 * previous secret while a rotation's overlap lasts, and the mapping from the sender's JSON to a canonical event), and
 * the delivery log. A `webhook-id` is taken once per source by a delivery being processed or posted: a second one is
 * a replay.
 */
export const migration: Migration = {
  name: '0002_webhook_sources',
  up: `
    create table erp_webhook_source (
      id uuid primary key default uuidv7(),
      program_id uuid not null,
      name text not null,
      event_source text not null,
      preset text,
      mapping jsonb not null,
      enabled boolean not null default true,
      secret text not null,
      secret_hint text not null,
      previous_secret text,
      previous_secret_hint text,
      previous_secret_expires_at timestamptz,
      secret_rotated_at timestamptz,
      last_delivery_at timestamptz,
      created_by jsonb not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index erp_webhook_source_program_idx on erp_webhook_source (program_id, created_at desc);

    create table erp_webhook_delivery (
      id uuid primary key default uuidv7(),
      source_id uuid not null references erp_webhook_source (id),
      webhook_id text,
      webhook_timestamp bigint,
      received_at timestamptz not null default now(),
      result text not null check (result in ('processing', 'posted', 'refused', 'rejected', 'ignored', 'unauthorized', 'replayed', 'failed')),
      http_status integer not null,
      secret_used text check (secret_used in ('current', 'previous')),
      error jsonb,
      event jsonb,
      outcome jsonb,
      body_sha256 text,
      body_excerpt text,
      replay_of uuid references erp_webhook_delivery (id) on delete set null
    );
    create unique index erp_webhook_delivery_id_uq on erp_webhook_delivery (source_id, webhook_id) where result in ('processing', 'posted');
    create index erp_webhook_delivery_log_idx on erp_webhook_delivery (source_id, id desc);
    create index erp_webhook_delivery_age_idx on erp_webhook_delivery (received_at);
  `,
};
