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
export { MigrationError, runMigrations } from './platform/migrations.ts';
export type { MigrationReport } from './platform/migrations.ts';
export { createTemporalGateway, temporalGatewayRef } from './platform/temporal.ts';
export type { TemporalGateway, TemporalStatus } from './platform/temporal.ts';
export type { DrainResult, OutboxDispatcher } from './platform/outbox.ts';
export { CORE_VERSION } from './version.ts';
export { coreModules } from './modules/index.ts';
export { auditServiceRef } from './modules/audit/index.ts';
export type { AuditEntry, AuditEntryInput, AuditService } from './modules/audit/index.ts';
export { APPROVAL_DECIDE_SIGNAL, APPROVAL_WORKFLOW_TYPE, approvalServiceRef, approvalWorkflowId } from './modules/system/index.ts';
export type { ApprovalDecisionSignal, ApprovalOutcome, ApprovalService, ApprovalView, ApprovalWorkflowInput } from './modules/system/index.ts';
export { freePort } from './platform/ports.ts';
