import type { Migration } from '@laurel/plugin-sdk';

/**
 * CSV import: sources (one per sending system and program, with the column mapping its files are read with), imports
 * (an uploaded file, the mapping it is read with, its progress and totals; worked through in the background) and
 * the validation report of each import (a problem per row and column, the rejected invoices, the inbox's refusals).
 */
export const migration: Migration = {
  name: '0003_csv_imports',
  up: `
    create table erp_csv_source (
      id uuid primary key default uuidv7(),
      program_id uuid not null,
      code text not null unique,
      name text not null,
      mapping jsonb not null,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index erp_csv_source_program_idx on erp_csv_source (program_id, code);

    create table erp_csv_import (
      id uuid primary key default uuidv7(),
      source_id uuid not null references erp_csv_source (id),
      program_id uuid not null,
      kind text not null check (kind in ('invoices', 'payments')),
      status text not null check (status in ('queued', 'reading', 'posting', 'done', 'failed')),
      file_name text,
      raw bytea not null,
      raw_sha256 text not null,
      bytes integer not null,
      mapping jsonb not null,
      rows_total integer,
      rows_read integer not null default 0,
      rows_rejected integer not null default 0,
      invoices_valid integer not null default 0,
      invoices_rejected integer not null default 0,
      events_total integer not null default 0,
      events_sent integer not null default 0,
      events_posted integer not null default 0,
      events_replayed integer not null default 0,
      events_refused integer not null default 0,
      problems integer not null default 0,
      failure jsonb,
      attempts integer not null default 0,
      lease_until timestamptz,
      uploaded_by jsonb not null,
      started_at timestamptz,
      finished_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index erp_csv_import_source_idx on erp_csv_import (source_id, id desc);
    create index erp_csv_import_pending_idx on erp_csv_import (id) where status in ('queued', 'reading', 'posting');

    create table erp_csv_import_problem (
      import_id uuid not null references erp_csv_import (id),
      seq integer not null,
      row_number integer,
      column_name text,
      column_number integer,
      invoice_number text,
      code text not null,
      params jsonb not null default '{}',
      primary key (import_id, seq)
    );
  `,
};
