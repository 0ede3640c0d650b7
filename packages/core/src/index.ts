/**
 * @laurel/core — the Laurel server. Its public surface: the app factory, configuration, migrations,
 * and the core modules' public service interfaces.
 */
export { buildApp, requestLocale, LOCALE_COOKIE } from './app.ts';
export type { BuildAppOptions, LaurelApp } from './app.ts';
export { ConfigError, describeSettings, loadConfig } from './config/config.ts';
export type { LaurelConfig } from './config/config.ts';
export { PluginError, resolvePlugins } from './platform/host.ts';
export type { PluginHost } from './platform/host.ts';
export { MigrationError, assertMigrated, pendingMigrations, runMigrations } from './platform/migrations.ts';
export type { MigrationReport } from './platform/migrations.ts';
export { createTemporalGateway, temporalGatewayRef } from './platform/temporal.ts';
export type { TemporalGateway, TemporalStatus, WorkflowRunState } from './platform/temporal.ts';
export type { DrainResult, OutboxDispatcher } from './platform/outbox.ts';
export { CORE_VERSION } from './version.ts';
export { coreModules } from './modules/index.ts';
export { auditServiceRef } from './modules/audit/index.ts';
export type { AuditEntry, AuditEntryInput, AuditService } from './modules/audit/index.ts';
export { APPROVAL_DECIDE_SIGNAL, APPROVAL_WORKFLOW_TYPE, approvalServiceRef, approvalWorkflowId } from './modules/system/index.ts';
export type { ApprovalDecisionSignal, ApprovalOutcome, ApprovalService, ApprovalView, ApprovalWorkflowInput } from './modules/system/index.ts';
export { freePort } from './platform/ports.ts';
export { MAIL_TEMPLATES, mailServiceRef } from './modules/mail/index.ts';
export type {
  CaughtMail,
  CaughtMailbox,
  InvitationMailParams,
  MailMessage,
  MailRequestedPayload,
  MailService,
  PasswordResetMailParams,
} from './modules/mail/index.ts';
export { accessServiceRef } from './modules/access/index.ts';
export type { AccessService, ApiKeyView, UserView } from './modules/access/index.ts';
export { CSRF_HEADER, SESSION_COOKIE, authenticatorRef } from './platform/auth.ts';
export { DEMO_ADMIN_EMAIL, DEMO_PASSWORD, DEMO_PROGRAM_CODE, demoPartnerEmail } from './modules/demo.ts';
export { ledgerServiceRef } from './modules/ledger/index.ts';
export type { Balances, EntryResult, LedgerService, StatementLine } from './modules/ledger/index.ts';
export { verifyLedger } from './modules/ledger/index.ts';
export type { VerifyProblem, VerifyReport } from './modules/ledger/index.ts';
export { sealLedger } from './modules/ledger/index.ts';
export { earningServiceRef } from './modules/earning/index.ts';
export type { EarningService, EventOutcome, RuleView } from './modules/earning/index.ts';
export { REDEMPTION_SIGNALS, REDEMPTION_WORKFLOW_TYPE, catalogueServiceRef, catalogueSettingsRef, orderLedgerKey, redemptionWorkflowId } from './modules/catalogue/index.ts';
export type { CatalogueService, CatalogueSettings, Fulfilment, OfferItem, OrderStatus, OrderView, RedemptionWorkflowInput, RewardType, RewardView } from './modules/catalogue/index.ts';
export { WEBHOOK_EVENT_TYPES, signWebhook, verifyWebhook, webhookServiceRef } from './modules/webhooks/index.ts';
export type { AttemptView, DeliveryView, SubscriptionView, WebhookEventType, WebhookService } from './modules/webhooks/index.ts';
