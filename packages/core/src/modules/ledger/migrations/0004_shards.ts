import type { Migration } from '@laurel/plugin-sdk';

/**
 * Hot program accounts are split into shards: every earn credits the program's `issued` account and every
 * capture its `redeemed` account, so one row per program would serialize them all. Each shard is an ordinary
 * account with its own balance row; the program's figure is the sum of its shards. Wallets (guarded) are never
 * sharded.
 */
export const migration: Migration = {
  name: '0004_shards',
  up: `
    alter table ledger_account add column shard smallint not null default 0 check (shard between 0 and 255);
    alter table ledger_account add constraint ledger_account_shard_guard check (shard = 0 or not guarded);
    do $$
    declare c text;
    begin
      select conname into c from pg_constraint where conrelid = 'ledger_account'::regclass and contype = 'u';
      execute format('alter table ledger_account drop constraint %I', c);
    end $$;
    alter table ledger_account add constraint ledger_account_identity_uq unique nulls not distinct (program_id, holder, partner_id, user_id, code, unit, shard);
  `,
};
