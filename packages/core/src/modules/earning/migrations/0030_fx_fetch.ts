import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0030_fx_fetch',
  up: `
    -- The scheduled fetch of exchange rates: one row per configured source and UTC day, so a day's fetch is done once
    -- (across replicas: an attempt claims the row) and retried until it succeeds or runs out of attempts.
    create table earning_fx_fetch (
      source text not null,
      fetch_date date not null,
      url text not null,
      status text not null check (status in ('pending', 'running', 'succeeded', 'retrying', 'failed')),
      attempts integer not null default 0,
      next_attempt_at timestamptz not null,
      last_error text,
      imported integer,
      rate_dates jsonb,
      started_at timestamptz,
      finished_at timestamptz,
      updated_at timestamptz not null,
      primary key (source, fetch_date)
    );
  `,
};
