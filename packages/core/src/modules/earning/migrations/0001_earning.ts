import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0001_earning',
  up: `
    -- Every business event as it arrived; nothing is deleted. A replay of (source, external_id) finds this row.
    create table earning_event (
      id uuid primary key,
      program_id uuid,
      source text not null check (length(source) between 1 and 100),
      external_id text not null check (length(external_id) between 1 and 200),
      type text not null,
      occurred_at timestamptz not null,
      payload jsonb not null,
      payload_hash text not null,
      status text not null check (status in ('received', 'processed', 'unmatched', 'refused', 'rejected')),
      partner_id uuid,
      result jsonb,
      resolution jsonb,
      received_by jsonb not null,
      received_at timestamptz not null,
      updated_at timestamptz not null,
      unique (source, external_id)
    );
    create index earning_event_status_idx on earning_event (program_id, status, received_at, id);
    create index earning_event_partner_idx on earning_event (partner_id, occurred_at) where partner_id is not null;

    -- Earning rules: data, versioned per code; the rules in force at an event's occurred_at apply.
    create table earning_rule (
      id uuid primary key,
      program_id uuid not null,
      code text not null check (code ~ '^[a-z0-9][a-z0-9._-]{0,79}$'),
      version integer not null check (version >= 1),
      name text not null check (length(name) between 1 and 200),
      status text not null check (status in ('draft', 'active', 'retired')),
      valid_from timestamptz not null,
      valid_to timestamptz check (valid_to is null or valid_to > valid_from),
      priority integer not null default 0,
      event_types jsonb not null,
      condition jsonb not null,
      effect jsonb not null,
      created_by jsonb not null,
      created_at timestamptz not null,
      activated_at timestamptz,
      unique (program_id, code, version)
    );
    create index earning_rule_active_idx on earning_rule (program_id, valid_from) where status = 'active';
  `,
};
