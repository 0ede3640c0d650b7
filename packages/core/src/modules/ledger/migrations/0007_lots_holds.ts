import type { Migration } from '@laurel/plugin-sdk';

/**
 * Lots, holds and partial reversals.
 *
 * - A lot is the part of an `available` balance that one entry brought in, with its own expiry date. Earning to
 *   available, releasing pending points and crediting adjustments create lots; reserving, debit adjustments and
 *   expiry consume them FIFO (soonest expiry first); giving points back (releasing a hold, a refund, reversing a
 *   debit) restores exactly the lots the linked entries consumed, latest expiry first. Every consumption or
 *   restoration is an append-only `ledger_lot_use` row, so Σ remaining of an account's lots = its available balance.
 * - A hold is the two-phase reservation behind a redemption: reserve opens it (available → reserved), capture
 *   (reserved → redeemed, the rest back to available) or release closes it once. A hold past its expiry can no
 *   longer be captured; the expiry sweep releases it.
 * - Entries may be reversed in parts; the parts never add up to more than the original.
 * - `ref_entry_id` links an entry to the one it follows up (a capture to its reserve, a release of pending points
 *   to its earning, a reversal to the entry whose lots it restores).
 */
export const migration: Migration = {
  name: '0007_lots_holds',
  up: `
    alter table ledger_entry add column ref_entry_id bigint references ledger_entry (id);
    create index ledger_entry_ref_idx on ledger_entry (ref_entry_id) where ref_entry_id is not null;
    drop index ledger_entry_reverses_uq;
    create index ledger_entry_reverses_idx on ledger_entry (reverses_entry_id) where reverses_entry_id is not null;

    create table ledger_lot (
      account_id bigint not null,
      entry_id bigint not null,
      amount bigint not null check (amount > 0),
      remaining bigint not null,
      expires_at timestamptz,
      primary key (account_id, entry_id),
      check (remaining between 0 and amount)
    );
    create index ledger_lot_open_idx on ledger_lot (account_id, expires_at, entry_id) where remaining > 0;
    create index ledger_lot_due_idx on ledger_lot (expires_at) where remaining > 0 and expires_at is not null;

    create table ledger_lot_use (
      entry_id bigint not null,
      account_id bigint not null,
      lot_entry_id bigint not null,
      amount bigint not null check (amount <> 0),
      primary key (entry_id, account_id, lot_entry_id)
    );

    create table ledger_hold (
      reserve_entry_id bigint primary key,
      available_account_id bigint not null,
      reserved_account_id bigint not null,
      amount bigint not null check (amount > 0),
      captured bigint not null default 0,
      state text not null default 'open' check (state in ('open', 'captured', 'released', 'expired')),
      expires_at timestamptz not null,
      resolve_entry_id bigint,
      resolved_at timestamptz,
      check (captured between 0 and amount)
    );
    create index ledger_hold_due_idx on ledger_hold (expires_at) where state = 'open';

    create trigger ledger_lot_use_append_only before update or delete on ledger_lot_use for each row execute function ledger_is_append_only();
    create trigger ledger_lot_use_no_truncate before truncate on ledger_lot_use for each statement execute function ledger_is_append_only();
    -- A lot only ever changes its remaining amount (and only by a lot use in the same transaction); never deleted.
    create function ledger_lot_only_remaining() returns trigger language plpgsql as $$
    begin
      if tg_op <> 'UPDATE' or new.account_id <> old.account_id or new.entry_id <> old.entry_id or new.amount <> old.amount
         or new.expires_at is distinct from old.expires_at then
        raise exception 'ledger lots change only their remaining amount (% on %)', tg_op, tg_table_name;
      end if;
      return new;
    end $$;
    create trigger ledger_lot_guard before update or delete on ledger_lot for each row execute function ledger_lot_only_remaining();
    create trigger ledger_lot_no_truncate before truncate on ledger_lot for each statement execute function ledger_is_append_only();
    create trigger ledger_hold_no_delete before delete on ledger_hold for each row execute function ledger_is_append_only();
    create trigger ledger_hold_no_truncate before truncate on ledger_hold for each statement execute function ledger_is_append_only();

    -- Available points posted before lots existed become one lot per account that never expires.
    insert into ledger_lot (account_id, entry_id, amount, remaining, expires_at)
    select b.account_id, (select max(p.entry_id) from ledger_posting p where p.account_id = b.account_id), b.balance, b.balance, null
      from ledger_balance b join ledger_account a on a.id = b.account_id
     where a.code = 'available' and b.balance > 0;

    /* Consume p_amount from an account's lots: the lot of entry p_own first (a reversal of an earning takes back
       its own points first), then soonest expiry first; with p_due, only lots due by then (expiry). */
    create function ledger_lot_consume(p_entry bigint, p_account bigint, p_amount bigint, p_own bigint, p_due timestamptz) returns void language plpgsql as $$
    declare
      v_left bigint := p_amount;
      v_lot record;
      v_take bigint;
    begin
      if p_own is not null then
        select entry_id, remaining into v_lot from ledger_lot where account_id = p_account and entry_id = p_own and remaining > 0;
        if found then
          v_take := least(v_lot.remaining, v_left);
          update ledger_lot set remaining = remaining - v_take where account_id = p_account and entry_id = p_own;
          insert into ledger_lot_use (entry_id, account_id, lot_entry_id, amount) values (p_entry, p_account, p_own, v_take);
          v_left := v_left - v_take;
        end if;
      end if;
      if v_left > 0 then
        for v_lot in
          select entry_id, remaining from ledger_lot
           where account_id = p_account and remaining > 0 and (p_due is null or expires_at <= p_due)
           order by expires_at, entry_id
        loop
          v_take := least(v_lot.remaining, v_left);
          update ledger_lot set remaining = remaining - v_take where account_id = p_account and entry_id = v_lot.entry_id;
          insert into ledger_lot_use (entry_id, account_id, lot_entry_id, amount) values (p_entry, p_account, v_lot.entry_id, v_take);
          v_left := v_left - v_take;
          exit when v_left = 0;
        end loop;
      end if;
      if v_left > 0 then
        raise exception 'LEDGER_LOTS_SHORT: the lots of account % lack % points', p_account, v_left;
      end if;
    end $$;

    /* Give back p_amount to the lots that the entries of a group consumed (the group entry and every entry that
       refers to it), latest expiry first: a released hold or a refund restores exactly what was taken. */
    create function ledger_lot_restore(p_entry bigint, p_account bigint, p_amount bigint, p_group bigint) returns void language plpgsql as $$
    declare
      v_left bigint := p_amount;
      v_lot record;
      v_take bigint;
    begin
      for v_lot in
        select u.lot_entry_id, sum(u.amount) as net
          from ledger_lot_use u join ledger_lot l on l.account_id = u.account_id and l.entry_id = u.lot_entry_id
         where u.account_id = p_account
           and (u.entry_id = p_group or u.entry_id in (select e.id from ledger_entry e where e.ref_entry_id = p_group))
         group by u.lot_entry_id, l.expires_at
        having sum(u.amount) > 0
         order by l.expires_at desc nulls first, u.lot_entry_id desc
      loop
        v_take := least(v_lot.net, v_left);
        update ledger_lot set remaining = remaining + v_take where account_id = p_account and entry_id = v_lot.lot_entry_id;
        insert into ledger_lot_use (entry_id, account_id, lot_entry_id, amount) values (p_entry, p_account, v_lot.lot_entry_id, -v_take);
        v_left := v_left - v_take;
        exit when v_left = 0;
      end loop;
      if v_left > 0 then
        raise exception 'LEDGER_LOTS_SHORT: entry % consumed % points fewer than are being restored to account %', p_group, v_left, p_account;
      end if;
    end $$;

    /* Points of an earning still pending: its pending postings, less what releases and reversals took since. */
    create function ledger_pending_left(p_earn bigint) returns bigint language sql stable as $$
      select coalesce((select sum(p.amount) from ledger_posting p join ledger_account a on a.id = p.account_id
                        where p.entry_id = p_earn and a.code = 'pending'), 0)
           + coalesce((select sum(p.amount) from ledger_entry e join ledger_posting p on p.entry_id = e.id join ledger_account a on a.id = p.account_id
                        where (e.ref_entry_id = p_earn or e.reverses_entry_id = p_earn) and a.code = 'pending'), 0)
    $$;

    /* A reversal (or the parts of one) never moves more than the original did, on any of its accounts. */
    create function ledger_reversal_check(p_reverses bigint, p_ids bigint[], p_amounts bigint[]) returns jsonb language plpgsql as $$
    declare
      v_orig bigint;
      v_done bigint;
      v_this bigint;
    begin
      select coalesce(sum(amount) filter (where amount > 0), 0) into v_orig from ledger_posting where entry_id = p_reverses;
      select coalesce(sum(p.amount) filter (where p.amount > 0), 0) into v_done
        from ledger_entry e join ledger_posting p on p.entry_id = e.id where e.reverses_entry_id = p_reverses;
      select coalesce(sum(d) filter (where d > 0), 0) into v_this from unnest(p_amounts) as d;
      if v_done + v_this > v_orig or exists (
        select 1 from unnest(p_ids, p_amounts) as i(a, d)
          join ledger_posting o on o.entry_id = p_reverses and o.account_id = i.a
         where sign(i.d) <> sign(o.amount)
           and abs(i.d + coalesce((select sum(p.amount) from ledger_entry e join ledger_posting p on p.entry_id = e.id
                                   where e.reverses_entry_id = p_reverses and p.account_id = i.a), 0)) > abs(o.amount)) then
        return jsonb_build_object('status', 'rejected', 'code', 'LEDGER_REVERSAL_EXCEEDS_ORIGINAL', 'remaining', greatest(v_orig - v_done, 0));
      end if;
      return null;
    end $$;

    create function ledger_replay(p_entry bigint, p_stored_hash text, p_hash text) returns jsonb language sql stable as $$
      select case when p_stored_hash <> p_hash then jsonb_build_object('status', 'conflict', 'entryId', p_entry)
             else jsonb_build_object('status', 'replayed', 'entryId', p_entry, 'postings',
               (select jsonb_agg(jsonb_build_object('a', account_id, 'd', amount, 'balanceAfter', balance_after) order by account_id)
                  from ledger_posting where entry_id = p_entry)) end
    $$;

    drop function ledger_post_batch(uuid, jsonb, jsonb);
    drop function ledger_post(uuid, text, text, text, jsonb, jsonb, jsonb, text, bigint);

    /*
     * Post one entry in one round trip. Postings are [{"a": account_id, "d": amount}]; p_ops lists what the entry
     * does besides its postings, all under the same account locks:
     *   checks, before anything is written: {"op":"hold_check","hold":id,"mode":"capture"|"release"|"expire"},
     *     {"op":"pending_cap","earn":id,"n":points}
     *   effects: {"op":"lot","a":account,"n":points,"exp":timestamp|null}, {"op":"consume","a","n","own"?,"due"?},
     *     {"op":"restore","a","n","group"}, {"op":"hold_open","avail","reserved","exp"},
     *     {"op":"hold_close","hold","state","captured"}
     * Returns {"status": "created" | "replayed", "entryId", "postings": [{"a", "d", "balanceAfter"}]},
     *   {"status": "conflict", "entryId"} (the key was used with a different request), or
     *   {"status": "rejected", "code", ...} (a guard or check refused it; nothing was written).
     * Accounts are locked in ascending id order in one statement, so concurrent entries cannot deadlock.
     */
    create function ledger_post(
      p_program uuid, p_key text, p_hash text, p_kind text, p_postings jsonb,
      p_explanation jsonb, p_actor jsonb, p_reason text, p_reverses bigint,
      p_ref bigint default null, p_ops jsonb default null
    ) returns jsonb language plpgsql as $$
    declare
      v_existing record;
      v_ids bigint[];
      v_amounts bigint[];
      v_locked int;
      v_bad record;
      v_entry bigint;
      v_result jsonb;
      v_op jsonb;
      v_hold record;
      v_left bigint;
    begin
      select id, request_hash into v_existing from ledger_entry where program_id = p_program and idempotency_key = p_key;
      if found then
        return ledger_replay(v_existing.id, v_existing.request_hash, p_hash);
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

      -- Checks on the locked state, before anything is written.
      if p_reverses is not null then
        v_result := ledger_reversal_check(p_reverses, v_ids, v_amounts);
        if v_result is not null then
          return v_result;
        end if;
      end if;
      for v_op in select value from jsonb_array_elements(coalesce(p_ops, '[]'::jsonb)) loop
        if v_op->>'a' is not null and not ((v_op->>'a')::bigint = any(v_ids)) then
          raise exception 'LEDGER_OP_ACCOUNT_NOT_POSTED: % touches account % outside the entry', v_op->>'op', v_op->>'a';
        end if;
        if v_op->>'op' = 'hold_check' then
          -- Every change of a hold posts to its reserved account, which is locked now: the state cannot move.
          select * into v_hold from ledger_hold where reserve_entry_id = (v_op->>'hold')::bigint;
          if not found or not (v_hold.reserved_account_id = any(v_ids)) then
            return jsonb_build_object('status', 'rejected', 'code', 'LEDGER_HOLD_NOT_FOUND', 'holdId', v_op->'hold');
          elsif v_hold.state <> 'open' then
            return jsonb_build_object('status', 'rejected', 'code', 'LEDGER_HOLD_NOT_OPEN', 'holdId', v_op->'hold', 'state', v_hold.state);
          elsif v_op->>'mode' = 'capture' and clock_timestamp() >= v_hold.expires_at then
            return jsonb_build_object('status', 'rejected', 'code', 'LEDGER_HOLD_EXPIRED', 'holdId', v_op->'hold', 'expiresAt', v_hold.expires_at);
          elsif v_op->>'mode' = 'expire' and clock_timestamp() < v_hold.expires_at then
            return jsonb_build_object('status', 'rejected', 'code', 'LEDGER_HOLD_NOT_DUE', 'holdId', v_op->'hold', 'expiresAt', v_hold.expires_at);
          end if;
        elsif v_op->>'op' = 'pending_cap' then
          v_left := ledger_pending_left((v_op->>'earn')::bigint);
          if (v_op->>'n')::bigint > v_left then
            return jsonb_build_object('status', 'rejected', 'code', 'LEDGER_RELEASE_EXCEEDS_PENDING', 'entryId', v_op->'earn', 'remaining', v_left);
          end if;
        end if;
      end loop;

      -- The guard comes last, so that a more specific refusal (a closed hold, a cap) is the one reported.
      select b.account_id, b.balance + i.d as after into v_bad
        from ledger_balance b join unnest(v_ids, v_amounts) as i(a, d) on i.a = b.account_id
       where b.guarded and b.balance + i.d < 0 order by b.account_id limit 1;
      if found then
        return jsonb_build_object('status', 'rejected', 'code', 'LEDGER_INSUFFICIENT_BALANCE', 'accountId', v_bad.account_id, 'shortBy', -v_bad.after);
      end if;

      begin
        insert into ledger_entry (program_id, idempotency_key, request_hash, kind, explanation, actor, reason, reverses_entry_id, ref_entry_id)
        values (p_program, p_key, p_hash, p_kind, coalesce(p_explanation, '{}'::jsonb), p_actor, p_reason, p_reverses, p_ref)
        returning id into v_entry;
      exception when unique_violation then
        -- The same key committed by a concurrent request: answer as a replay (or a conflict).
        select id, request_hash into v_existing from ledger_entry where program_id = p_program and idempotency_key = p_key;
        if not found then
          raise;
        end if;
        return ledger_replay(v_existing.id, v_existing.request_hash, p_hash);
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

      for v_op in select value from jsonb_array_elements(coalesce(p_ops, '[]'::jsonb)) loop
        case v_op->>'op'
          when 'lot' then
            insert into ledger_lot (account_id, entry_id, amount, remaining, expires_at)
            values ((v_op->>'a')::bigint, v_entry, (v_op->>'n')::bigint, (v_op->>'n')::bigint, (v_op->>'exp')::timestamptz);
          when 'consume' then
            perform ledger_lot_consume(v_entry, (v_op->>'a')::bigint, (v_op->>'n')::bigint, (v_op->>'own')::bigint, (v_op->>'due')::timestamptz);
          when 'restore' then
            perform ledger_lot_restore(v_entry, (v_op->>'a')::bigint, (v_op->>'n')::bigint, (v_op->>'group')::bigint);
          when 'hold_open' then
            insert into ledger_hold (reserve_entry_id, available_account_id, reserved_account_id, amount, expires_at)
            values (v_entry, (v_op->>'avail')::bigint, (v_op->>'reserved')::bigint, (v_op->>'n')::bigint, (v_op->>'exp')::timestamptz);
          when 'hold_close' then
            update ledger_hold set state = v_op->>'state', captured = coalesce((v_op->>'captured')::bigint, 0), resolve_entry_id = v_entry, resolved_at = clock_timestamp()
             where reserve_entry_id = (v_op->>'hold')::bigint;
          else
            null;
        end case;
      end loop;
      return jsonb_build_object('status', 'created', 'entryId', v_entry, 'postings', v_result);
    end $$;

    create function ledger_post_batch(p_program uuid, p_entries jsonb, p_actor jsonb) returns jsonb language plpgsql as $$
    declare
      v_out jsonb := '[]'::jsonb;
      e jsonb;
    begin
      for e in select value from jsonb_array_elements(p_entries) loop
        v_out := v_out || jsonb_build_array(ledger_post(
          p_program, e->>'key', e->>'hash', e->>'kind', e->'postings',
          coalesce(e->'explanation', '{}'::jsonb), p_actor, e->>'reason', (e->>'reverses')::bigint,
          (e->>'ref')::bigint, e->'ops'));
      end loop;
      return v_out;
    end $$;

    /* Expire what is due on one wallet by the cutoff: one entry (available → the program's expired account)
       consuming exactly the due lots. Locks both accounts in id order first, as ledger_post would. */
    create function ledger_expire_lots(p_program uuid, p_account bigint, p_expired bigint, p_cutoff timestamptz, p_key text, p_hash text, p_actor jsonb) returns jsonb language plpgsql as $$
    declare
      v_n bigint;
    begin
      perform 1 from ledger_balance where account_id in (p_account, p_expired) order by account_id for no key update;
      select coalesce(sum(remaining), 0) into v_n from ledger_lot where account_id = p_account and remaining > 0 and expires_at <= p_cutoff;
      if v_n = 0 then
        return jsonb_build_object('status', 'nothing');
      end if;
      return ledger_post(p_program, p_key, p_hash, 'expire',
        jsonb_build_array(jsonb_build_object('a', p_account, 'd', -v_n), jsonb_build_object('a', p_expired, 'd', v_n)),
        jsonb_build_object('rule', 'expiry', 'cutoff', p_cutoff), p_actor, null, null, null,
        jsonb_build_array(jsonb_build_object('op', 'consume', 'a', p_account, 'n', v_n, 'due', p_cutoff)));
    end $$;
  `,
};
