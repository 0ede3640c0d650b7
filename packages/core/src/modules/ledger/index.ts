import { definePlugin } from '@laurel/plugin-sdk';
import { CORE_VERSION } from '../../version.ts';
import { accessServiceRef } from '../access/index.ts';
import { auditServiceRef } from '../audit/index.ts';
import { partnerServiceRef } from '../partners/index.ts';
import { programServiceRef } from '../programs/index.ts';
import { DEMO_PROGRAM_CODE } from '../demo.ts';
import { LedgerAccount } from './ledger.entity.ts';
import { ledgerRoutes } from './ledger.routes.ts';
import { LedgerAdjustmentRequest } from './ledger.approvals.entity.ts';
import { createLedgerApprovals, ledgerApprovalsRef } from './ledger.approvals.ts';
import { ledgerApprovalRoutes } from './ledger.approvals.routes.ts';
import { createLedgerReports, ledgerReportsRef } from './ledger.reports.ts';
import { ledgerReportRoutes } from './ledger.reports.routes.ts';
import { createLedgerService, ledgerServiceRef } from './ledger.service.ts';
import { migration as m0001 } from './migrations/0001_ledger.ts';
import { migration as m0002 } from './migrations/0002_seal.ts';
import { migration as m0003 } from './migrations/0003_batch.ts';
import { migration as m0004 } from './migrations/0004_shards.ts';
import { migration as m0005 } from './migrations/0005_earn_batch.ts';
import { migration as m0006 } from './migrations/0006_earn_batch_first.ts';
import { migration as m0007 } from './migrations/0007_lots_holds.ts';
import { migration as m0008 } from './migrations/0008_earn_batch_lots.ts';
import { migration as m0009 } from './migrations/0009_adjustment_approval.ts';
import { migration as m0010 } from './migrations/0010_earn_fast.ts';
import { migration as m0011 } from './migrations/0011_earn_group.ts';
import { migration as m0012 } from './migrations/0012_earn_group_programs.ts';
import { migration as m0013 } from './migrations/0013_posting_without_fks.ts';
import { migration as m0014 } from './migrations/0014_earn_batch_analyze.ts';
import { migration as m0015 } from './migrations/0015_earn_batch_cte.ts';
import { migration as m0016 } from './migrations/0016_seal_v2.ts';
import { sealLedger } from './ledger.seal.ts';
import en from './locales/en.json' with { type: 'json' };
import pl from './locales/pl.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };

declare module '@laurel/plugin-sdk' {
  interface LaurelPermissions {
    /** Read any partner's balances and statement. */
    'ledger:read': true;
    /** A partner user's: read their own company's balances and statement. */
    'ledger:read-own': true;
    /** Manual adjustments and reversals. */
    'ledger:adjust': true;
    /** Approve or reject another admin's adjustment or reversal above the program's threshold (four eyes). */
    'ledger:approve': true;
    /** The program's points liability and its money value (reports). */
    'ledger:liability': true;
  }
}

/** Core module `ledger`: the double-entry points ledger (walking skeleton: accounts, entries, guarded balances). */
export const ledgerModule = definePlugin({
  id: 'ledger',
  version: CORE_VERSION,
  compatibility: `^${CORE_VERSION}`,
  dependsOn: ['audit', 'access', 'partners', 'programs'],
  entities: [LedgerAccount, LedgerAdjustmentRequest],
  migrations: [m0001, m0002, m0003, m0004, m0005, m0006, m0007, m0008, m0009, m0010, m0011, m0012, m0013, m0014, m0015, m0016],
  setup(ctx) {
    ctx.grant('ledger:read', ['admin', 'program-manager', 'finance', 'support'], { apiKeys: true });
    ctx.grant('ledger:read-own', ['partner-admin', 'partner-user']);
    ctx.grant('ledger:adjust', ['admin', 'finance']);
    ctx.grant('ledger:approve', ['admin', 'finance']);
    ctx.grant('ledger:liability', ['admin', 'finance', 'program-manager']);
    ctx.locales({ en, pl, ru });
    const ledger = createLedgerService({ partners: ctx.inject(partnerServiceRef), access: ctx.inject(accessServiceRef), programs: ctx.inject(programServiceRef), audit: ctx.inject(auditServiceRef) });
    ctx.provide(ledgerServiceRef, ledger);
    const approvals = createLedgerApprovals({ ledger: () => ledger, partners: ctx.inject(partnerServiceRef), programs: ctx.inject(programServiceRef), audit: ctx.inject(auditServiceRef) });
    ctx.provide(ledgerApprovalsRef, approvals);
    ctx.routes(ledgerRoutes(() => ledger, () => approvals));
    ctx.routes(ledgerApprovalRoutes(() => approvals));
    const reports = createLedgerReports({ partners: ctx.inject(partnerServiceRef), programs: ctx.inject(programServiceRef) });
    ctx.provide(ledgerReportsRef, reports);
    ctx.routes(ledgerReportRoutes(() => reports));
    // Extend the per-program hash chain over newly committed entries, about once a second.
    ctx.every('seal', 1000, async (taskCtx) => {
      await sealLedger(taskCtx.em);
    });
    // Demo points: each demo partner has earned over two years, so the portal shows lots expiring soon, an expiry
    // that already happened, a redemption and points pending on an unpaid invoice. Idempotent: every key replays.
    const programsOf = ctx.inject(programServiceRef);
    const partnersOf = ctx.inject(partnerServiceRef);
    ctx.seed(async (seedCtx) => {
      const program = await programsOf().findByCode(seedCtx, DEMO_PROGRAM_CODE);
      if (!program) return;
      const partners = (await partnersOf().list(seedCtx, { programId: program.id, limit: 50 })).items;
      const MONTH = 30 * 86_400_000;
      // Dated from the program's creation, so that seeding again replays every entry exactly.
      const anchor = new Date(program.createdAt).getTime();
      for (const [i, partner] of partners.entries()) {
        const earn = (key: string, points: number, monthsAgo: number, invoice: string, pending = false) =>
          ledger.earn(seedCtx, { partnerId: partner.id, points, idempotencyKey: `demo:${i}:${key}`, pending, earnedAt: new Date(anchor - monthsAgo * MONTH), explanation: { rule: 'demo: 1 pt per 10 PLN net', invoice, line: 1 } });
        await earn('old', 300 + i * 10, 26, `FV/${2024}/${100 + i}`);
        await earn('expiring', 1200 + i * 50, 23, `FV/${2025}/${200 + i}`);
        await earn('recent', 2500 + i * 100, 6, `FV/${2026}/${300 + i}`);
        await earn('unpaid', 400 + i * 20, 0, `FV/${2026}/${900 + i}`, true);
        await ledger.expireLots(seedCtx);
        const hold = await ledger.reserve(seedCtx, { partnerId: partner.id, points: 500, idempotencyKey: `demo:${i}:order`, explanation: { order: `DEMO-${1000 + i}`, reward: 'Wireless headphones' } });
        await ledger.capture(seedCtx, { holdId: hold.entryId, idempotencyKey: `demo:${i}:order-delivered`, explanation: { order: `DEMO-${1000 + i}` } });
      }
    });
    // Backstops: release holds past their expiry, and expire the lots that are due (both idempotent and safe to
    // run on every server at once; each wallet is handled under its own lock).
    ctx.every('expire-holds', 60_000, async (taskCtx) => {
      await ledger.expireHolds(taskCtx);
    });
    ctx.every('expire-lots', 60_000, async (taskCtx) => {
      await ledger.expireLots(taskCtx);
    });
  },
});

export { ledgerServiceRef };
export { ledgerApprovalsRef };
export { ledgerReportsRef };
export type { BalancesAsOf, Liability, LedgerReports, StatementFilters } from './ledger.reports.ts';
export type { AdjustmentRequestView, LedgerApprovals, LedgerPolicy } from './ledger.approvals.ts';
export type { Balances, EntryResult, Hold, LedgerService, Lot, StatementLine } from './ledger.service.ts';
export { verifyLedger } from './ledger.verify.ts';
export type { VerifyProblem, VerifyReport } from './ledger.verify.ts';
export { sealLedger } from './ledger.seal.ts';
