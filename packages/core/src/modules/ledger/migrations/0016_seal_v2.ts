import type { Migration } from '@laurel/plugin-sdk';

/**
 * The hash chain covers what an entry did to lots and holds too. Digest v2 adds to v1 (the entry's fields and its
 * postings) the entry it follows up, the lots it created with their expiry dates, the lot uses it wrote, and the
 * expiry of a hold it opened — so changing when points expire, or which lots a redemption took, breaks the chain.
 * Seals already made keep their version; new ones are v2, and verify recomputes each with its own version.
 */
export const migration: Migration = {
  name: '0016_seal_v2',
  up: `
    alter table ledger_seal add column digest_version smallint not null default 1 check (digest_version in (1, 2));
    alter table ledger_seal alter column digest_version set default 2;

    create function ledger_entry_digest_v2(p_entry bigint) returns bytea language sql stable as $$
      select sha256(convert_to(concat_ws('|',
               encode(ledger_entry_digest(p_entry), 'hex'),
               coalesce((select ref_entry_id::text from ledger_entry where id = p_entry), ''),
               coalesce((select string_agg(l.account_id || ':' || l.amount || ':' || coalesce(to_char(l.expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), 'never'), ',' order by l.account_id)
                           from ledger_lot l where l.entry_id = p_entry), ''),
               coalesce((select string_agg(u.account_id || ':' || u.lot_entry_id || ':' || u.amount, ',' order by u.account_id, u.lot_entry_id)
                           from ledger_lot_use u where u.entry_id = p_entry), ''),
               coalesce((select h.amount || ':' || to_char(h.expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') from ledger_hold h where h.reserve_entry_id = p_entry), '')
             ), 'UTF8'))
    $$;

    create function ledger_seal_digest(p_entry bigint, p_version smallint) returns bytea language sql stable as $$
      select case p_version when 1 then ledger_entry_digest(p_entry) else ledger_entry_digest_v2(p_entry) end
    $$;

    create or replace function ledger_seal_through(p_through bigint) returns integer language plpgsql as $$
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
        insert into ledger_seal (entry_id, program_id, hash, digest_version)
        values (r.id, r.program_id, sha256(coalesce(v_prev, ''::bytea) || ledger_entry_digest_v2(r.id)), 2);
        n := n + 1;
      end loop;
      return n;
    end $$;
  `,
};
