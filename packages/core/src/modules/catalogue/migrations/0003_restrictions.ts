import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0003_restrictions',
  up: `
    -- Who may order a reward. labels: only partners whose tier's catalogue benefit lists one of them (empty: every
    -- tier); segments: only partners in one of these segments (empty: every partner).
    alter table catalogue_reward add column labels text[] not null default '{}';
    alter table catalogue_reward add column segments text[] not null default '{}';
  `,
};
