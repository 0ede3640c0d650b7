import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0021_sku_mapping',
  up: `
    -- The program's SKU mapping: a seller's item code or a GTIN, for any source, one source or one seller of it, to the
    -- program SKU and category the rules see, valid over [valid_from, valid_to). Retired rows stay (nothing is deleted).
    create table earning_sku_map (
      id uuid primary key,
      program_id uuid not null,
      kind text not null check (kind in ('seller-code', 'gtin')),
      code text not null check (length(code) between 1 and 100),
      source text check (source is null or length(source) between 1 and 100),
      seller text check (seller is null or length(seller) between 1 and 100),
      program_sku text not null check (length(program_sku) between 1 and 100),
      category text check (category is null or length(category) between 1 and 100),
      valid_from timestamptz,
      valid_to timestamptz,
      status text not null check (status in ('active', 'retired')),
      note text check (note is null or length(note) <= 500),
      created_by jsonb not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      check (valid_to is null or valid_from is null or valid_to > valid_from)
    );
    -- The inbox's lookup: every code of a batch joined on (program, kind, code).
    create index earning_sku_map_lookup_idx on earning_sku_map (program_id, kind, code) where status = 'active';
    create index earning_sku_map_list_idx on earning_sku_map (program_id, program_sku, id);

    -- Codes that came in on invoice lines with no mapping: what an admin has left to map.
    create table earning_sku_unmapped (
      id uuid primary key,
      program_id uuid not null,
      source text not null,
      seller text not null default '',
      seller_code text not null default '',
      gtin text not null default '',
      first_seen timestamptz not null,
      last_seen timestamptz not null,
      count bigint not null,
      sample_event_id uuid not null,
      sample_invoice text,
      status text not null check (status in ('open', 'mapped')),
      mapping_id uuid,
      check (seller_code <> '' or gtin <> ''),
      unique (program_id, source, seller, seller_code, gtin)
    );
    create index earning_sku_unmapped_list_idx on earning_sku_unmapped (program_id, status, last_seen desc);
  `,
};
