import type { Migration } from '@laurel/plugin-sdk';

/**
 * The value of points over time: one row per change of a program's point value (or currency), valid from that
 * instant until the next row. Reports value points as of a date with it. Existing programs start with their current
 * value, valid from their creation.
 */
export const migration: Migration = {
  name: '0002_point_value_history',
  up: `
    create table programs_point_value (
      program_id uuid not null references programs_program (id) deferrable initially deferred, -- written in the same flush as the program, in any order
      valid_from timestamptz not null,
      minor_per_thousand bigint not null check (minor_per_thousand > 0),
      currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
      primary key (program_id, valid_from)
    );
    insert into programs_point_value (program_id, valid_from, minor_per_thousand, currency)
    select id, created_at, point_value_minor_per_thousand, currency from programs_program;
  `,
};
