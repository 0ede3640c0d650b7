import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Seal the journal up to the newest entry id that is final. Entry ids come from a sequence inside the posting
 * transaction, after that transaction has taken row locks (so it already has a transaction id). Reading the
 * sequence first and a snapshot second, then waiting until every transaction in that snapshot has ended, makes
 * "every id up to the one read is committed or rolled back" exact; only then is the chain extended to it.
 */
export async function sealLedger(em: EntityManager, options: { waitMs?: number } = {}): Promise<{ sealedThrough: number; sealed: number }> {
  const [head] = await em.execute<{ h: string | null }[]>(`select case when is_called then last_value end::text as h from ledger_entry_id_seq`);
  const through = Number(head?.h ?? 0);
  if (through === 0) return { sealedThrough: 0, sealed: 0 };
  const [snap] = await em.execute<{ s: string }[]>(`select pg_current_snapshot()::text as s`);
  const deadline = Date.now() + (options.waitMs ?? 30_000);
  for (;;) {
    const [busy] = await em.execute<{ n: string }[]>(`select count(*)::text as n from pg_snapshot_xip(?::pg_snapshot) as x where pg_xact_status(x) = 'in progress'`, [snap!.s]);
    if (Number(busy?.n ?? 0) === 0) break;
    if (Date.now() > deadline) return { sealedThrough: 0, sealed: 0 };
    await new Promise((r) => setTimeout(r, 5));
  }
  const [done] = await em.execute<{ n: number }[]>(`select ledger_seal_through(?) as n`, [through]);
  return { sealedThrough: through, sealed: Number(done?.n ?? 0) };
}
