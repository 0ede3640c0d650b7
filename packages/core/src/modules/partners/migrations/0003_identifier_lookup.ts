import type { Migration } from '@laurel/plugin-sdk';

/** Finding a partner by REGON or EU VAT number (events from ERPs name partners by them) is an index probe. */
export const migration: Migration = {
  name: '0003_identifier_lookup',
  up: `
    create index partners_partner_regon_idx on partners_partner (program_id, regon) where regon is not null;
    create index partners_partner_eu_vat_idx on partners_partner (program_id, eu_vat) where eu_vat is not null;
  `,
};
