import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0001_program',
  up: `
    create table programs_program (
      id uuid primary key,
      code text not null unique check (code ~ '^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$'),
      name jsonb not null,
      currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
      point_value_minor_per_thousand bigint not null check (point_value_minor_per_thousand > 0),
      time_zone text not null,
      default_locale text not null check (default_locale in ('en', 'pl', 'ru')),
      status text not null check (status in ('draft', 'pilot', 'live', 'closed')),
      pilot_partner_ids jsonb not null default '[]'::jsonb,
      expiry_policy jsonb not null,
      rep_split_policy jsonb not null,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );
  `,
};
