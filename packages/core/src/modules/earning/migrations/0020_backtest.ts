import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0020_backtest',
  up: `
    -- A backtest: draft rules over a past period's stored events against the rules in force, computed in the background
    -- (progress in done/total), its result kept. The rules it ran are kept with it (snapshot), as they were asked for.
    create table earning_backtest (
      id uuid primary key,
      program_id uuid not null,
      period_from timestamptz not null,
      period_to timestamptz not null,
      rule_ids jsonb not null,
      snapshot jsonb not null,
      drafts jsonb not null,
      replaced jsonb not null,
      status text not null check (status in ('running', 'done', 'failed')),
      total integer not null,
      done integer not null default 0,
      result jsonb,
      error jsonb,
      started_by jsonb not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      finished_at timestamptz,
      check (period_to > period_from)
    );
    create index earning_backtest_program_idx on earning_backtest (program_id, id);
  `,
};
