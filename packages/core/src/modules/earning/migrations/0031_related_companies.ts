import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0031_related_companies',
  up: `
    -- Companies a partner is related to (owner, subsidiary, sister company …), declared by the partner's profile or an
    -- admin, by one identifier: an invoice a partner issues to one of them goes to the review queue.
    create table earning_related_company (
      id uuid primary key,
      program_id uuid not null,
      partner_id uuid not null,
      kind text not null check (kind in ('nip', 'euVat', 'regon')),
      identifier text not null,
      name text not null,
      note text,
      created_by jsonb not null,
      created_at timestamptz not null,
      unique (partner_id, kind, identifier)
    );
    create index earning_related_company_lookup_idx on earning_related_company (program_id, kind, identifier);
  `,
};
