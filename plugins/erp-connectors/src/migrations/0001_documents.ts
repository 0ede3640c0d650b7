import type { Migration } from '@laurel/plugin-sdk';

/**
 * Documents received from ERPs: the raw bytes as they came, what was read from them (the reading, the canonical
 * events, notes), what the earning inbox answered for each event, or why the document was refused. A document key
 * (kind, seller, buyer, number) is taken once per source: a second document under it is kept as a duplicate and
 * posts nothing.
 */
export const migration: Migration = {
  name: '0001_documents',
  up: `
    create table erp_document (
      id uuid primary key default uuidv7(),
      source text not null,
      program_id uuid,
      status text not null check (status in ('posted', 'refused', 'rejected', 'duplicate')),
      format text,
      kind text,
      number text,
      seller_key text,
      buyer_key text,
      document_key text,
      partner_id uuid,
      raw bytea not null,
      raw_sha256 text not null,
      file_name text,
      content_type text,
      reading jsonb,
      events jsonb not null default '[]',
      notes jsonb not null default '[]',
      outcomes jsonb,
      rejection jsonb,
      duplicate_of uuid references erp_document (id),
      received_by jsonb not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index erp_document_key_uq on erp_document (source, document_key) where status in ('posted', 'refused');
    create index erp_document_list_idx on erp_document (id desc);
    create index erp_document_status_idx on erp_document (status, id desc);
  `,
};
