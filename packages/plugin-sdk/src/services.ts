/**
 * Public service contracts of the core modules: what an integration plugin may call, as typed refs. A plugin lists
 * the providing module in `dependsOn` and resolves the service lazily with `ctx.inject(ref)`:
 *
 *   export default definePlugin({ id: 'my-connector', dependsOn: ['earning'], setup(ctx) {
 *     const inbox = ctx.inject(earningInboxRef);            // call inbox() inside handlers, not during setup
 *     ctx.routes((r) => r.post('/documents', { config: { access: 'events:write' } }, async (req) =>
 *       inbox().ingest(req.ctx, mapToCanonicalEvent(req.body))));
 *   } });
 *
 * Every method takes the caller's `RequestContext` first (actor, locale, entity manager): partner and program scopes
 * apply as they do to the caller.
 */
import type { Locale, RequestContext } from './context.ts';
import type { EarningEventInput } from './canonical-events.ts';
import { createServiceRef, type ServiceRef } from './plugin.ts';

/** Any canonical business event the earning inbox takes (see `CanonicalEvents` for the schemas). */
export type CanonicalEvent = EarningEventInput;

/**
 * What became of an event in the inbox:
 * `processed` — points posted (or none earned);
 * `unmatched` — no partner matches the identifiers: the event waits in the **unmatched queue** for an admin to map it
 *   to a partner (then it is processed as if it had matched) or reject it;
 * `review` — a guardrail held it back in the review queue;
 * `refused` — processing refused it (a suspended partner, an unknown currency…); sent again it is processed again;
 * `rejected` — an admin rejected it for good; `received` — stored, still being processed.
 */
export type InboxEventStatus = 'received' | 'processed' | 'unmatched' | 'refused' | 'rejected' | 'review';

/** The inbox's answer for one event: the same shape as the body of `POST /api/v1/earning/events`. */
export interface InboxOutcome {
  /** Laurel's id of the stored event. */
  id: string;
  source: string;
  externalId: string;
  type: string;
  status: InboxEventStatus;
  programId: string | null;
  partnerId: string | null;
  /** false on the first answer; true when this answer replays the first one (same source and externalId). */
  replayed: boolean;
  /** Points earned (invoice.issued, activities) or released to available (invoice.paid). */
  points: number;
  /** The ledger entries posted. */
  entries: { target: 'pending' | 'available'; entryId: number; points: number }[];
}

/** An RFC 9457 problem as a batch item carries it, in the caller's language. */
export interface InboxProblem {
  title: string;
  status: number;
  /** Stable code, e.g. `VALIDATION_FAILED`, `EARNING_EVENT_CONFLICT`, `EARNING_PARTNER_NOT_ACTIVE`. */
  code: string;
  detail: string;
  /** The offending fields (JSON pointers from the given prefix) with a message each. */
  errors?: { field: string; message: string }[];
}

export type InboxItemResult = { index: number; ok: true; event: InboxOutcome } | { index: number; ok: false; problem: InboxProblem };

/** The answer of a batch: the same shape as the body of `POST /api/v1/earning/events/batch`. */
export interface InboxBatchResult {
  accepted: number;
  refused: number;
  /** One result per event, in order. */
  items: InboxItemResult[];
}

/**
 * The earning inbox (core module `earning`): canonical events in, explained points out to the ledger. Keyed by
 * (source, externalId): sending an event again returns the first answer (`replayed: true`); the same key with a
 * different body is refused (409). An event for a partner no identifier matches is accepted with status `unmatched`
 * and waits in the unmatched queue — nothing is lost. The inbox commits on its own: call it outside your own
 * transaction. It checks no permission: the plugin's route decides who may send (e.g. `access: 'events:write'`).
 */
export interface EarningInbox {
  /**
   * Check an event against its type's schema without storing anything. `prefix` is the JSON pointer the problem's
   * fields start with (default `/body`), e.g. `/lines/3` of a parsed document.
   */
  validate(ctx: RequestContext, event: unknown, options?: { prefix?: string }): { ok: true; event: CanonicalEvent } | { ok: false; problem: InboxProblem };
  /**
   * Store and process one event. Throws what `POST /earning/events` answers with a problem: a 400 naming the fields
   * when the event is not valid, a 409 on a key conflict, a 422 when refused — rendered as problem+json when it
   * leaves a route.
   */
  ingest(ctx: RequestContext, event: CanonicalEvent, options?: { prefix?: string }): Promise<InboxOutcome>;
  /**
   * Store and process many events, each accepted or refused on its own with the answer it would get alone (never
   * throws for one bad item). Large arrays are taken in chunks of 1,000. `prefix` defaults to `/events`: the
   * problem of item 3 names `/events/3/...`.
   */
  ingestMany(ctx: RequestContext, events: readonly unknown[], options?: { prefix?: string }): Promise<InboxBatchResult>;
}

/** Provided by the core module `earning` (`dependsOn: ['earning']`). */
export const earningInboxRef: ServiceRef<EarningInbox> = createServiceRef<EarningInbox>('earning.inbox');

/** One item code to resolve: the seller's code and/or the GTIN of a line, as a connector reads them. */
export interface SkuCode {
  sellerCode?: string | null;
  gtin?: string | null;
}

/** What a code maps to in a program, or `null` in `mapping` when nothing maps it (the line keeps the seller code). */
export interface SkuResolution {
  /** The program SKU the rules see; the seller code (else the GTIN) when unmapped. */
  sku: string;
  category: string | null;
  /** The mapping that decided, or null. */
  mapping: { id: string; matchedBy: 'seller-code' | 'gtin'; source: string | null; seller: string | null } | null;
}

/**
 * The program's SKU mapping (core module `earning`): (source or seller scope, seller code or GTIN) → program SKU and
 * category, with validity dates, maintained by admins. The inbox applies it by itself to every invoice line that
 * carries `sellerCode` or `gtin`, so a connector only has to send those; `resolve` lets it show what a document's
 * lines will map to (e.g. in a parse result) — all codes in one query. It records nothing.
 */
export interface SkuMapping {
  /**
   * Resolve codes of one program as of `at` (default now): a seller-scoped mapping wins over a source-scoped one,
   * which wins over one for any source; a seller code over a GTIN. One answer per code, in order.
   */
  resolve(ctx: RequestContext, input: { programId: string; source: string; seller?: string | null; at?: string; codes: readonly SkuCode[] }): Promise<SkuResolution[]>;
}

/** Provided by the core module `earning` (`dependsOn: ['earning']`). */
export const skuMappingRef: ServiceRef<SkuMapping> = createServiceRef<SkuMapping>('earning.sku-mapping');

export type PartnerStatus = 'applied' | 'active' | 'suspended' | 'closed';
export type PartnerType = 'distributor' | 'wholesaler' | 'reseller' | 'dealer' | 'integrator';

/** How other systems name a partner. The first one given decides, in this order: partnerId, partnerCode, nip, regon, euVat. */
export interface PartnerIdentifiers {
  /** Laurel's id (UUID). */
  partnerId?: string;
  /** PartnerID: the program-unique code other systems map to. */
  partnerCode?: string;
  /** Polish tax id; separators and a PL prefix are ignored. */
  nip?: string;
  /** Polish statistical number (9 or 14 digits); separators are ignored. */
  regon?: string;
  /** EU VAT number with its country prefix (PL1234567890); case and separators are ignored. */
  euVat?: string;
}

/** A partner as the directory shows it to plugins. */
export interface PartnerSummary {
  id: string;
  programId: string;
  partnerCode: string;
  legalName: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  nip: string | null;
  regon: string | null;
  euVat: string | null;
  type: PartnerType;
  status: PartnerStatus;
}

/** The partner directory (core module `partners`): find partners by the identifiers ERPs and CRMs use. */
export interface PartnerDirectory {
  /** The partner of `programId` named by the identifiers (normalized as the inbox does), or null when none matches. */
  find(ctx: RequestContext, programId: string, identifiers: PartnerIdentifiers): Promise<PartnerSummary | null>;
  /** A partner by Laurel's id, or null when it does not exist or is outside the caller's scope. */
  get(ctx: RequestContext, partnerId: string): Promise<PartnerSummary | null>;
}

/** Provided by the core module `partners` (`dependsOn: ['partners']`). */
export const partnerDirectoryRef: ServiceRef<PartnerDirectory> = createServiceRef<PartnerDirectory>('partners.directory');

/** One audit record: what an admin (or an integration) did to what. */
export interface AuditRecordInput {
  /** `<plugin id>.<entity>.<past-tense verb>`, e.g. `template.kudos.given`. */
  action: string;
  subjectType: string;
  subjectId: string;
  /** What changed, for the trail (no secrets). */
  data?: Record<string, unknown>;
}

/**
 * The audit trail (core module `audit`): every admin action leaves a record, shown at /admin/audit and
 * `GET /api/v1/audit/records`. The actor, request id and IP come from `ctx`.
 */
export interface AuditTrail {
  /** Queue the record in `ctx.em`: it commits (or rolls back) with the change it describes — call it inside your transaction. */
  record(ctx: RequestContext, input: AuditRecordInput): void;
}

/** Provided by the core module `audit` (`dependsOn: ['audit']`). */
export const auditTrailRef: ServiceRef<AuditTrail> = createServiceRef<AuditTrail>('audit.trail');

/** A templated e-mail. */
export interface MailRequest {
  to: string;
  /** The recipient's language (a user's `locale`). */
  locale: Locale;
  /**
   * `<plugin id>:<name>` with a camelCase name (`template:approvalNeeded`): the subject and body are the i18n keys
   * `mail.<name>.subject` and `mail.<name>.body` of the plugin's own locales (`{{param}}` placeholders), in en, pl and
   * ru; the body's blank lines make paragraphs of the HTML version, and parameters are escaped.
   */
  template: string;
  /** Interpolated into the template: strings, numbers, booleans, null, or a `Date` (shown in the recipient's language). */
  params: Record<string, unknown>;
}

/** Outgoing mail (core module `mail`): rendered and sent after commit, retried while the mail server is unreachable. */
export interface Mailer {
  /**
   * Queue a templated e-mail in the caller's unit of work (it commits or rolls back with the business change).
   * Throws at once for a malformed recipient (`MAIL_INVALID_RECIPIENT`, 422), an unknown template or a missing parameter.
   */
  send(ctx: RequestContext, message: MailRequest): void;
}

/** Provided by the core module `mail` (`dependsOn: ['mail']`). */
export const mailerRef: ServiceRef<Mailer> = createServiceRef<Mailer>('mail.mailer');
