import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0002_audit_ip',
  up: `
    -- The append-only trigger fires for UPDATE/DELETE of rows, not for adding a column.
    alter table audit_record add column ip text;
    create index audit_record_action_idx on audit_record (action, occurred_at desc);
  `,
};
