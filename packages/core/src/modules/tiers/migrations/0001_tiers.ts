import type { Migration } from '@laurel/plugin-sdk';

/**
 * Tracks (per program, e.g. resellers and integrators), their ordered tiers, each partner's tier and downgrade
 * protection, the history of every change with the metric values that decided it, the activity the metrics are
 * measured on (kept from earning's events, one row per event: idempotent by event id) and batch review jobs.
 */
export const migration: Migration = {
  name: '0001_tiers',
  up: `
    create table tiers_track (
      id uuid primary key,
      program_id uuid not null,
      code text not null check (code ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
      name jsonb not null,
      partner_types jsonb not null default '[]'::jsonb,
      position integer not null default 0,
      review jsonb not null,
      strategic jsonb not null default '{"skus": [], "categories": []}'::jsonb,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (program_id, code)
    );

    create table tiers_tier (
      id uuid primary key,
      track_id uuid not null references tiers_track (id),
      program_id uuid not null,
      code text not null check (code ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
      name jsonb not null,
      rank integer not null check (rank between 1 and 100),
      qualification jsonb not null,
      benefits jsonb not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (track_id, code),
      unique (track_id, rank)
    );

    create table tiers_partner (
      partner_id uuid primary key,
      program_id uuid not null,
      track_id uuid not null references tiers_track (id),
      tier_id uuid references tiers_tier (id),
      since timestamptz not null,
      grace_until timestamptz,
      override jsonb,
      evaluated_at timestamptz,
      updated_at timestamptz not null
    );
    create index tiers_partner_program_idx on tiers_partner (program_id, partner_id);
    create index tiers_partner_tier_idx on tiers_partner (tier_id);

    create table tiers_history (
      id uuid primary key,
      partner_id uuid not null,
      program_id uuid not null,
      track_id uuid not null,
      from_tier_id uuid,
      to_tier_id uuid,
      change text not null check (change in ('promoted', 'demoted', 'protected', 'override', 'override-ended')),
      reason text,
      cause jsonb not null,
      metrics jsonb not null,
      at timestamptz not null
    );
    create index tiers_history_partner_idx on tiers_history (partner_id, at desc, id desc);

    create table tiers_activity (
      event_id uuid primary key,
      program_id uuid not null,
      partner_id uuid not null,
      invoice_id uuid,
      kind text not null check (kind in ('invoice', 'paid', 'correction', 'activity')),
      occurred_at timestamptz not null,
      net bigint not null default 0,
      strategic_net bigint not null default 0,
      points bigint not null default 0
    );
    create index tiers_activity_partner_idx on tiers_activity (partner_id, occurred_at) include (kind, net, strategic_net, points);
    create index tiers_activity_invoice_idx on tiers_activity (invoice_id) where invoice_id is not null;

    create table tiers_review_job (
      id uuid primary key,
      program_id uuid not null,
      review_date timestamptz not null,
      status text not null check (status in ('running', 'done')),
      total integer not null,
      done integer not null default 0,
      checkpoint uuid,
      promoted integer not null default 0,
      demoted integer not null default 0,
      protected integer not null default 0,
      started_by jsonb not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      finished_at timestamptz,
      unique (program_id, review_date)
    );
  `,
};
