import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0002_import',
  up: `
    create table partners_import (
      id uuid primary key,
      program_id uuid not null,
      status text not null check (status in ('running', 'done', 'failed')),
      total integer not null check (total >= 0),
      processed integer not null default 0,
      created integer not null default 0,
      skipped integer not null default 0,
      rows jsonb not null,
      problems jsonb not null default '[]'::jsonb,
      created_by jsonb not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      finished_at timestamptz,
      failure text
    );
  `,
};
