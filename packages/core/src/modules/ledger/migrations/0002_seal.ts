import type { Migration } from '@laurel/plugin-sdk';

/**
 * A hash chain per program over the journal, sealed in entry-id order by one sealer at a time (an advisory
 * lock), after posting — so posting never waits on a chain head. Each seal row holds
 * sha256(previous hash of the program ‖ digest of the entry and its postings).
 */
export const migration: Migration = {
  name: '0002_seal',
  up: `
    create table ledger_seal (
      entry_id bigint primary key references ledger_entry (id),
      program_id uuid not null,
      hash bytea not null check (length(hash) = 32)
    );
    create index ledger_seal_program_idx on ledger_seal (program_id, entry_id desc);
    create trigger ledger_seal_append_only before update or delete on ledger_seal for each row execute function ledger_is_append_only();
    create trigger ledger_seal_no_truncate before truncate on ledger_seal for each statement execute function ledger_is_append_only();

    -- The canonical content of an entry: its fields and its postings in account order (jsonb text is canonical).
    create function ledger_entry_digest(p_entry bigint) returns bytea language sql stable as $$
      select sha256(convert_to(concat_ws('|',
               e.id, e.program_id, e.idempotency_key, e.request_hash, e.kind, e.explanation::text, e.actor::text,
               coalesce(e.reason, ''), coalesce(e.reverses_entry_id::text, ''), to_char(e.posted_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
               (select string_agg(p.account_id || ':' || p.amount || ':' || p.balance_after, ',' order by p.account_id) from ledger_posting p where p.entry_id = e.id)
             ), 'UTF8'))
        from ledger_entry e where e.id = p_entry
    $$;

    /*
     * Seal every entry with id <= p_through that is not sealed yet, in id order. The caller guarantees that
     * every entry id <= p_through is final (committed or never to be), see LedgerSealer.
     */
    create function ledger_seal_through(p_through bigint) returns integer language plpgsql as $$
    declare
      v_from bigint;
      v_prev bytea;
      r record;
      n integer := 0;
    begin
      perform pg_advisory_xact_lock(7301779422);
      select coalesce(max(entry_id), 0) into v_from from ledger_seal;
      for r in select id, program_id from ledger_entry where id > v_from and id <= p_through order by id loop
        select hash into v_prev from ledger_seal where program_id = r.program_id order by entry_id desc limit 1;
        insert into ledger_seal (entry_id, program_id, hash) values (r.id, r.program_id, sha256(coalesce(v_prev, ''::bytea) || ledger_entry_digest(r.id)));
        n := n + 1;
      end loop;
      return n;
    end $$;
  `,
};
