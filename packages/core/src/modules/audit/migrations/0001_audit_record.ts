import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0001_audit_record',
  up: `
    create table audit_record (
      id uuid primary key,
      occurred_at timestamptz not null,
      actor jsonb not null,
      action text not null,
      subject_type text not null,
      subject_id text not null,
      request_id text,
      data jsonb not null default '{}'::jsonb
    );
    create index audit_record_subject_idx on audit_record (subject_type, subject_id, occurred_at desc);
    create index audit_record_time_idx on audit_record (occurred_at desc);
    -- The audit trail is append-only: nothing may change or remove a record.
    create function audit_record_is_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_record is append-only';
    end $$;
    create trigger audit_record_no_update before update or delete on audit_record
      for each statement execute function audit_record_is_append_only();
  `,
};
