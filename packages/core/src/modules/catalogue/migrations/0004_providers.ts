import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0004_providers',
  up: `
    -- Fulfilment providers are a registry plugins extend: a reward names any provider id (checked by the service
    -- against the providers registered), with its settings for that provider.
    alter table catalogue_reward drop constraint catalogue_reward_fulfilment_check;
    alter table catalogue_reward add constraint catalogue_reward_fulfilment_check check (fulfilment ~ '^[a-z][a-z0-9-]{0,39}(\\.[a-z0-9][a-z0-9-]{0,39})?$');
    alter table catalogue_reward add column fulfilment_settings jsonb not null default '{}';
  `,
};
