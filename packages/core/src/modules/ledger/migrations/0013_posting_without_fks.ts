import type { Migration } from '@laurel/plugin-sdk';

/**
 * Postings without foreign keys. A posting is only ever written by the ledger's own functions, in the same
 * statement sequence that inserts its entry and locks (and so proves the existence of) its accounts; accounts and
 * entries are never deleted. The two referential-integrity triggers per posting cost more than the rest of an
 * earning's posting work, so they go, and `laurel ledger verify` checks the references instead.
 */
export const migration: Migration = {
  name: '0013_posting_without_fks',
  up: `
    do $$
    declare c record;
    begin
      for c in select conname from pg_constraint where conrelid = 'ledger_posting'::regclass and contype = 'f' loop
        execute format('alter table ledger_posting drop constraint %I', c.conname);
      end loop;
    end $$;
  `,
};
