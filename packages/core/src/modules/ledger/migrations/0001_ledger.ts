import type { Migration } from '@laurel/plugin-sdk';

/**
 * Double-entry, append-only ledger. Every state of a point is an account balance: partner wallets hold
 * `pending`, `available` and `reserved`; a program holds `issued`, `redeemed`, `expired` and `adjustment`.
 * Balances live in one row per account, updated in the same transaction as the postings; guarded accounts
 * cannot go below zero (a CHECK, the last line of defence under the posting function's own check).
 */
export const migration: Migration = {
  name: '0001_ledger',
  up: `
    create table ledger_account (
      id bigint generated always as identity primary key,
      program_id uuid not null,
      holder text not null check (holder in ('program', 'partner', 'rep')),
      partner_id uuid,
      user_id uuid,
      code text not null check (code ~ '^[a-z][a-z0-9_]{1,30}$'),
      unit text not null check (unit ~ '^(PTS|[A-Z]{3})$'),
      guarded boolean not null,
      created_at timestamptz not null default now(),
      unique nulls not distinct (program_id, holder, partner_id, user_id, code, unit),
      check ((holder = 'program') = (partner_id is null)),
      check ((holder = 'rep') = (user_id is not null))
    );
    create index ledger_account_partner_idx on ledger_account (partner_id) where partner_id is not null;

    create table ledger_balance (
      account_id bigint primary key references ledger_account (id),
      guarded boolean not null,
      balance bigint not null default 0,
      check (not guarded or balance >= 0)
    ) with (fillfactor = 50);

    create table ledger_entry (
      id bigint generated always as identity primary key,
      program_id uuid not null,
      idempotency_key text not null check (length(idempotency_key) between 1 and 200),
      request_hash text not null,
      kind text not null check (kind in ('earn', 'earn_pending', 'release_pending', 'reserve', 'capture', 'release_hold', 'expire', 'reversal', 'adjustment')),
      explanation jsonb not null default '{}'::jsonb,
      actor jsonb not null,
      reason text,
      reverses_entry_id bigint references ledger_entry (id),
      posted_at timestamptz not null default clock_timestamp(),
      unique (program_id, idempotency_key),
      check ((kind = 'reversal') = (reverses_entry_id is not null)),
      check (kind not in ('reversal', 'adjustment') or length(btrim(coalesce(reason, ''))) >= 3)
    );

    -- An entry is reversed at most once.
    create unique index ledger_entry_reverses_uq on ledger_entry (reverses_entry_id) where reverses_entry_id is not null;

    create table ledger_posting (
      entry_id bigint not null references ledger_entry (id),
      account_id bigint not null references ledger_account (id),
      amount bigint not null check (amount <> 0),
      balance_after bigint not null,
      primary key (entry_id, account_id)
    );
    create index ledger_posting_account_idx on ledger_posting (account_id, entry_id);

    -- Nothing in the journal is ever updated or deleted: corrections are reversing entries.
    create function ledger_is_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'the ledger journal is append-only (% on %)', tg_op, tg_table_name;
    end $$;
    create trigger ledger_entry_append_only before update or delete on ledger_entry for each row execute function ledger_is_append_only();
    create trigger ledger_posting_append_only before update or delete on ledger_posting for each row execute function ledger_is_append_only();
    create trigger ledger_entry_no_truncate before truncate on ledger_entry for each statement execute function ledger_is_append_only();
    create trigger ledger_posting_no_truncate before truncate on ledger_posting for each statement execute function ledger_is_append_only();

    /*
     * Post one entry in one round trip. Postings are [{"a": account_id, "d": amount}]. Returns
     *   {"status": "created" | "replayed", "entryId", "postings": [{"a", "d", "balanceAfter"}]}
     *   {"status": "conflict", "entryId"}            the key was used with a different request
     *   {"status": "rejected", "code", "accountId", "shortBy"}   a guarded account would go below zero
     * Accounts are locked in ascending id order in one statement, so concurrent entries cannot deadlock.
     */
    create function ledger_post(
      p_program uuid, p_key text, p_hash text, p_kind text, p_postings jsonb,
      p_explanation jsonb, p_actor jsonb, p_reason text, p_reverses bigint
    ) returns jsonb language plpgsql as $$
    declare
      v_existing record;
      v_ids bigint[];
      v_amounts bigint[];
      v_locked int;
      v_bad record;
      v_entry bigint;
      v_result jsonb;
    begin
      select id, request_hash into v_existing from ledger_entry where program_id = p_program and idempotency_key = p_key;
      if found then
        if v_existing.request_hash <> p_hash then
          return jsonb_build_object('status', 'conflict', 'entryId', v_existing.id);
        end if;
        return jsonb_build_object('status', 'replayed', 'entryId', v_existing.id, 'postings',
          (select jsonb_agg(jsonb_build_object('a', account_id, 'd', amount, 'balanceAfter', balance_after) order by account_id) from ledger_posting where entry_id = v_existing.id));
      end if;

      -- Net postings per account, sorted by account id (the lock order).
      select array_agg(a order by a), array_agg(d order by a) into v_ids, v_amounts
        from (select a, sum(d) as d from jsonb_to_recordset(p_postings) as x(a bigint, d bigint) group by a having sum(d) <> 0) net;
      if coalesce(cardinality(v_ids), 0) < 2 then
        raise exception 'LEDGER_UNBALANCED';
      end if;
      if exists (select 1 from unnest(v_ids) as i(a) join ledger_account acc on acc.id = i.a where acc.program_id <> p_program) then
        raise exception 'LEDGER_ACCOUNT_OF_OTHER_PROGRAM';
      end if;
      if exists (select 1 from unnest(v_ids, v_amounts) as i(a, d) join ledger_account acc on acc.id = i.a group by acc.unit having sum(i.d) <> 0) then
        raise exception 'LEDGER_UNBALANCED';
      end if;

      select count(*) into v_locked from (select account_id from ledger_balance where account_id = any(v_ids) order by account_id for no key update) l;
      if v_locked <> cardinality(v_ids) then
        raise exception 'LEDGER_ACCOUNT_NOT_FOUND';
      end if;

      select b.account_id, b.balance + i.d as after into v_bad
        from ledger_balance b join unnest(v_ids, v_amounts) as i(a, d) on i.a = b.account_id
       where b.guarded and b.balance + i.d < 0 order by b.account_id limit 1;
      if found then
        return jsonb_build_object('status', 'rejected', 'code', 'LEDGER_INSUFFICIENT_BALANCE', 'accountId', v_bad.account_id, 'shortBy', -v_bad.after);
      end if;

      begin
        insert into ledger_entry (program_id, idempotency_key, request_hash, kind, explanation, actor, reason, reverses_entry_id)
        values (p_program, p_key, p_hash, p_kind, coalesce(p_explanation, '{}'::jsonb), p_actor, p_reason, p_reverses)
        returning id into v_entry;
      exception when unique_violation then
        -- The same key committed by a concurrent request: answer as a replay (or a conflict).
        select id, request_hash into v_existing from ledger_entry where program_id = p_program and idempotency_key = p_key;
        if not found then
          raise;  -- another unique rule (an entry reversed twice)
        end if;
        if v_existing.request_hash <> p_hash then
          return jsonb_build_object('status', 'conflict', 'entryId', v_existing.id);
        end if;
        return jsonb_build_object('status', 'replayed', 'entryId', v_existing.id, 'postings',
          (select jsonb_agg(jsonb_build_object('a', account_id, 'd', amount, 'balanceAfter', balance_after) order by account_id) from ledger_posting where entry_id = v_existing.id));
      end;

      with upd as (
        update ledger_balance b set balance = b.balance + i.d from unnest(v_ids, v_amounts) as i(a, d) where b.account_id = i.a
        returning b.account_id, b.balance
      ), ins as (
        insert into ledger_posting (entry_id, account_id, amount, balance_after)
        select v_entry, i.a, i.d, upd.balance from unnest(v_ids, v_amounts) as i(a, d) join upd on upd.account_id = i.a
        returning account_id, amount, balance_after
      )
      select jsonb_agg(jsonb_build_object('a', account_id, 'd', amount, 'balanceAfter', balance_after) order by account_id) into v_result from ins;
      return jsonb_build_object('status', 'created', 'entryId', v_entry, 'postings', v_result);
    end $$;
  `,
};
