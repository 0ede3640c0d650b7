/**
 * @laurel/plugin-sdk — the only package a Laurel plugin (and a core module) imports.
 */
export { AppError, isAppError } from './errors.ts';
export type { AppErrorOptions, FieldProblem } from './errors.ts';
export type {
  DeliveredEvent,
  EarningEventProcessed,
  EventName,
  EventPayload,
  FilterName,
  FilterValue,
  LaurelEvents,
  LaurelFilters,
  ListenerOptions,
} from './hooks.ts';
export { ADMIN_ROLES, LOCALES, PARTNER_ROLES, describeActor, hasPermission } from './context.ts';
export type { RouteAccess } from './fastify.ts';
export type {
  Actor,
  AdminRole,
  LaurelPermissions,
  Locale,
  Logger,
  PartnerRole,
  Permission,
  RequestContext,
  Role,
  SignalWorkflowRequest,
  StartWorkflowRequest,
} from './context.ts';
export { createServiceRef, definePlugin } from './plugin.ts';
export type {
  ActivityDeps,
  EventListener,
  FilterHandler,
  Migration,
  MigrationDb,
  PluginDefinition,
  PluginRouter,
  PluginSetupContext,
  ServiceRef,
  WorkflowContribution,
} from './plugin.ts';
// Re-exported so that a plugin needs no other Laurel-facing imports for schemas and entities.
export { Type } from 'typebox';
export type { Static, TSchema } from 'typebox';
export { defineEntity, LockMode, p } from '@mikro-orm/core';
export type { InferEntity } from '@mikro-orm/core';
export { PARTNER_SCOPE_FILTER, PROGRAM_SCOPE_FILTER, partnerScoped, programScoped } from './scoping.ts';
export type { PartnerScopeArgs, ProgramScopeArgs } from './scoping.ts';
export { isStorableInstant, storableFormats } from './formats.ts';
export { fulfilmentProvidersRef } from './fulfilment.ts';
export type { FulfilmentOrderLine, FulfilmentOutcome, FulfilmentProvider, FulfilmentProviderRegistry, FulfilmentRewardType } from './fulfilment.ts';
export { earningRuleExtensionsRef } from './earning-rules.ts';
export type { EarningEffectResult, EarningEffectType, EarningEvaluationContext, EarningOperator, EarningRuleExtensions } from './earning-rules.ts';
export { tierMetricsRef } from './tiers.ts';
export { ADMIN_ICONS, routeParams, validateAdminPage } from './ui.ts';
export type {
  AdminAction,
  AdminColumn,
  AdminDetail,
  AdminDetailPart,
  AdminFormField,
  AdminFormSection,
  AdminIcon,
  AdminPage,
  AdminSection,
  AdminTableSection,
  AdminTone,
  AdminUploadSection,
  AdminValue,
  AdminValueFormat,
  PluginUi,
} from './ui.ts';
export type { TierMetric, TierMetricQuery, TierMetricRegistry, TierMetricUnit } from './tiers.ts';
// The canonical business events of the earning inbox (TypeBox schemas and their types): CanonicalEvents.InvoiceIssued …
export * as CanonicalEvents from './canonical-events.ts';
// Public services of the core modules, reached with ctx.inject(ref).
export { auditTrailRef, earningInboxRef, mailerRef, partnerDirectoryRef, skuMappingRef } from './services.ts';
export type {
  AuditRecordInput,
  AuditTrail,
  CanonicalEvent,
  EarningInbox,
  InboxBatchResult,
  InboxEventStatus,
  InboxItemResult,
  InboxOutcome,
  InboxProblem,
  Mailer,
  MailRequest,
  PartnerDirectory,
  PartnerIdentifiers,
  PartnerStatus,
  PartnerSummary,
  PartnerType,
  SkuCode,
  SkuMapping,
  SkuResolution,
} from './services.ts';
// Signed webhooks (Standard Webhooks): signing, verifying with several secrets and a replay window, secrets at rest.
export * as StandardWebhooks from './standard-webhooks.ts';
export { createSecretBox, generateSecret as generateWebhookSecret, signatureHeader as webhookSignatureHeader, sign as signWebhook, verifyWebhook, WEBHOOK_SECRET_PREFIX } from './standard-webhooks.ts';
export type { SecretBox, WebhookHeaders, WebhookVerification, WebhookVerifyFailure } from './standard-webhooks.ts';
