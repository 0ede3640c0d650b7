import type { Migration } from '@laurel/plugin-sdk';

/**
 * Group commit for earnings: the service gathers the single earnings that arrive at the same moment (from
 * different requests, none inside a transaction of its own) and posts them in one round trip and one commit.
 * Each earning keeps its own entry, idempotency and result. Every same-key queue and every account of the group
 * is locked up front in a fixed order (key hashes, then account ids), so groups, single earnings and other entries
 * cannot deadlock, and entry ids are drawn only after the locks.
 */
export const migration: Migration = {
  name: '0011_earn_group',
  up: `
    /* The body of an earning, for a caller that already holds the key's queue and may or may not hold the rows. */
    create function ledger_earn_apply(
      p_program uuid, p_key text, p_hash text, p_kind text, p_debit bigint, p_credit bigint, p_amount bigint,
      p_explanation jsonb, p_actor jsonb, p_lot boolean, p_expires_at timestamptz
    ) returns jsonb language plpgsql as $$
    declare
      v_existing record;
      v_debit_after bigint;
      v_credit_after bigint;
      v_entry bigint;
    begin
      if p_amount <= 0 or p_debit = p_credit or p_kind not in ('earn', 'earn_pending') then
        raise exception 'LEDGER_UNBALANCED';
      end if;
      select id, request_hash into v_existing from ledger_entry where program_id = p_program and idempotency_key = p_key;
      if found then
        return ledger_replay(v_existing.id, v_existing.request_hash, p_hash);
      end if;
      if p_debit < p_credit then
        update ledger_balance set balance = balance - p_amount where account_id = p_debit returning balance into v_debit_after;
        update ledger_balance set balance = balance + p_amount where account_id = p_credit returning balance into v_credit_after;
      else
        update ledger_balance set balance = balance + p_amount where account_id = p_credit returning balance into v_credit_after;
        update ledger_balance set balance = balance - p_amount where account_id = p_debit returning balance into v_debit_after;
      end if;
      if v_debit_after is null or v_credit_after is null then
        raise exception 'LEDGER_ACCOUNT_NOT_FOUND';
      end if;
      insert into ledger_entry (program_id, idempotency_key, request_hash, kind, explanation, actor)
      values (p_program, p_key, p_hash, p_kind, coalesce(p_explanation, '{}'::jsonb), p_actor)
      returning id into v_entry;
      insert into ledger_posting (entry_id, account_id, amount, balance_after)
      values (v_entry, p_debit, -p_amount, v_debit_after), (v_entry, p_credit, p_amount, v_credit_after);
      if p_lot then
        insert into ledger_lot (account_id, entry_id, amount, remaining, expires_at) values (p_credit, v_entry, p_amount, p_amount, p_expires_at);
      end if;
      return jsonb_build_object('status', 'created', 'entryId', v_entry, 'postings', jsonb_build_array(
        jsonb_build_object('a', least(p_debit, p_credit), 'd', case when p_debit < p_credit then -p_amount else p_amount end, 'balanceAfter', case when p_debit < p_credit then v_debit_after else v_credit_after end),
        jsonb_build_object('a', greatest(p_debit, p_credit), 'd', case when p_debit < p_credit then p_amount else -p_amount end, 'balanceAfter', case when p_debit < p_credit then v_credit_after else v_debit_after end)));
    end $$;

    create or replace function ledger_earn(
      p_program uuid, p_key text, p_hash text, p_kind text, p_debit bigint, p_credit bigint, p_amount bigint,
      p_explanation jsonb, p_actor jsonb, p_lot boolean, p_expires_at timestamptz
    ) returns jsonb language plpgsql as $$
    begin
      perform pg_advisory_xact_lock(1279607879, hashtext(p_program::text || p_key));
      return ledger_earn_apply(p_program, p_key, p_hash, p_kind, p_debit, p_credit, p_amount, p_explanation, p_actor, p_lot, p_expires_at);
    end $$;

    /* Items: [{"key","hash","kind","debit","credit","amount","explanation","actor","lot","exp"}]; returns each
       item's result, in order, as ledger_earn would. */
    create function ledger_earn_group(p_program uuid, p_items jsonb) returns jsonb language plpgsql as $$
    declare
      v_hash int;
      v_item record;
      v_out jsonb := '[]'::jsonb;
    begin
      for v_hash in select distinct hashtext(p_program::text || (x->>'key')) from jsonb_array_elements(p_items) as x order by 1 loop
        perform pg_advisory_xact_lock(1279607879, v_hash);
      end loop;
      perform 1 from ledger_balance
       where account_id in (select (x->>'debit')::bigint from jsonb_array_elements(p_items) as x
                            union select (x->>'credit')::bigint from jsonb_array_elements(p_items) as x)
       order by account_id for no key update;
      for v_item in
        select x.* from jsonb_array_elements(p_items) with ordinality as e(value, n),
               jsonb_to_record(e.value) as x(key text, hash text, kind text, debit bigint, credit bigint, amount bigint, explanation jsonb, actor jsonb, lot boolean, exp timestamptz)
         order by e.n
      loop
        v_out := v_out || jsonb_build_array(ledger_earn_apply(p_program, v_item.key, v_item.hash, v_item.kind, v_item.debit, v_item.credit, v_item.amount, v_item.explanation, v_item.actor, v_item.lot, v_item.exp));
      end loop;
      return v_out;
    end $$;
  `,
};
