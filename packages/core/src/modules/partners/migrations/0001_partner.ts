import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0001_partner',
  up: `
    create table partners_partner (
      id uuid primary key,
      program_id uuid not null,
      partner_code text not null check (partner_code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$'),
      legal_name text not null check (length(legal_name) between 1 and 300),
      country char(2) not null check (country ~ '^[A-Z]{2}$'),
      nip text check (nip ~ '^[0-9]{10}$'),
      regon text check (regon ~ '^([0-9]{9}|[0-9]{14})$'),
      eu_vat text,
      krs text check (krs ~ '^[0-9]{10}$'),
      type text not null check (type in ('distributor', 'wholesaler', 'reseller', 'dealer', 'integrator')),
      sales_channel text,
      region text,
      segments jsonb not null default '[]'::jsonb,
      status text not null check (status in ('applied', 'active', 'suspended', 'closed')),
      status_reason text,
      account_manager_id uuid,
      applicant jsonb,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (program_id, partner_code)
    );
    -- One company per program: the same NIP twice in a program is refused.
    create unique index partners_partner_nip_uq on partners_partner (program_id, nip) where nip is not null;
    create index partners_partner_name_idx on partners_partner (program_id, lower(legal_name), id);
    create index partners_partner_status_idx on partners_partner (program_id, status);

    -- Links between related companies (a capital group), read by fraud checks.
    create table partners_relation (
      partner_id uuid not null references partners_partner (id),
      related_partner_id uuid not null references partners_partner (id),
      kind text not null check (kind in ('capital-group')),
      created_at timestamptz not null,
      primary key (partner_id, related_partner_id),
      check (partner_id <> related_partner_id)
    );
  `,
};
