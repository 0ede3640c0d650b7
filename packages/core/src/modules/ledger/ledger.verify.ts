import type { EntityManager } from '@mikro-orm/postgresql';

export interface VerifyProblem {
  check: 'entry-balances' | 'balance-row' | 'guard' | 'running-balance' | 'hash-chain' | 'lots' | 'holds' | 'references';
  detail: string;
}

export interface VerifyReport {
  /** Entries covered by the hash chain (the rest are newer than the last seal). */
  sealed: number;
  entries: number;
  postings: number;
  accounts: number;
  problems: VerifyProblem[];
}

/**
 * Recompute the ledger's invariants from the journal: every entry balances per unit, every balance row equals
 * the sum of its postings, no guarded account is below zero, and every posting's balance-after is the running
 * sum; every lot's remaining amount follows from its uses, an available balance is the sum of its open lots, and
 * a reserved balance is the sum of its open holds. Reports each broken rule with the first offending entry or account.
 */
export async function verifyLedger(em: EntityManager, programId?: string): Promise<VerifyReport> {
  const scope = programId ? 'and a.program_id = ?' : '';
  const params = programId ? [programId] : [];
  const [counts] = await em.execute<{ entries: string; postings: string; accounts: string }[]>(
    `select (select count(*) from ledger_entry e where true ${programId ? 'and e.program_id = ?' : ''})::text as entries,
            (select count(*) from ledger_posting p join ledger_account a on a.id = p.account_id where true ${scope})::text as postings,
            (select count(*) from ledger_account a where true ${scope})::text as accounts`,
    [...params, ...params, ...params],
  );
  const problems: VerifyProblem[] = [];
  const unbalanced = await em.execute<{ entry_id: string; unit: string; sum: string }[]>(
    `select p.entry_id::text, a.unit, sum(p.amount)::text as sum from ledger_posting p join ledger_account a on a.id = p.account_id
      where true ${scope} group by p.entry_id, a.unit having sum(p.amount) <> 0 order by p.entry_id limit 20`,
    params,
  );
  for (const r of unbalanced) problems.push({ check: 'entry-balances', detail: `entry ${r.entry_id} sums to ${r.sum} ${r.unit}` });
  const mismatched = await em.execute<{ account_id: string; balance: string; sum: string }[]>(
    `select b.account_id::text, b.balance::text, coalesce(x.s, 0)::text as sum
       from ledger_balance b join ledger_account a on a.id = b.account_id
       left join (select account_id, sum(amount) as s from ledger_posting group by account_id) x on x.account_id = b.account_id
      where b.balance <> coalesce(x.s, 0) ${scope} order by b.account_id limit 20`,
    params,
  );
  for (const r of mismatched) problems.push({ check: 'balance-row', detail: `account ${r.account_id} holds ${r.balance} but its postings sum to ${r.sum}` });
  const negative = await em.execute<{ account_id: string; balance: string }[]>(
    `select b.account_id::text, b.balance::text from ledger_balance b join ledger_account a on a.id = b.account_id where b.guarded and b.balance < 0 ${scope} limit 20`,
    params,
  );
  for (const r of negative) problems.push({ check: 'guard', detail: `guarded account ${r.account_id} is at ${r.balance}` });
  const running = await em.execute<{ account_id: string; entry_id: string; balance_after: string; s: string }[]>(
    `select account_id::text, entry_id::text, balance_after::text, s::text from (
        select p.account_id, p.entry_id, p.balance_after, sum(p.amount) over (partition by p.account_id order by p.entry_id) as s
          from ledger_posting p join ledger_account a on a.id = p.account_id where true ${scope}) x
      where balance_after <> s order by entry_id limit 20`,
    params,
  );
  for (const r of running) problems.push({ check: 'running-balance', detail: `entry ${r.entry_id} says account ${r.account_id} was at ${r.balance_after}, the postings say ${r.s}` });
  // Postings carry no foreign keys (the posting functions prove their references): check them here.
  const orphans = await em.execute<{ entry_id: string; account_id: string }[]>(
    `select p.entry_id::text, p.account_id::text from ledger_posting p
      where not exists (select 1 from ledger_entry e where e.id = p.entry_id) or not exists (select 1 from ledger_account a where a.id = p.account_id)
      order by p.entry_id limit 20`,
  );
  for (const r of orphans) problems.push({ check: 'references', detail: `a posting of entry ${r.entry_id} on account ${r.account_id} refers to an entry or account that does not exist` });
  const lots = await em.execute<{ account_id: string; entry_id: string; remaining: string; expected: string }[]>(
    `select l.account_id::text, l.entry_id::text, l.remaining::text, (l.amount - coalesce(u.s, 0))::text as expected
       from ledger_lot l join ledger_account a on a.id = l.account_id
       left join (select account_id, lot_entry_id, sum(amount) as s from ledger_lot_use group by 1, 2) u on u.account_id = l.account_id and u.lot_entry_id = l.entry_id
      where l.remaining <> l.amount - coalesce(u.s, 0) ${scope} order by l.entry_id limit 20`,
    params,
  );
  for (const r of lots) problems.push({ check: 'lots', detail: `the lot of entry ${r.entry_id} on account ${r.account_id} shows ${r.remaining} remaining, its uses say ${r.expected}` });
  const available = await em.execute<{ account_id: string; balance: string; s: string }[]>(
    `select b.account_id::text, b.balance::text, coalesce(l.s, 0)::text as s
       from ledger_balance b join ledger_account a on a.id = b.account_id
       left join (select account_id, sum(remaining) as s from ledger_lot group by account_id) l on l.account_id = b.account_id
      where a.code = 'available' and b.balance <> coalesce(l.s, 0) ${scope} order by b.account_id limit 20`,
    params,
  );
  for (const r of available) problems.push({ check: 'lots', detail: `account ${r.account_id} holds ${r.balance} available but its open lots sum to ${r.s}` });
  const holds = await em.execute<{ account_id: string; balance: string; s: string }[]>(
    `select b.account_id::text, b.balance::text, coalesce(h.s, 0)::text as s
       from ledger_balance b join ledger_account a on a.id = b.account_id
       left join (select reserved_account_id as account_id, sum(amount) as s from ledger_hold where state = 'open' group by 1) h on h.account_id = b.account_id
      where a.code = 'reserved' and b.balance <> coalesce(h.s, 0) ${scope} order by b.account_id limit 20`,
    params,
  );
  for (const r of holds) problems.push({ check: 'holds', detail: `account ${r.account_id} holds ${r.balance} reserved but its open holds sum to ${r.s}` });
  const programFilter = programId ? 'where s.program_id = ?' : '';
  const broken = await em.execute<{ entry_id: string; program_id: string }[]>(
    `select entry_id::text, program_id from (
        select s.entry_id, s.program_id, s.hash,
               sha256(coalesce(lag(s.hash) over (partition by s.program_id order by s.entry_id), ''::bytea) || ledger_seal_digest(s.entry_id, s.digest_version)) as expected
          from ledger_seal s ${programFilter}) x
      where hash is distinct from expected order by entry_id limit 20`,
    params,
  );
  for (const r of broken) problems.push({ check: 'hash-chain', detail: `entry ${r.entry_id} of program ${r.program_id} no longer matches its seal: it was altered after it was posted` });
  const unsealed = await em.execute<{ id: string }[]>(
    `select e.id::text from ledger_entry e where e.id <= (select coalesce(max(entry_id), 0) from ledger_seal) ${programId ? 'and e.program_id = ?' : ''}
        and not exists (select 1 from ledger_seal s where s.entry_id = e.id) order by e.id limit 20`,
    params,
  );
  for (const r of unsealed) problems.push({ check: 'hash-chain', detail: `entry ${r.id} lies inside the sealed range but is not in the chain: it was inserted afterwards` });
  const [sealedCount] = await em.execute<{ n: string }[]>(`select count(*)::text as n from ledger_seal s ${programFilter}`, params);
  return { sealed: Number(sealedCount?.n ?? 0), entries: Number(counts?.entries ?? 0), postings: Number(counts?.postings ?? 0), accounts: Number(counts?.accounts ?? 0), problems };
}
