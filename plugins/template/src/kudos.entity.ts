import { defineEntity, p, partnerScoped, programScoped } from '@laurel/plugin-sdk';
import type { KudosLevel } from './hooks.ts';

export const KUDOS_STATUSES = ['awaiting-approval', 'approved', 'granted', 'rejected', 'expired'] as const;
export type KudosStatus = (typeof KUDOS_STATUSES)[number];

/**
 * Kudos given to a partner. Partner-scoped: a partner user's queries see only their own company's rows; program-scoped:
 * an admin limited to some programs sees only theirs. Tables are prefixed with the plugin id.
 */
export const Kudos = defineEntity({
  name: 'TemplateKudos',
  tableName: 'template_kudos',
  filters: { ...partnerScoped('partnerId'), ...programScoped('programId') },
  properties: {
    id: p.uuid().primary(),
    programId: p.uuid(),
    partnerId: p.uuid(),
    message: p.string(),
    level: p.string().$type<KudosLevel>(),
    status: p.string().$type<KudosStatus>(),
    givenBy: p.json<Record<string, unknown>>(),
    /** Set once by the `count` listener: the kudos are on the leaderboard. */
    countedAt: p.datetime().nullable(),
    /** The earning event that carried the kudos to the program's rules, and the points they gave. */
    earningEventId: p.uuid().nullable(),
    points: p.integer().nullable(),
    decisionReason: p.string().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});

/** How many kudos each partner has: kept by the listener, recounted by the scheduled task. */
export const Tally = defineEntity({
  name: 'TemplateTally',
  tableName: 'template_tally',
  filters: { ...partnerScoped('partnerId'), ...programScoped('programId') },
  properties: {
    partnerId: p.uuid().primary(),
    programId: p.uuid(),
    kudos: p.integer(),
    updatedAt: p.datetime(),
  },
});
