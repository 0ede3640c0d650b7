/**
 * Child process of the crash test: posts the test's 10,000 earns (idempotent keys) one by one with 8 workers,
 * printing progress, until the parent kills it with SIGKILL. Arguments: database URL, JSON list of partner ids.
 */
import { ledgerServiceRef } from '@laurel/core';
import { startTestApp } from '@laurel/core/testing';
import { CRASH_ENTRIES, crashEntry } from './ledger.crash-plan.ts';

const [databaseUrl, partnersJson] = process.argv.slice(2);
const partners = JSON.parse(partnersJson!) as string[];
const t = await startTestApp({ databaseUrl: databaseUrl!, env: { LAUREL_DB_POOL_SIZE: '10' } });
const ledger = t.host.service(ledgerServiceRef);
let next = 0;
let done = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    for (;;) {
      const i = next++;
      if (i >= CRASH_ENTRIES) return;
      const entry = crashEntry(i, partners);
      const ctx = t.host.createContext({ requestId: `crash-${i}`, locale: 'en', actor: { kind: 'system', name: 'crash-child' }, em: t.orm.em.fork({ useContext: true }) as never, log: t.app.log });
      await ledger.earn(ctx, entry);
      done += 1;
      if (done % 500 === 0) process.stdout.write(`posted ${done}\n`);
    }
  }),
);
process.stdout.write('finished\n');
await t.close();
