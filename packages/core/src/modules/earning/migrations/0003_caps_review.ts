import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0003_caps_review',
  up: `
    -- How a rule stacks with the others (additive, or best-of within a group) and its caps.
    alter table earning_rule add column stacking jsonb not null default '{"mode":"additive"}', add column caps jsonb;

    -- An event that tripped a guardrail waits in the review queue.
    alter table earning_event drop constraint earning_event_status_check;
    alter table earning_event add constraint earning_event_status_check check (status in ('received', 'processed', 'unmatched', 'refused', 'rejected', 'review'));
    -- The guardrail on document numbers looks invoices up by number within a program.
    create index earning_event_number_idx on earning_event (program_id, (payload->>'number')) where type = 'invoice.issued' and status = 'processed';

    -- What each capped rule (by code) has granted: per partner per calendar period (scope partner:<id>:<period>) and
    -- in all (scope budget). Updated in the transaction that posts, under a row lock, so concurrent events cannot
    -- exceed a cap.
    create table earning_grant (
      program_id uuid not null,
      rule_code text not null,
      scope text not null,
      points bigint not null default 0 check (points >= 0),
      updated_at timestamptz not null default now(),
      primary key (program_id, rule_code, scope)
    );

    -- Events held back by a guardrail, with what they would post (the simulation), until an admin decides.
    create table earning_review (
      id uuid primary key,
      program_id uuid not null,
      event_id uuid not null unique references earning_event (id),
      partner_id uuid not null,
      reasons jsonb not null,
      computation jsonb not null,
      status text not null check (status in ('open', 'approved', 'rejected')),
      decision jsonb,
      result jsonb,
      created_at timestamptz not null,
      decided_at timestamptz
    );
    create index earning_review_queue_idx on earning_review (program_id, status, id);

    -- The program's guardrail settings: an invoice above volume_factor × the partner's trailing 12-month average
    -- invoice goes to review, when the partner has at least volume_min_invoices invoices in that time.
    create table earning_settings (
      program_id uuid primary key,
      volume_factor numeric(10, 4) check (volume_factor is null or volume_factor > 1),
      volume_min_invoices integer not null default 5 check (volume_min_invoices >= 1),
      updated_by jsonb not null,
      updated_at timestamptz not null
    );

    -- Idempotency keys of the admin requests (rules, resolutions, reviews): the first answer, replayed.
    create table earning_request (
      actor text not null,
      key text not null check (length(key) between 1 and 200),
      operation text not null,
      request_hash text not null,
      response jsonb,
      created_at timestamptz not null,
      primary key (actor, key)
    );
  `,
};
