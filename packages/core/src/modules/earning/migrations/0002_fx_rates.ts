import type { Migration } from '@laurel/plugin-sdk';

export const migration: Migration = {
  name: '0002_fx_rates',
  up: `
    -- Exchange rates: 1 unit of currency = numerator / denominator units of quote on rate_date, exact (integers, never
    -- floats). An invoice in another currency is converted at the latest rate on or before its date.
    create table earning_fx_rate (
      currency text not null check (currency ~ '^[A-Z]{3}$'),
      quote text not null check (quote ~ '^[A-Z]{3}$' and quote <> currency),
      rate_date date not null,
      numerator numeric(60, 0) not null check (numerator > 0),
      denominator numeric(60, 0) not null check (denominator > 0),
      source text not null check (length(source) between 1 and 100),
      imported_by jsonb not null,
      imported_at timestamptz not null,
      primary key (currency, quote, rate_date)
    );
  `,
};
