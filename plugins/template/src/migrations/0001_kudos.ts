import type { Migration } from '@laurel/plugin-sdk';

/** Applied by `laurel migrate` (and the test harness), once, in a transaction; never edit a released migration — add one. */
export const migration: Migration = {
  name: '0001_kudos',
  up: `
    create table template_kudos (
      id uuid primary key,
      program_id uuid not null,
      partner_id uuid not null,
      message text not null,
      level text not null check (level in ('thanks', 'great', 'outstanding')),
      status text not null check (status in ('awaiting-approval', 'approved', 'granted', 'rejected', 'expired')),
      given_by jsonb not null,
      counted_at timestamptz,
      earning_event_id uuid,
      points integer,
      decision_reason text,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );
    create index template_kudos_partner_idx on template_kudos (partner_id, created_at desc);
    create table template_tally (
      partner_id uuid primary key,
      program_id uuid not null,
      kudos integer not null,
      updated_at timestamptz not null
    );
  `,
};
