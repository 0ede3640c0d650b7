import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0002_approvals',
  up: `
    create table system_approval_request (
      id uuid primary key,
      subject text not null check (length(subject) between 1 and 200),
      reference text,
      status text not null check (status in ('pending', 'approved', 'rejected', 'expired')),
      timeout_seconds integer not null check (timeout_seconds > 0),
      requested_by jsonb not null,
      decided_by jsonb,
      decision_comment text,
      requested_at timestamptz not null,
      decided_at timestamptz
    );
    create index system_approval_request_status_idx on system_approval_request (status, requested_at desc);
  `,
};
