import type { Migration } from '@laurel/plugin-sdk';

/**
 * The document-number guardrail looks for the same invoice number credited to another partner of the program on
 * every invoice: an index probe, not a scan of every event ever received.
 */
export const migration: Migration = {
  name: '0004_invoice_number_idx',
  up: `
    create index earning_event_invoice_number_idx on earning_event (program_id, (payload->>'number')) where type = 'invoice.issued';
  `,
};
