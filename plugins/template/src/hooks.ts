/**
 * What the plugin adds to Laurel's typed registries: its permissions, events and filters. Augmenting the SDK's
 * interfaces makes a misspelt name or a wrong payload a compile error — in this plugin and in any plugin that
 * listens to these events.
 */
export const KUDOS_LEVELS = ['thanks', 'great', 'outstanding'] as const;
export type KudosLevel = (typeof KUDOS_LEVELS)[number];

export interface KudosGivenPayload {
  kudosId: string;
  partnerId: string;
  programId: string;
  level: KudosLevel;
  needsApproval: boolean;
}

export interface KudosDraft {
  partnerId: string;
  message: string;
  level: KudosLevel;
}

declare module '@laurel/plugin-sdk' {
  interface LaurelPermissions {
    /** Give kudos to partners and decide the ones that need approval. */
    'template:write': true;
    /** Read kudos: staff see all, partner users their own company's. */
    'template:read': true;
  }
  interface LaurelEvents {
    /** Kudos were given (committed with the kudos row). */
    'template.kudos.given': KudosGivenPayload;
    /** The kudos were sent to the earning inbox as a `custom.kudos` event; `points` is what the program's rules gave. */
    'template.kudos.granted': { kudosId: string; partnerId: string; points: number; earningEventId: string };
  }
  interface LaurelFilters {
    /** Change or veto kudos before they are stored (runs in the caller's transaction; throw an AppError to veto). */
    'template.kudos.validate': { value: KudosDraft };
  }
}
