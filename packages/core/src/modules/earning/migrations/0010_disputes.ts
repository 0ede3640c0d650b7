import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0010_disputes',
  up: `
    -- How long support has to settle a dispute, per program (a missing row means the default of 5 days).
    create table earning_dispute_policy (
      program_id uuid primary key,
      sla_days integer not null check (sla_days between 1 and 365),
      updated_by jsonb not null,
      updated_at timestamptz not null
    );

    -- A partner's dispute about a ledger entry of its own company, or about an event that earned nothing.
    create table earning_dispute (
      id uuid primary key,
      number bigint generated always as identity unique,
      program_id uuid not null,
      partner_id uuid not null,
      subject text not null check (subject in ('entry', 'missing-event')),
      entry_id bigint,
      reference text check (reference is null or length(reference) between 1 and 200),
      text text not null check (length(text) between 1 and 5000),
      status text not null check (status in ('open', 'waiting-for-partner', 'waiting-for-support', 'resolved', 'rejected')),
      idempotency_key text not null check (length(idempotency_key) between 1 and 200),
      request_hash text not null,
      filed_by jsonb not null,
      filed_by_name text,
      filed_at timestamptz not null,
      due_at timestamptz not null,
      updated_at timestamptz not null,
      resolution jsonb,
      resolved_by jsonb,
      resolved_at timestamptz,
      check (subject = 'missing-event' or entry_id is not null),
      check ((status in ('resolved', 'rejected')) = (resolution is not null)),
      unique (partner_id, idempotency_key)
    );
    create index earning_dispute_queue_idx on earning_dispute (status, due_at);
    create index earning_dispute_partner_idx on earning_dispute (partner_id, id);

    -- The thread: what either side wrote, and the staff's resolution or rejection, in order.
    create table earning_dispute_message (
      id uuid primary key,
      dispute_id uuid not null references earning_dispute (id),
      side text not null check (side in ('partner', 'support')),
      kind text not null check (kind in ('message', 'resolution', 'rejection')),
      body text not null check (length(body) between 1 and 5000),
      author jsonb not null,
      author_name text,
      idempotency_key text,
      created_at timestamptz not null,
      unique (dispute_id, idempotency_key)
    );
    create index earning_dispute_message_idx on earning_dispute_message (dispute_id, created_at, id);

    -- Attachments (PDF, PNG, JPEG up to 5 MB), kept in the database and served only to the dispute's parties.
    create table earning_dispute_attachment (
      id uuid primary key,
      dispute_id uuid not null references earning_dispute (id),
      side text not null check (side in ('partner', 'support')),
      filename text not null check (length(filename) between 1 and 200),
      content_type text not null check (content_type in ('application/pdf', 'image/png', 'image/jpeg')),
      size integer not null check (size between 1 and 5242880),
      content bytea not null check (length(content) = size),
      sha256 text not null,
      uploaded_by jsonb not null,
      uploaded_at timestamptz not null
    );
    create index earning_dispute_attachment_idx on earning_dispute_attachment (dispute_id, uploaded_at);
  `,
};
