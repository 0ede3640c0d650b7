import type { Migration } from '@laurel/plugin-sdk';

/**
 * Group commit across programs: each item names its program, so the earnings of every program arriving at the
 * same moment share one round trip and one commit (see 0011 for the locking rules, unchanged).
 */
export const migration: Migration = {
  name: '0012_earn_group_programs',
  up: `
    drop function ledger_earn_group(uuid, jsonb);
    create function ledger_earn_group(p_items jsonb) returns jsonb language plpgsql as $$
    declare
      v_hash int;
      v_item record;
      v_out jsonb := '[]'::jsonb;
    begin
      for v_hash in select distinct hashtext((x->>'program') || (x->>'key')) from jsonb_array_elements(p_items) as x order by 1 loop
        perform pg_advisory_xact_lock(1279607879, v_hash);
      end loop;
      perform 1 from ledger_balance
       where account_id in (select (x->>'debit')::bigint from jsonb_array_elements(p_items) as x
                            union select (x->>'credit')::bigint from jsonb_array_elements(p_items) as x)
       order by account_id for no key update;
      for v_item in
        select x.* from jsonb_array_elements(p_items) with ordinality as e(value, n),
               jsonb_to_record(e.value) as x(program uuid, key text, hash text, kind text, debit bigint, credit bigint, amount bigint, explanation jsonb, actor jsonb, lot boolean, exp timestamptz)
         order by e.n
      loop
        v_out := v_out || jsonb_build_array(ledger_earn_apply(v_item.program, v_item.key, v_item.hash, v_item.kind, v_item.debit, v_item.credit, v_item.amount, v_item.explanation, v_item.actor, v_item.lot, v_item.exp));
      end loop;
      return v_out;
    end $$;
  `,
};
