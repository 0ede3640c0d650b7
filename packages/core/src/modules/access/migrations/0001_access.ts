import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0001_access',
  up: `
    create table access_user (
      id uuid primary key,
      email text not null unique check (email = lower(email) and position('@' in email) > 1),
      display_name text not null check (length(display_name) between 1 and 200),
      kind text not null check (kind in ('admin', 'partner')),
      partner_id uuid,
      program_ids jsonb,
      roles jsonb not null,
      locale text not null check (locale in ('en', 'pl', 'ru')),
      password_hash text,
      status text not null check (status in ('invited', 'active', 'disabled')),
      created_at timestamptz not null,
      updated_at timestamptz not null,
      last_sign_in_at timestamptz,
      check ((kind = 'partner') = (partner_id is not null))
    );
    create index access_user_partner_idx on access_user (partner_id) where partner_id is not null;

    create table access_session (
      id uuid primary key,
      user_id uuid not null references access_user (id),
      token_hash text not null unique,
      csrf_token text not null,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      last_seen_at timestamptz not null,
      ip text,
      user_agent text,
      revoked_at timestamptz
    );
    create index access_session_user_idx on access_session (user_id) where revoked_at is null;

    create table access_one_time_token (
      id uuid primary key,
      user_id uuid not null references access_user (id),
      purpose text not null check (purpose in ('invitation', 'password-reset')),
      token_hash text not null unique,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz
    );

    create table access_api_key (
      id uuid primary key,
      name text not null check (length(name) between 1 and 100),
      prefix text not null unique,
      secret_hash text not null,
      permissions jsonb not null,
      program_id uuid,
      created_at timestamptz not null,
      created_by jsonb not null,
      last_used_at timestamptz,
      revoked_at timestamptz
    );

    -- Failed sign-ins, counted per e-mail and per IP to slow down password guessing (across replicas).
    create table access_sign_in_failure (
      id bigserial primary key,
      email text not null,
      ip text not null,
      at timestamptz not null default now()
    );
    create index access_sign_in_failure_email_idx on access_sign_in_failure (email, at);
    create index access_sign_in_failure_ip_idx on access_sign_in_failure (ip, at);
  `,
};
