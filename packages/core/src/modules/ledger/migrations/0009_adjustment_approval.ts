import type { Migration } from '@laurel/plugin-sdk';

/**
 * Four eyes on large manual adjustments and reversals. A program's policy sets the approval threshold (points;
 * null means no adjustment needs approval) and how long a request waits before it lapses. A request above the
 * threshold waits for a second admin: approving it posts the entry (under the key `adjustment-request:{id}`) in
 * the same transaction as the status change. Requests are never deleted, and a decided request never changes again.
 */
export const migration: Migration = {
  name: '0009_adjustment_approval',
  up: `
    create table ledger_program_policy (
      program_id uuid primary key,
      approval_threshold bigint check (approval_threshold >= 0),
      adjustment_ttl interval not null default '14 days' check (adjustment_ttl > interval '0'),
      updated_at timestamptz not null default now(),
      updated_by jsonb
    );

    create table ledger_adjustment_request (
      id uuid primary key,
      program_id uuid not null,
      partner_id uuid not null,
      kind text not null check (kind in ('adjustment', 'reversal')),
      points bigint not null check (points <> 0),
      entry_id bigint references ledger_entry (id),
      reason text not null check (length(reason) between 3 and 1000),
      idempotency_key text not null check (length(idempotency_key) between 1 and 200),
      requested_by uuid,
      requested_by_name text,
      requested_at timestamptz not null default now(),
      status text not null default 'pending' check (status in ('pending', 'posted', 'rejected', 'lapsed', 'failed')),
      decided_by uuid,
      decided_by_name text,
      decided_at timestamptz,
      decision_comment text check (length(decision_comment) <= 1000),
      posted_entry_id bigint references ledger_entry (id),
      failure jsonb,
      check (decided_by is null or decided_by <> requested_by),
      check ((kind = 'reversal') = (entry_id is not null)),
      check ((status = 'posted') = (posted_entry_id is not null)),
      check ((status = 'pending') = (decided_at is null)),
      check ((status = 'failed') = (failure is not null)),
      unique (program_id, idempotency_key)
    );
    create index ledger_adjustment_request_pending_idx on ledger_adjustment_request (program_id, requested_at) where status = 'pending';
    create index ledger_adjustment_request_partner_idx on ledger_adjustment_request (partner_id, requested_at desc);
    create index ledger_adjustment_request_status_idx on ledger_adjustment_request (status, requested_at desc, id desc);

    -- Requests are kept for good; once decided (posted, rejected, lapsed, failed) a request never changes.
    create function ledger_adjustment_request_guard() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' and old.status = 'pending' then
        return new;
      end if;
      raise exception 'ledger adjustment requests are kept as decided (% on %)', tg_op, tg_table_name;
    end $$;
    create trigger ledger_adjustment_request_kept before update or delete on ledger_adjustment_request for each row execute function ledger_adjustment_request_guard();
    create trigger ledger_adjustment_request_no_truncate before truncate on ledger_adjustment_request for each statement execute function ledger_adjustment_request_guard();
  `,
};
