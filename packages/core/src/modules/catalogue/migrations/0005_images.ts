import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0005_images',
  up: `
    -- Images of a reward, in PostgreSQL (the platform has no other storage): PNG, JPEG or WebP as checked by their first
    -- bytes, at most 5 MiB each, in the order the admin gives them, with alternative text per language. Served by their
    -- content hash, so a URL's bytes never change (cached as immutable).
    create table catalogue_reward_image (
      id uuid primary key,
      reward_id uuid not null references catalogue_reward (id) on delete cascade,
      position integer not null,
      content_type text not null check (content_type in ('image/png', 'image/jpeg', 'image/webp')),
      bytes bytea not null,
      size integer not null check (size > 0 and size <= 5242880),
      sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
      alt jsonb not null default '{}',
      created_at timestamptz not null default now(),
      unique (reward_id, sha256)
    );
    create index catalogue_reward_image_reward on catalogue_reward_image (reward_id, position);
    create index catalogue_reward_image_sha256 on catalogue_reward_image (sha256);
  `,
};
