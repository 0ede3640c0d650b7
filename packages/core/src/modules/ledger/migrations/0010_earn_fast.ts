import type { Migration } from '@laurel/plugin-sdk';

/**
 * The fast path for the most frequent entry: an earning to one wallet (a shard of the program's `issued` account
 * debited, the wallet's pending or available account credited, a lot for available points). Seven plain
 * statements instead of `ledger_post`'s general machinery:
 *  - same-key requests queue on a transaction-scoped advisory lock (its own two-key space), so the idempotency
 *    check sees a committed twin and no unique violation has to be caught (no subtransaction per entry);
 *  - the two balance rows are updated one by one in ascending account id order, which is the ledger's lock order,
 *    and before the entry id is drawn, so ids follow commit order on every account;
 *  - a credit cannot take a wallet below zero and the debited program account is unguarded, so no guard check.
 * The caller (the ledger service) has chosen both accounts from the same program's wallet and shards.
 */
export const migration: Migration = {
  name: '0010_earn_fast',
  up: `
    create function ledger_earn(
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
      perform pg_advisory_xact_lock(1279607879, hashtext(p_program::text || p_key));
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
  `,
};
