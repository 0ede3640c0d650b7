import type { Migration } from '@laurel/plugin-sdk';

/**
 * The set-based batch of earnings as one statement over the request itself: no temporary working table (whose
 * creation, statistics and drop cost more than the inserts of a small batch). Same contract as before: every
 * account is checked and locked first in ascending id order; each key's first occurrence in the batch is posted
 * (entry, two postings with running balances, a lot for available points), keys already in the journal and later
 * repeats are replays (or conflicts); the result lists each item's status and entry in item order. It returns null
 * — and the caller posts item by item — when a debited account is guarded, an account is not the program's, the
 * units differ, or a concurrent batch posted one of the keys first.
 */
export const migration: Migration = {
  name: '0015_earn_batch_cte',
  up: `
    create or replace function ledger_earn_batch(p_program uuid, p_items jsonb, p_actor jsonb) returns jsonb language plpgsql as $$
    declare
      v_ids bigint[];
      v_found int;
      v_result jsonb;
    begin
      select array_agg(distinct v.a order by v.a) into v_ids
        from jsonb_array_elements(p_items) as x, lateral (values ((x->>'debit')::bigint), ((x->>'credit')::bigint)) as v(a);
      if v_ids is null then
        return '[]'::jsonb;
      end if;
      select count(*) into v_found from ledger_account where id = any(v_ids) and program_id = p_program;
      if v_found <> cardinality(v_ids) or exists (
        select 1 from jsonb_array_elements(p_items) as x
          join ledger_account d on d.id = (x->>'debit')::bigint
          join ledger_account c on c.id = (x->>'credit')::bigint
         where d.guarded or d.unit <> c.unit or (x->>'amount')::bigint <= 0) then
        return null;
      end if;

      perform 1 from ledger_balance where account_id = any(v_ids) order by account_id for no key update;

      begin
        with items as materialized (
          select e.ord::int as ord, x.key, x.hash, x.kind, coalesce(x.explanation, '{}'::jsonb) as explanation, x.debit, x.credit, x.amount, x.exp
            from jsonb_array_elements(p_items) with ordinality as e(value, ord),
                 jsonb_to_record(e.value) as x(key text, hash text, kind text, explanation jsonb, debit bigint, credit bigint, amount bigint, exp timestamptz)
        ), known as materialized (
          select e.idempotency_key as key, e.id, e.request_hash
            from ledger_entry e where e.program_id = p_program and e.idempotency_key in (select key from items)
        ), firsts as materialized (
          select distinct on (i.key) i.* from items i where not exists (select 1 from known k where k.key = i.key) order by i.key, i.ord
        ), ent as (
          insert into ledger_entry (program_id, idempotency_key, request_hash, kind, explanation, actor)
          select p_program, f.key, f.hash, f.kind, f.explanation, p_actor from firsts f order by f.ord
          returning id, idempotency_key
        ), made as materialized (
          select f.*, ent.id as entry_id from firsts f join ent on ent.idempotency_key = f.key
        ), posting as materialized (
          select m.entry_id, v.account_id, v.d from made m cross join lateral (values (m.debit, -m.amount), (m.credit, m.amount)) as v(account_id, d)
        ), ins as (
          insert into ledger_posting (entry_id, account_id, amount, balance_after)
          select p.entry_id, p.account_id, p.d, b.balance + sum(p.d) over (partition by p.account_id order by p.entry_id)
            from posting p join ledger_balance b on b.account_id = p.account_id
        ), lots as (
          insert into ledger_lot (account_id, entry_id, amount, remaining, expires_at)
          select m.credit, m.entry_id, m.amount, m.amount, m.exp from made m where m.kind = 'earn'
        ), upd as (
          update ledger_balance b set balance = b.balance + s.total
            from (select account_id, sum(d) as total from posting group by account_id) s where b.account_id = s.account_id
        )
        select jsonb_agg(jsonb_build_object('status', r.status, 'entryId', r.entry_id) order by r.ord) into v_result
          from (
            select i.ord,
                   case when k.id is not null then (case when k.request_hash = i.hash then 'replayed' else 'conflict' end)
                        when m.ord = i.ord then 'created'
                        when m.hash = i.hash then 'replayed'
                        else 'conflict' end as status,
                   coalesce(k.id, m.entry_id) as entry_id
              from items i left join known k on k.key = i.key left join made m on m.key = i.key
          ) r;
      exception when unique_violation then
        -- A concurrent batch posted some of these keys first: leave it to the item-by-item path.
        return null;
      end;
      return v_result;
    end $$;
  `,
};
