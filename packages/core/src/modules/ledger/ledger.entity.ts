import { defineEntity, p, partnerScoped, programScoped } from '@laurel/plugin-sdk';

/** Read model of ledger accounts; scoped so that partner users reach only their own wallets. */
export const LedgerAccount = defineEntity({
  name: 'LedgerAccount',
  tableName: 'ledger_account',
  filters: { ...partnerScoped('partnerId'), ...programScoped('programId') },
  properties: {
    id: p.bigint('number').primary(),
    programId: p.uuid(),
    holder: p.string().$type<'program' | 'partner' | 'rep'>(),
    partnerId: p.uuid().nullable(),
    userId: p.uuid().nullable(),
    code: p.string(),
    unit: p.string(),
    guarded: p.boolean(),
    createdAt: p.datetime(),
  },
});
