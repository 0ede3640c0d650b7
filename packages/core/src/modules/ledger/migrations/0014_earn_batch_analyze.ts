import type { Migration } from '@laurel/plugin-sdk';

/**
 * The set-based batch of earnings with statistics on its working table: without them the planner estimated one
 * row and joined a 1,000-item batch by nested loops (two quadratic steps, most of the batch's time).
 */
export const migration: Migration = {
  name: '0014_earn_batch_analyze',
  up: `
    create or replace function ledger_earn_batch(p_program uuid, p_items jsonb, p_actor jsonb) returns jsonb language plpgsql as $$
    declare
      v_ids bigint[];
      v_result jsonb;
    begin
      create temporary table if not exists pg_temp.ledger_batch_item (
        ord int, key text, hash text, kind text, explanation jsonb, debit bigint, credit bigint, amount bigint, exp timestamptz, is_first boolean, status text, entry_id bigint
      ) on commit drop;
      truncate pg_temp.ledger_batch_item;
      insert into pg_temp.ledger_batch_item (ord, key, hash, kind, explanation, debit, credit, amount, exp, is_first)
      select el.ord, x.key, x.hash, x.kind, coalesce(x.explanation, '{}'::jsonb), x.debit, x.credit, x.amount, x.exp,
             el.ord = min(el.ord) over (partition by x.key)
        from jsonb_array_elements(p_items) with ordinality as el(value, ord),
             jsonb_to_record(el.value) as x(key text, hash text, kind text, explanation jsonb, debit bigint, credit bigint, amount bigint, exp timestamptz);
      -- The temporary table has no statistics: without them the planner joins it by nested loops (quadratic).
      analyze pg_temp.ledger_batch_item;

      -- Keys already in the journal: replays or conflicts.
      update pg_temp.ledger_batch_item i set status = case when e.request_hash = i.hash then 'replayed' else 'conflict' end, entry_id = e.id
        from ledger_entry e where e.program_id = p_program and e.idempotency_key = i.key;

      -- Every account must belong to this program; amounts are positive.
      if exists (select 1 from pg_temp.ledger_batch_item i left join ledger_account d on d.id = i.debit left join ledger_account c on c.id = i.credit
                  where d.program_id is distinct from p_program or c.program_id is distinct from p_program or i.amount <= 0 or d.unit <> c.unit) then
        raise exception 'LEDGER_UNBALANCED';
      end if;

      begin
      select array_agg(a order by a) into v_ids from (
        select distinct unnest(array[debit, credit]) as a from pg_temp.ledger_batch_item where status is null) s;
      if v_ids is not null then
        perform 1 from ledger_balance where account_id = any(v_ids) order by account_id for no key update;
        -- Guarded accounts may not go below zero: leave such a batch to the item-by-item path.
        if exists (
          select 1 from ledger_balance b join (
            select a, sum(d) as d from (
              select debit as a, -amount as d from pg_temp.ledger_batch_item where status is null and is_first
              union all
              select credit, amount from pg_temp.ledger_batch_item where status is null and is_first
            ) m group by a) t on t.a = b.account_id
          where b.guarded and b.balance + t.d < 0) then
          return null;
        end if;

        with firsts as (
          select * from pg_temp.ledger_batch_item where status is null and is_first
        ), ent as (
          insert into ledger_entry (program_id, idempotency_key, request_hash, kind, explanation, actor)
          select p_program, key, hash, kind, explanation, p_actor from firsts order by ord
          returning id, idempotency_key
        ), posting as (
          select ent.id as entry_id, x.account_id, x.d
            from ent join firsts f on f.key = ent.idempotency_key
            cross join lateral (values (f.debit, -f.amount), (f.credit, f.amount)) as x(account_id, d)
        ), running as (
          select p.entry_id, p.account_id, p.d, b.balance + sum(p.d) over (partition by p.account_id order by p.entry_id) as after
            from posting p join ledger_balance b on b.account_id = p.account_id
        ), ins as (
          insert into ledger_posting (entry_id, account_id, amount, balance_after) select entry_id, account_id, d, after from running
        ), lots as (
          -- Earnings to available bring a lot each, with the expiry the program's policy gave it.
          insert into ledger_lot (account_id, entry_id, amount, remaining, expires_at)
          select f.credit, ent.id, f.amount, f.amount, f.exp from ent join firsts f on f.key = ent.idempotency_key where f.kind = 'earn'
        ), upd as (
          update ledger_balance b set balance = b.balance + s.total from (select account_id, sum(d) as total from posting group by account_id) s
           where b.account_id = s.account_id
        )
        update pg_temp.ledger_batch_item i set status = 'created', entry_id = ent.id from ent where ent.idempotency_key = i.key and i.status is null and i.is_first;
        -- Later repeats of a key inside the batch replay its first occurrence.
        update pg_temp.ledger_batch_item i set status = case when f.hash = i.hash then 'replayed' else 'conflict' end, entry_id = f.entry_id
          from pg_temp.ledger_batch_item f where i.status is null and f.key = i.key and f.status = 'created';
      end if;
      exception when unique_violation then
        -- A concurrent batch posted some of these keys first: leave it to the item-by-item path.
        return null;
      end;

      select jsonb_agg(jsonb_build_object('status', status, 'entryId', entry_id) order by ord) into v_result from pg_temp.ledger_batch_item;
      return v_result;
    end $$;
  `,
};
