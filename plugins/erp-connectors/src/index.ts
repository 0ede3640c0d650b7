import { auditTrailRef, definePlugin, earningInboxRef, partnerDirectoryRef } from '@laurel/plugin-sdk';
import { ErpConnectorsConfig, setupWebhooks, withWebhookLocales } from './webhooks/index.ts';
import { documentsPage } from './admin-pages.ts';
import { documentRoutes } from './documents.routes.ts';
import { createDocumentService } from './documents.service.ts';
import { migration as m0001 } from './migrations/0001_documents.ts';
import { migration as m0002wh } from './migrations/0002_webhook_sources.ts';
import { csvRoutes } from './csv/csv.routes.ts';
import { createCsvService } from './csv/csv.service.ts';
import { withCsvLocales } from './csv/locales.ts';
import { csvImportsPage, csvSourcesPage } from './csv/admin-pages.ts';
import { migration as csvMigration } from './csv/migration.ts';
import en from './locales/en.json' with { type: 'json' };
import pl from './locales/pl.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };

declare module '@laurel/plugin-sdk' {
  interface LaurelPermissions {
    /** Send ERP documents (invoices, credit notes, corrections) for earning; for admins and the API keys of ERPs. */
    'erp:write': true;
    /** See received ERP documents, what was read from them and why one was refused. */
    'erp:read': true;
    /** Add webhook sources, change their mappings, rotate their secrets. */
    'erp:webhooks': true;
  }
}

/**
 * ERP connectors: Peppol BIS Billing 3.0 (UBL 2.1) and KSeF FA(3)/FA(2) documents in, checked, kept with what was read
 * from them, and their canonical invoice events sent to the earning inbox.
 */
export default definePlugin({
  id: 'erp-connectors',
  version: '0.1.0',
  compatibility: '^0.1.0',
  dependsOn: ['audit', 'earning', 'partners'],
  config: ErpConnectorsConfig,
  migrations: [m0001, m0002wh, csvMigration],
  setup(ctx) {
    ctx.grant('erp:write', ['admin'], { apiKeys: true });
    ctx.grant('erp:read', ['admin', 'program-manager', 'finance', 'support'], { apiKeys: true });
    ctx.locales(withCsvLocales(withWebhookLocales({ en, pl, ru })));
    setupWebhooks(ctx);
    const documents = createDocumentService({ inbox: ctx.inject(earningInboxRef), partners: ctx.inject(partnerDirectoryRef), audit: ctx.inject(auditTrailRef) });
    ctx.routes(documentRoutes(() => documents));
    // CSV import: sources with their mappings, uploads worked through in the background (src/csv).
    const csv = createCsvService({ inbox: ctx.inject(earningInboxRef), audit: ctx.inject(auditTrailRef) });
    ctx.routes(csvRoutes(() => csv));
    ctx.every('csv-imports', 1000, async (taskCtx) => void (await csv.runPending(taskCtx)));
    ctx.ui.adminPage(csvSourcesPage);
    ctx.ui.adminPage(csvImportsPage);
    ctx.ui.adminPage(documentsPage);
    // A payment or correction refused while its invoice waited (unmatched partner, sent out of order) follows it.
    ctx.on(
      'earning.event.processed',
      async (event, listenerCtx) => {
        if (event.payload.type === 'invoice.issued') await documents.invoiceProcessed(listenerCtx, event.payload.eventId);
      },
      { name: 'resend-waiting-documents' },
    );
  },
});

export { readDocument, DocumentRejection, isDocumentRejection, REJECTION_CODES } from './read.ts';
export type { RejectionCode } from './read.ts';
export type { CanonicalEvent, DocumentReading, DocumentResult, LineReading, PartyReading } from './types.ts';
