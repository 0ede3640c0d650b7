import { createHash } from 'node:crypto';
import { AppError, createServiceRef, describeActor, isAppError, LockMode, type FulfilmentOrderLine, type FulfilmentOutcome, type FulfilmentProvider, type InferEntity, type RequestContext } from '@laurel/plugin-sdk';
import { uuidv7 } from '../../platform/ids.ts';
import type { AuditService } from '../audit/index.ts';
import type { LedgerService } from '../ledger/index.ts';
import type { PartnerService } from '../partners/index.ts';
import type { ProgramService } from '../programs/index.ts';
import type { TiersService } from '../tiers/index.ts';
import type { TemporalGateway, WorkflowRunState } from '../../platform/temporal.ts';
import {
  Order,
  REWARD_TYPES,
  Reward,
  type Fulfilment,
  type LimitPeriod,
  type LocalizedText,
  type OrderStatus,
  type PointsState,
  type RewardStatus,
  type RewardType,
  type StockState,
} from './catalogue.entity.ts';
import { createVoucherCipher, type VoucherCipher } from './voucher.crypto.ts';
import { createSupplierService } from './catalogue.suppliers.ts';
import { createProviderRegistry } from './catalogue.providers.ts';
import { createImageService, type RewardImageView } from './catalogue.images.ts';

type RewardRow = InferEntity<typeof Reward>;
type OrderRow = InferEntity<typeof Order>;

export const REDEMPTION_WORKFLOW_TYPE = 'redemptionWorkflow';
/** Signal names of the redemption workflow; `@laurel/workflows` defines the same names (a unit test keeps them equal). */
export const REDEMPTION_SIGNALS = { approve: 'approve', reject: 'reject', cancel: 'cancel', shipped: 'shipped', confirmDelivery: 'confirm-delivery' } as const;

export function redemptionWorkflowId(orderId: string): string {
  return `redemption-${orderId}`;
}

/** What the redemption workflow starts with: everything its decisions need, so it reads nothing itself. */
export interface RedemptionWorkflowInput {
  orderId: string;
  rewardType: RewardType;
  fulfilment: Fulfilment;
  /** Physical goods wait for a delivery confirmation before the points are captured; everything else is captured at once. */
  needsDelivery: boolean;
  approvalRequired: boolean;
  approvalTimeoutSeconds: number;
  maxFulfilmentAttempts: number;
}

export interface CatalogueSettings {
  /** 64 hex characters (AES-256 key) for voucher codes at rest; null: voucher pools cannot be imported or revealed. */
  voucherKey: string | null;
}
export const catalogueSettingsRef = createServiceRef<CatalogueSettings>('platform.catalogue');

export interface CatalogueOptions {
  /** Orders worth at least this many points need an admin's approval (null: only rewards that ask for it). */
  approvalThresholdPoints: number | null;
  approvalTimeoutHours: number;
  maxFulfilmentAttempts: number;
  /** An order still `placed` this long after it was placed never got a workflow: the sweep gives its points and stock back. */
  abandonedOrderHours: number;
}

export interface RewardView {
  id: string;
  programId: string;
  sku: string;
  type: RewardType;
  name: LocalizedText;
  description: LocalizedText;
  category: string;
  pricePoints: number;
  cash: { amountMinor: number; currency: string } | null;
  availableFrom: string | null;
  availableTo: string | null;
  limit: { quantity: number; period: LimitPeriod } | null;
  stock: number | null;
  fulfilment: Fulfilment;
  /** The reward's settings for its provider (empty for the built-in ones). */
  fulfilmentSettings: Record<string, unknown>;
  /** The supplier that fulfils it (fulfilment `supplier`), else null. */
  supplierId: string | null;
  /** Tier labels that may order it (empty: every tier). */
  labels: string[];
  /** Partner segments that may see and order it (empty: every partner). */
  segments: string[];
  approvalRequired: boolean;
  status: RewardStatus;
  /** Its images in order (the bytes are at each `url`). */
  images: RewardImageView[];
  createdAt: string;
  updatedAt: string;
}

export interface RewardInput {
  programId: string;
  sku: string;
  type: RewardType;
  name: LocalizedText;
  description: LocalizedText;
  category: string;
  pricePoints: number;
  cash?: { amountMinor: number; currency: string } | null;
  availableFrom?: string | null;
  availableTo?: string | null;
  limit?: { quantity: number; period: LimitPeriod } | null;
  stock?: number | null;
  fulfilment?: Fulfilment;
  fulfilmentSettings?: Record<string, unknown>;
  supplierId?: string | null;
  labels?: string[];
  segments?: string[];
  approvalRequired?: boolean;
  status?: RewardStatus;
}

export type RewardPatch = Partial<Omit<RewardInput, 'programId' | 'sku' | 'type' | 'fulfilment' | 'supplierId' | 'fulfilmentSettings'>>;

export const NOT_ORDERABLE_REASONS = ['tier-no-access', 'tier-required', 'out-of-stock', 'not-yet-available', 'no-longer-available', 'limit-reached', 'not-enough-points'] as const;
export type NotOrderableReason = (typeof NOT_ORDERABLE_REASONS)[number];

export interface OfferItem {
  reward: Omit<RewardView, 'programId' | 'createdAt' | 'updatedAt' | 'status' | 'approvalRequired' | 'name' | 'description' | 'supplierId' | 'segments' | 'fulfilmentSettings' | 'images'> & {
    name: string;
    description: string;
    /** In order; `alt` in the caller's language, else the reward's name. */
    images: { url: string; alt: string }[];
  };
  orderable: boolean;
  /** Why the partner cannot order it now, most important first (empty when orderable). */
  reasons: { code: NotOrderableReason; message: string }[];
  /** How many more the partner may order in the limit's current period (null: no limit). */
  remainingInPeriod: number | null;
}

export interface OfferQuery {
  q?: string;
  category?: string;
  type?: RewardType;
  maxPoints?: number;
  orderableOnly?: boolean;
  sort?: 'price-asc' | 'price-desc' | 'name' | 'newest';
}

export interface OrderView {
  id: string;
  programId: string;
  partnerId: string;
  userId: string | null;
  rewardId: string;
  sku: string;
  rewardType: RewardType;
  fulfilment: Fulfilment;
  quantity: number;
  points: number;
  cash: { amountMinor: number; currency: string } | null;
  holdId: number | null;
  status: OrderStatus;
  pointsState: PointsState;
  stockState: StockState;
  approvalRequired: boolean;
  shipping: Record<string, unknown> | null;
  trackingNumber: string | null;
  carrier: string | null;
  supplierReference: string | null;
  reason: string | null;
  history: { at: string; status: OrderStatus; note?: string }[];
  workflowId: string;
  createdAt: string;
  updatedAt: string;
}

export interface PlaceOrderInput {
  rewardId: string;
  quantity: number;
  idempotencyKey: string;
  shipping?: Record<string, unknown> | null;
}

export interface CheckoutInput {
  items: { rewardId: string; quantity: number }[];
  idempotencyKey: string;
  shipping?: Record<string, unknown> | null;
}

const FINAL: readonly OrderStatus[] = ['completed', 'cancelled', 'rejected', 'expired', 'failed'];
const CANCELLABLE: readonly OrderStatus[] = ['placed', 'awaiting-approval'];
const DAY_MS = 86_400_000;

function rewardView(r: RewardRow, images: RewardImageView[] = []): RewardView {
  return {
    id: r.id,
    programId: r.programId,
    sku: r.sku,
    type: r.type,
    name: r.name,
    description: r.description,
    category: r.category,
    pricePoints: Number(r.pricePoints),
    cash: r.cashMinor != null && r.cashCurrency ? { amountMinor: Number(r.cashMinor), currency: r.cashCurrency } : null,
    availableFrom: r.availableFrom ? r.availableFrom.toISOString() : null,
    availableTo: r.availableTo ? r.availableTo.toISOString() : null,
    limit: r.limitQuantity != null && r.limitPeriod ? { quantity: r.limitQuantity, period: r.limitPeriod } : null,
    stock: r.stock ?? null,
    fulfilment: r.fulfilment,
    fulfilmentSettings: r.fulfilmentSettings ?? {},
    supplierId: r.supplierId ?? null,
    labels: r.labels ?? [],
    segments: r.segments ?? [],
    approvalRequired: r.approvalRequired,
    status: r.status,
    images,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

export function orderView(o: OrderRow): OrderView {
  return {
    id: o.id,
    programId: o.programId,
    partnerId: o.partnerId,
    userId: o.userId ?? null,
    rewardId: o.rewardId,
    sku: o.sku,
    rewardType: o.rewardType,
    fulfilment: o.fulfilment,
    quantity: o.quantity,
    points: Number(o.points),
    cash: o.cashMinor != null && o.cashCurrency ? { amountMinor: Number(o.cashMinor), currency: o.cashCurrency } : null,
    holdId: o.holdId != null ? Number(o.holdId) : null,
    status: o.status,
    pointsState: o.pointsState,
    stockState: o.stockState,
    approvalRequired: o.approvalRequired,
    shipping: o.shipping ?? null,
    trackingNumber: o.trackingNumber ?? null,
    carrier: o.carrier ?? null,
    supplierReference: o.supplierReference ?? null,
    reason: o.reason ?? null,
    history: o.history,
    workflowId: redemptionWorkflowId(o.id),
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}

function invalid(code: string, field: string, params: Record<string, unknown> = {}): AppError {
  return new AppError(code, 422, { params, fields: [{ field, messageKey: `errors.${code}`, params }] });
}

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

/** Idempotency keys of the ledger entries an order makes: derived from the order and the step, so a retry replays. */
export const orderLedgerKey = {
  reserve: (orderId: string) => `catalogue-order:${orderId}:reserve`,
  release: (orderId: string) => `catalogue-order:${orderId}:release`,
  capture: (orderId: string) => `catalogue-order:${orderId}:capture`,
  /** Passed to the fulfilment provider: the same on every attempt of the order. */
  fulfil: (orderId: string) => `catalogue-order:${orderId}:fulfil`,
};

export interface CatalogueDeps {
  /** Asked whether a workflow still runs (the sweep of orders left behind); absent in some tests. */
  temporal?: () => TemporalGateway;
  partners: () => PartnerService;
  programs: () => ProgramService;
  ledger: () => LedgerService;
  tiers: () => TiersService;
  audit: () => AuditService;
  settings: () => CatalogueSettings;
  options: CatalogueOptions;
}

/**
 * The rewards catalogue and redemption orders. Placing an order reserves the points (a ledger hold) and the stock
 * in one transaction and asks for the redemption workflow (through the outbox); the workflow's activities call the
 * idempotent steps below (release, restock, capture, allocate vouchers, fulfil, record status).
 */
export function createCatalogueService(deps: CatalogueDeps) {
  let cipherFor: { key: string; cipher: VoucherCipher } | null = null;
  function cipher(): VoucherCipher {
    const key = deps.settings().voucherKey;
    if (!key) throw new AppError('CATALOGUE_VOUCHER_KEY_MISSING', 503, { retryable: false });
    if (cipherFor?.key !== key) cipherFor = { key, cipher: createVoucherCipher(key) };
    return cipherFor.cipher;
  }

  function partnerOf(ctx: RequestContext): string {
    const actor = ctx.actor;
    if (actor.kind === 'user' && actor.partnerId) return actor.partnerId;
    throw new AppError('CATALOGUE_PARTNER_ONLY', 403);
  }

  async function loadReward(ctx: RequestContext, id: string): Promise<RewardRow> {
    const row = await ctx.em.findOne(Reward, { id });
    if (!row) throw new AppError('CATALOGUE_REWARD_NOT_FOUND', 404, { params: { id } });
    return row;
  }

  async function loadOrder(ctx: RequestContext, id: string, lock = false): Promise<OrderRow> {
    const row = await ctx.em.findOne(Order, { id }, lock ? { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true } : { refresh: true });
    if (!row) throw new AppError('CATALOGUE_ORDER_NOT_FOUND', 404, { params: { id } });
    return row;
  }

  function checkReward(input: { cash?: RewardInput['cash']; availableFrom?: string | null; availableTo?: string | null; name?: LocalizedText; description?: LocalizedText }): void {
    if (input.cash && !Intl.supportedValuesOf('currency').includes(input.cash.currency)) throw invalid('CATALOGUE_CURRENCY_UNKNOWN', '/body/cash/currency', { currency: input.cash.currency });
    if (input.availableFrom && input.availableTo && new Date(input.availableTo) <= new Date(input.availableFrom)) {
      throw invalid('CATALOGUE_WINDOW_INVALID', '/body/availableTo', { availableFrom: input.availableFrom, availableTo: input.availableTo });
    }
    for (const field of ['name', 'description'] as const) {
      const text = input[field];
      if (!text) continue;
      for (const locale of ['en', 'pl', 'ru'] as const) {
        if (!text[locale]?.trim()) throw invalid('CATALOGUE_TEXT_REQUIRED', `/body/${field}/${locale}`, { locale });
      }
    }
  }

  async function usedInPeriod(ctx: RequestContext, partnerId: string, rewards: RewardRow[], timeZone: string): Promise<Map<string, number>> {
    const limited = rewards.filter((r) => r.limitQuantity != null && r.limitPeriod);
    const used = new Map<string, number>();
    if (limited.length === 0) return used;
    const rows = await ctx.em.execute<{ reward_id: string; used: string }[]>(
      `select r.reward_id, coalesce(sum(o.quantity), 0)::text as used
         from jsonb_to_recordset(?::jsonb) as r(reward_id uuid, period text)
         left join catalogue_order o on o.partner_id = ? and o.reward_id = r.reward_id and o.stock_state <> 'released'
          and (r.period is null or o.created_at >= date_trunc(r.period, now(), ?))
        group by r.reward_id`,
      [JSON.stringify(limited.map((r) => ({ reward_id: r.id, period: r.limitPeriod === 'ever' ? null : r.limitPeriod }))), partnerId, timeZone],
    );
    for (const r of rows) used.set(r.reward_id, Number(r.used));
    return used;
  }

  function windowReason(r: RewardRow, now: Date): NotOrderableReason | null {
    if (r.availableFrom && r.availableFrom > now) return 'not-yet-available';
    if (r.availableTo && r.availableTo <= now) return 'no-longer-available';
    return null;
  }

  function reasonMessage(ctx: RequestContext, code: NotOrderableReason, r: RewardRow, extra: Record<string, unknown>): string {
    return ctx.t(`catalogue:reasons.${code}`, { from: r.availableFrom?.toISOString() ?? '', to: r.availableTo?.toISOString() ?? '', ...extra });
  }

  /** What the partner's tier allows in the catalogue (every reward when the program has no tracks for it). */
  async function tierAccess(ctx: RequestContext, partnerId: string): Promise<{ access: boolean; labels: Set<string> }> {
    const benefit = await deps.tiers().catalogueBenefit(ctx, partnerId);
    return { access: benefit.access, labels: new Set(benefit.labels) };
  }

  /** The names (in the caller's language) of the program's tiers whose catalogue benefit lists one of `labels`. */
  async function unlockingTiers(ctx: RequestContext, programId: string, labels: string[]): Promise<string> {
    const tracks = await deps.tiers().listTracks(ctx, programId);
    const names = tracks.flatMap((track) => track.tiers.filter((tier) => tier.benefits.catalogue.labels.some((l) => labels.includes(l))).map((tier) => tier.name[ctx.locale] || tier.name.en));
    return new Intl.ListFormat(ctx.locale, { type: 'disjunction' }).format([...new Set(names)]);
  }

  const segmentAllows = (r: RewardRow, partnerSegments: string[]) => (r.segments ?? []).length === 0 || r.segments.some((s) => partnerSegments.includes(s));
  const tierAllows = (r: RewardRow, labels: Set<string>) => (r.labels ?? []).length === 0 || r.labels.some((l) => labels.has(l));

  function cleanList(values: string[] | undefined, field: string): string[] | undefined {
    if (values === undefined) return undefined;
    const out = [...new Set(values.map((v) => v.trim()))];
    out.forEach((v, i) => {
      if (!v) throw invalid('CATALOGUE_LABEL_EMPTY', `/body/${field}/${i}`);
    });
    return out;
  }

  /** Reserve the order's points (a ledger hold under a key derived from the order); a replay returns the same hold. */
  async function reservePoints(ctx: RequestContext, order: OrderRow): Promise<number> {
    const expiresAt = new Date(Date.now() + (order.rewardType === 'physical' ? 365 : 60) * DAY_MS);
    try {
      const entry = await deps.ledger().reserve(ctx, {
        partnerId: order.partnerId,
        points: Number(order.points),
        idempotencyKey: orderLedgerKey.reserve(order.id),
        expiresAt,
        explanation: { rule: 'redemption', order: order.id, sku: order.sku, quantity: order.quantity },
      });
      return entry.entryId;
    } catch (error) {
      if (isAppError(error) && error.code === 'LEDGER_INSUFFICIENT_BALANCE') {
        throw new AppError('CATALOGUE_NOT_ENOUGH_POINTS', 409, { params: { points: Number(order.points), shortBy: error.params.shortBy } });
      }
      // A replay after the first try: the request differs only in the computed expiry; return the hold it made.
      if (isAppError(error) && error.code === 'LEDGER_IDEMPOTENCY_CONFLICT' && error.params.entryId != null) return Number(error.params.entryId);
      throw error;
    }
  }

  /** Take units from the reward's stock; refused (409) when fewer are left. Unlimited rewards take nothing. */
  async function takeStock(ctx: RequestContext, rewardId: string, quantity: number): Promise<void> {
    const rows = await ctx.em.execute<{ id: string }[]>(
      `update catalogue_reward set stock = case when stock is null then null else stock - ? end
        where id = ? and (stock is null or stock >= ?) returning id`,
      [quantity, rewardId, quantity],
    );
    if (rows.length === 0) throw new AppError('CATALOGUE_OUT_OF_STOCK', 409, { params: { quantity } });
  }

  function setStatus(order: OrderRow, status: OrderStatus, note?: string): void {
    if (order.status === status) return;
    order.status = status;
    order.updatedAt = new Date();
    order.history = [...order.history, { at: order.updatedAt.toISOString(), status, ...(note ? { note } : {}) }];
  }

  /**
   * Run `work` in one transaction on the context's own entity manager, so that raw statements, the ledger's postings
   * and the outbox events the context emits all commit together (or not at all).
   */
  async function inTransaction<T>(ctx: RequestContext, work: () => Promise<T>): Promise<T> {
    if (ctx.em.isInTransaction()) return work();
    await ctx.em.begin();
    try {
      const result = await work();
      await ctx.em.commit();
      return result;
    } catch (error) {
      await ctx.em.rollback();
      ctx.em.clear();
      throw error;
    }
  }

  const suppliers = createSupplierService({ audit: deps.audit, cipher });
  const providers = createProviderRegistry();
  const images = createImageService({ audit: deps.audit, rewardExists: async (ctx, id) => void (await loadReward(ctx, id)), inTransaction });

  const service = {
    suppliers,
    /** The fulfilment providers (`fulfilmentProvidersRef`): the built-in three and those plugins register. */
    providers,
    images,

    async createReward(ctx: RequestContext, input: RewardInput): Promise<RewardView> {
      checkReward(input);
      await deps.programs().get(ctx, input.programId).catch((error: unknown) => {
        if (isAppError(error) && error.status === 404) throw invalid('CATALOGUE_PROGRAM_UNKNOWN', '/body/programId', { programId: input.programId });
        throw error;
      });
      const fulfilment = input.fulfilment ?? (input.type === 'voucher' ? 'voucher-pool' : 'manual');
      const provider = providers.get(fulfilment);
      if (!provider) throw invalid('CATALOGUE_FULFILMENT_UNKNOWN', '/body/fulfilment', { fulfilment, known: providers.list().map((p) => p.id).join(', ') });
      if (!(provider.rewardTypes as readonly string[]).includes(input.type)) {
        throw invalid('CATALOGUE_FULFILMENT_TYPE', '/body/fulfilment', { provider: provider.label[ctx.locale], type: ctx.t(`catalogue:types.${input.type}`) });
      }
      const fulfilmentSettings = providers.checkSettings(provider, input.fulfilmentSettings);
      if (fulfilment === 'voucher-pool' && input.stock != null) throw invalid('CATALOGUE_VOUCHER_STOCK', '/body/stock');
      if (fulfilment === 'supplier') {
        if (!input.supplierId) throw invalid('CATALOGUE_SUPPLIER_REQUIRED', '/body/supplierId');
        const supplier = await suppliers.get(ctx, input.supplierId).catch((error: unknown) => {
          if (isAppError(error) && error.status === 404) throw invalid('CATALOGUE_SUPPLIER_NOT_FOUND', '/body/supplierId', { id: input.supplierId });
          throw error;
        });
        if (supplier.programId !== input.programId) throw invalid('CATALOGUE_SUPPLIER_NOT_FOUND', '/body/supplierId', { id: input.supplierId });
      } else if (input.supplierId) {
        throw invalid('CATALOGUE_SUPPLIER_NOT_EXPECTED', '/body/supplierId', { fulfilment });
      }
      const clash = await ctx.em.findOne(Reward, { programId: input.programId, sku: input.sku });
      if (clash) throw new AppError('CATALOGUE_SKU_TAKEN', 409, { params: { sku: input.sku }, fields: [{ field: '/body/sku', messageKey: 'errors.CATALOGUE_SKU_TAKEN', params: { sku: input.sku } }] });
      const now = new Date();
      const row = ctx.em.create(Reward, {
        id: uuidv7(),
        programId: input.programId,
        sku: input.sku,
        type: input.type,
        name: input.name,
        description: input.description,
        category: input.category.trim(),
        pricePoints: input.pricePoints,
        cashMinor: input.cash?.amountMinor ?? null,
        cashCurrency: input.cash?.currency ?? null,
        availableFrom: input.availableFrom ? new Date(input.availableFrom) : null,
        availableTo: input.availableTo ? new Date(input.availableTo) : null,
        limitQuantity: input.limit?.quantity ?? null,
        limitPeriod: input.limit?.period ?? null,
        // A voucher pool's stock is its unallocated codes: it grows with every import.
        stock: fulfilment === 'voucher-pool' ? 0 : (input.stock ?? null),
        fulfilment,
        fulfilmentSettings,
        supplierId: fulfilment === 'supplier' ? input.supplierId! : null,
        labels: cleanList(input.labels, 'labels') ?? [],
        segments: cleanList(input.segments, 'segments') ?? [],
        approvalRequired: input.approvalRequired ?? false,
        status: input.status ?? 'draft',
        createdAt: now,
        updatedAt: now,
      });
      ctx.em.persist(row);
      deps.audit().record(ctx, { action: 'catalogue.reward.created', subjectType: 'reward', subjectId: row.id, data: { after: rewardView(row) } });
      await ctx.em.flush();
      return rewardView(row);
    },

    async updateReward(ctx: RequestContext, id: string, patch: RewardPatch): Promise<RewardView> {
      const row = await loadReward(ctx, id);
      const before = rewardView(row);
      checkReward({ ...patch, availableFrom: patch.availableFrom === undefined ? before.availableFrom : patch.availableFrom, availableTo: patch.availableTo === undefined ? before.availableTo : patch.availableTo });
      if (patch.stock !== undefined && row.fulfilment === 'voucher-pool') throw invalid('CATALOGUE_VOUCHER_STOCK', '/body/stock');
      if (patch.name) row.name = patch.name;
      if (patch.description) row.description = patch.description;
      if (patch.category !== undefined) row.category = patch.category.trim();
      if (patch.pricePoints !== undefined) row.pricePoints = patch.pricePoints;
      if (patch.cash !== undefined) {
        row.cashMinor = patch.cash?.amountMinor ?? null;
        row.cashCurrency = patch.cash?.currency ?? null;
      }
      if (patch.availableFrom !== undefined) row.availableFrom = patch.availableFrom ? new Date(patch.availableFrom) : null;
      if (patch.availableTo !== undefined) row.availableTo = patch.availableTo ? new Date(patch.availableTo) : null;
      if (patch.limit !== undefined) {
        row.limitQuantity = patch.limit?.quantity ?? null;
        row.limitPeriod = patch.limit?.period ?? null;
      }
      if (patch.labels !== undefined) row.labels = cleanList(patch.labels, 'labels')!;
      if (patch.segments !== undefined) row.segments = cleanList(patch.segments, 'segments')!;
      if (patch.approvalRequired !== undefined) row.approvalRequired = patch.approvalRequired;
      if (patch.status !== undefined) row.status = patch.status;
      row.updatedAt = new Date();
      if (patch.stock !== undefined) {
        // Set the stock in the statement (not from a value read earlier), so it never races an order.
        await ctx.em.execute(`update catalogue_reward set stock = ? where id = ?`, [patch.stock, id]);
        row.stock = patch.stock;
      }
      deps.audit().record(ctx, { action: 'catalogue.reward.updated', subjectType: 'reward', subjectId: id, data: { before, after: rewardView(row) } });
      await ctx.em.flush();
      return rewardView(await loadRewardFresh(ctx, id), await images.list(ctx, id));
    },

    /** A reward image's bytes by content hash: a partner user's only of its program's rewards; 404 otherwise. */
    async readImage(ctx: RequestContext, sha256: string, withBytes = true): Promise<{ bytes: Buffer; contentType: string }> {
      const actor = ctx.actor;
      const programId = actor.kind === 'user' && actor.partnerId ? (await deps.partners().get(ctx, actor.partnerId)).programId : null;
      const image = await images.read(ctx, sha256, programId, withBytes);
      if (!image) throw new AppError('CATALOGUE_IMAGE_NOT_FOUND', 404, { params: { id: sha256 } });
      return image;
    },

    /** The providers a reward may choose, labelled in the caller's language. */
    listProviders(ctx: RequestContext): { id: string; label: string; rewardTypes: RewardType[]; builtIn: boolean; settings: Record<string, unknown> | null }[] {
      return providers.list().map((p) => ({ id: p.id, label: p.label[ctx.locale] || p.label.en, rewardTypes: [...p.rewardTypes], builtIn: !p.id.includes('.'), settings: (p.settings as Record<string, unknown> | undefined) ?? null }));
    },

    async getReward(ctx: RequestContext, id: string): Promise<RewardView> {
      return rewardView(await loadReward(ctx, id), await images.list(ctx, id));
    },

    async listRewards(ctx: RequestContext, query: { programId?: string; status?: RewardStatus; type?: RewardType; q?: string }): Promise<RewardView[]> {
      const where: Record<string, unknown> = {};
      if (query.programId) where.programId = query.programId;
      if (query.status) where.status = query.status;
      if (query.type) where.type = query.type;
      if (query.q) where.$or = [{ sku: { $ilike: `%${query.q}%` } }, { category: { $ilike: `%${query.q}%` } }];
      const rows = await ctx.em.find(Reward, where, { orderBy: { createdAt: 'desc' }, limit: 500 });
      const pictures = await images.ofRewards(ctx, rows.map((r) => r.id));
      return rows.map((r) => rewardView(r, pictures.get(r.id)));
    },

    /** Import voucher codes: each sealed (AES-256-GCM); codes already in the pool are skipped; the stock grows by the new ones. */
    async importVouchers(ctx: RequestContext, rewardId: string, codes: string[]): Promise<{ imported: number; duplicates: number; stock: number }> {
      const c = cipher();
      const reward = await loadReward(ctx, rewardId);
      if (reward.fulfilment !== 'voucher-pool') throw new AppError('CATALOGUE_NOT_A_VOUCHER_POOL', 409, { params: { sku: reward.sku } });
      codes.forEach((code, i) => {
        if (!code.trim()) throw invalid('CATALOGUE_VOUCHER_CODE_EMPTY', `/body/codes/${i}`);
      });
      const unique = [...new Set(codes.map((code) => code.trim()))];
      const now = new Date();
      const rows = unique.map((code) => ({ id: uuidv7(), reward_id: rewardId, code_hash: c.fingerprint(rewardId, code), sealed: c.seal(rewardId, code), imported_at: now.toISOString() }));
      return inTransaction(ctx, async () => {
        const inserted = await ctx.em.execute<{ id: string }[]>(
          `insert into catalogue_voucher_code (id, reward_id, code_hash, sealed, imported_at)
           select id, reward_id, code_hash, sealed, imported_at from jsonb_to_recordset(?::jsonb) as v(id uuid, reward_id uuid, code_hash text, sealed text, imported_at timestamptz)
           on conflict (reward_id, code_hash) do nothing returning id`,
          [JSON.stringify(rows)],
        );
        const [stock] = await ctx.em.execute<{ stock: number }[]>(`update catalogue_reward set stock = stock + ?, updated_at = now() where id = ? returning stock`, [inserted.length, rewardId]);
        deps.audit().record(ctx, { action: 'catalogue.vouchers.imported', subjectType: 'reward', subjectId: rewardId, data: { imported: inserted.length, duplicates: codes.length - inserted.length } });
        await ctx.em.flush();
        return { imported: inserted.length, duplicates: codes.length - inserted.length, stock: Number(stock!.stock) };
      });
    },

    /** What the signed-in partner may order, with the reason for what it may not. */
    async offer(ctx: RequestContext, query: OfferQuery): Promise<{ items: OfferItem[]; balance: number }> {
      const partnerId = partnerOf(ctx);
      const partner = await deps.partners().get(ctx, partnerId);
      const program = await deps.programs().get(ctx, partner.programId);
      const where: Record<string, unknown> = { programId: partner.programId, status: 'active' };
      if (query.category) where.category = query.category;
      if (query.type) where.type = query.type;
      if (query.maxPoints !== undefined) where.pricePoints = { $lte: query.maxPoints };
      // A reward for other segments is not shown at all; one for other tiers is shown with what unlocks it.
      let rewards = (await ctx.em.find(Reward, where, { limit: 1000 })).filter((r) => segmentAllows(r, partner.segments));
      const tier = await tierAccess(ctx, partnerId);
      const locked = rewards.filter((r) => !tierAllows(r, tier.labels));
      const unlockedBy = new Map<string, string>();
      for (const r of locked) unlockedBy.set(r.id, await unlockingTiers(ctx, partner.programId, r.labels));
      const locale = ctx.locale;
      if (query.q) {
        const q = query.q.toLocaleLowerCase(locale);
        rewards = rewards.filter((r) => [r.sku, r.category, r.name[locale], r.name.en, r.description[locale]].some((s) => s?.toLocaleLowerCase(locale).includes(q)));
      }
      const balance = (await deps.ledger().balances(ctx, partnerId)).available;
      const used = await usedInPeriod(ctx, partnerId, rewards, program.timeZone);
      const pictures = await images.ofRewards(ctx, rewards.map((r) => r.id));
      const now = new Date();
      let items: OfferItem[] = rewards.map((r) => {
        const reasons: { code: NotOrderableReason; message: string }[] = [];
        if (!tier.access) reasons.push({ code: 'tier-no-access', message: reasonMessage(ctx, 'tier-no-access', r, {}) });
        else if (unlockedBy.has(r.id)) reasons.push({ code: 'tier-required', message: reasonMessage(ctx, 'tier-required', r, { tiers: unlockedBy.get(r.id) }) });
        if (r.stock != null && r.stock < 1) reasons.push({ code: 'out-of-stock', message: reasonMessage(ctx, 'out-of-stock', r, {}) });
        const window = windowReason(r, now);
        if (window) reasons.push({ code: window, message: reasonMessage(ctx, window, r, {}) });
        const remaining = r.limitQuantity != null ? Math.max(0, r.limitQuantity - (used.get(r.id) ?? 0)) : null;
        if (remaining === 0) reasons.push({ code: 'limit-reached', message: reasonMessage(ctx, 'limit-reached', r, { count: r.limitQuantity, period: ctx.t(`catalogue:periods.${r.limitPeriod}`) }) });
        if (balance < Number(r.pricePoints)) reasons.push({ code: 'not-enough-points', message: reasonMessage(ctx, 'not-enough-points', r, { count: Number(r.pricePoints) - balance }) });
        const { programId: _p, createdAt: _c, updatedAt: _u, status: _s, approvalRequired: _a, supplierId: _sup, segments: _seg, fulfilmentSettings: _fs, images: _i, ...view } = rewardView(r);
        const name = r.name[locale] || r.name.en;
        const shown = (pictures.get(r.id) ?? []).map((i) => ({ url: i.url, alt: i.alt[locale] || name }));
        return { reward: { ...view, name, description: r.description[locale] || r.description.en, images: shown }, orderable: reasons.length === 0, reasons, remainingInPeriod: remaining };
      });
      if (query.orderableOnly) items = items.filter((i) => i.orderable);
      const sort = query.sort ?? 'price-asc';
      const collator = new Intl.Collator(locale);
      items.sort((a, b) => {
        switch (sort) {
          case 'price-desc':
            return b.reward.pricePoints - a.reward.pricePoints || collator.compare(a.reward.name, b.reward.name);
          case 'name':
            return collator.compare(a.reward.name, b.reward.name);
          case 'newest':
            return a.reward.id < b.reward.id ? 1 : -1;
          default:
            return a.reward.pricePoints - b.reward.pricePoints || collator.compare(a.reward.name, b.reward.name);
        }
      });
      return { items, balance };
    },

    /**
     * Place an order: in one transaction, reserve the points (ledger hold) and the stock and write the order, and ask
     * for its redemption workflow (outbox). A replay of the idempotency key returns the first order.
     */
    async placeOrder(ctx: RequestContext, input: PlaceOrderInput): Promise<{ order: OrderView; replayed: boolean }> {
      const partnerId = partnerOf(ctx);
      const hash = createHash('sha256').update(canonical({ rewardId: input.rewardId, quantity: input.quantity, shipping: input.shipping ?? null })).digest('hex');
      const replay = async (): Promise<{ order: OrderView; replayed: boolean } | null> => {
        const existing = await ctx.em.findOne(Order, { partnerId, idempotencyKey: input.idempotencyKey }, { refresh: true });
        if (!existing) return null;
        if (existing.requestHash !== hash) throw new AppError('CATALOGUE_ORDER_KEY_CONFLICT', 409, { params: { key: input.idempotencyKey, orderId: existing.id } });
        return { order: orderView(existing), replayed: true };
      };
      const first = await replay();
      if (first) return first;
      const partner = await deps.partners().get(ctx, partnerId);
      if (partner.status !== 'active') throw new AppError('CATALOGUE_PARTNER_NOT_ACTIVE', 409, { params: { status: partner.status } });
      const reward = await ctx.em.findOne(Reward, { id: input.rewardId, programId: partner.programId });
      if (!reward || reward.status !== 'active' || !segmentAllows(reward, partner.segments)) throw invalid('CATALOGUE_REWARD_NOT_ORDERABLE', '/body/rewardId', { rewardId: input.rewardId });
      const tier = await tierAccess(ctx, partnerId);
      if (!tier.access) throw new AppError('CATALOGUE_TIER_NO_ACCESS', 409);
      if (!tierAllows(reward, tier.labels)) throw new AppError('CATALOGUE_TIER_REQUIRED', 409, { params: { tiers: await unlockingTiers(ctx, partner.programId, reward.labels) } });
      const window = windowReason(reward, new Date());
      if (window) throw new AppError('CATALOGUE_OUTSIDE_WINDOW', 409, { params: { from: reward.availableFrom?.toISOString() ?? '', to: reward.availableTo?.toISOString() ?? '' } });
      if (reward.type === 'physical' && !input.shipping) throw invalid('CATALOGUE_SHIPPING_REQUIRED', '/body/shipping');
      const program = await deps.programs().get(ctx, partner.programId);
      // Inside a caller's transaction (a checkout), a failure is the caller's to roll back; looking for a raced
      // order then would flush this one half-made.
      const nested = ctx.em.isInTransaction();
      const points = Number(reward.pricePoints) * input.quantity;
      if (!Number.isSafeInteger(points)) throw invalid('CATALOGUE_QUANTITY_TOO_LARGE', '/body/quantity');
      const threshold = deps.options.approvalThresholdPoints;
      const approvalRequired = reward.approvalRequired || (threshold !== null && points >= threshold);

      try {
        return await inTransaction(ctx, async () => {
          // One order per (partner, key) even when the same key arrives twice at once; one limit check per
          // (partner, reward) at a time.
          await ctx.em.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`catalogue-order:${partnerId}:${input.idempotencyKey}`]);
          const raced = await replay();
          if (raced) return raced;
          if (reward.limitQuantity != null && reward.limitPeriod) {
            await ctx.em.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`catalogue-limit:${partnerId}:${reward.id}`]);
            const used = (await usedInPeriod(ctx, partnerId, [reward], program.timeZone)).get(reward.id) ?? 0;
            if (used + input.quantity > reward.limitQuantity) {
              throw new AppError('CATALOGUE_LIMIT_REACHED', 409, { params: { count: reward.limitQuantity, period: ctx.t(`catalogue:periods.${reward.limitPeriod}`), used } });
            }
          }
          const now = new Date();
          const order = ctx.em.create(Order, {
            id: uuidv7(),
            programId: partner.programId,
            partnerId,
            userId: ctx.actor.kind === 'user' ? ctx.actor.userId : null,
            idempotencyKey: input.idempotencyKey,
            requestHash: hash,
            rewardId: reward.id,
            sku: reward.sku,
            rewardType: reward.type,
            fulfilment: reward.fulfilment,
            quantity: input.quantity,
            points,
            cashMinor: reward.cashMinor != null ? Number(reward.cashMinor) * input.quantity : null,
            cashCurrency: reward.cashCurrency ?? null,
            holdId: null,
            status: 'placed',
            pointsState: 'reserved',
            stockState: 'reserved',
            approvalRequired,
            // A cart's one address goes to its physical lines only: nothing else is delivered.
            shipping: reward.type === 'physical' ? (input.shipping ?? null) : null,
            trackingNumber: null,
            carrier: null,
            reason: null,
            history: [{ at: now.toISOString(), status: 'placed' }],
            placedBy: describeActor(ctx.actor),
            createdAt: now,
            updatedAt: now,
          });
          // Points first (the partner's own accounts), then the stock: the reward row stays locked only from the
          // stock update to the commit, so orders of different partners queue on it as briefly as possible.
          order.holdId = await reservePoints(ctx, order);
          await takeStock(ctx, reward.id, input.quantity);
          ctx.em.persist(order);
          const workflowInput: RedemptionWorkflowInput = {
            orderId: order.id,
            rewardType: reward.type,
            fulfilment: reward.fulfilment,
            needsDelivery: reward.type === 'physical',
            approvalRequired,
            approvalTimeoutSeconds: deps.options.approvalTimeoutHours * 3600,
            maxFulfilmentAttempts: deps.options.maxFulfilmentAttempts,
          };
          ctx.startWorkflow({ workflowType: REDEMPTION_WORKFLOW_TYPE, workflowId: redemptionWorkflowId(order.id), args: [workflowInput] });
          await ctx.em.flush();
          return { order: orderView(order), replayed: false };
        });
      } catch (error) {
        if (nested) throw error;
        // The same key committed by a concurrent request between our check and our insert.
        const again = await replay().catch(() => null);
        if (again) return again;
        throw error;
      }
    },

    /**
     * Check out a cart: one order per line, all placed in one transaction or none (each with its own workflow, as
     * fulfilment differs by reward). Line i is the order under the key `<idempotencyKey>#<i+1>`, so a replay of the
     * checkout returns the same orders, and a different cart under the same key is a 409. A problem with a line names
     * it (`/body/items/<i>/…`); the cart's total is checked against the balance before anything is reserved.
     */
    async checkout(ctx: RequestContext, input: CheckoutInput): Promise<{ orders: OrderView[]; points: number; replayed: boolean }> {
      const partnerId = partnerOf(ctx);
      const keyOf = (i: number) => `${input.idempotencyKey}#${i + 1}`;
      const seen = new Set<string>();
      input.items.forEach((item, i) => {
        if (seen.has(item.rewardId)) throw invalid('CATALOGUE_CART_DUPLICATE', `/body/items/${i}/rewardId`, { line: i + 1 });
        seen.add(item.rewardId);
      });
      const existing = await ctx.em.find(Order, { partnerId, idempotencyKey: { $in: input.items.map((_, i) => keyOf(i)) } }, { refresh: true });
      if (existing.length === 0) {
        const rewards = await ctx.em.find(Reward, { id: { $in: input.items.map((item) => item.rewardId) } });
        const price = new Map(rewards.map((r) => [r.id, Number(r.pricePoints)]));
        const total = input.items.reduce((sum, item) => sum + (price.get(item.rewardId) ?? 0) * item.quantity, 0);
        const available = (await deps.ledger().balances(ctx, partnerId)).available;
        if (total > available) throw new AppError('CATALOGUE_CART_NOT_ENOUGH_POINTS', 409, { params: { points: total, shortBy: total - available } });
      }
      const lineProblem = (error: unknown, i: number): unknown => {
        if (!isAppError(error) || error.status >= 500) return error;
        const fields = error.fields.length > 0 ? error.fields.map((f) => ({ ...f, field: f.field.replace(/^\/body/, `/body/items/${i}`) })) : [{ field: `/body/items/${i}`, messageKey: error.messageKey, params: error.params }];
        return new AppError(error.code, error.status, { messageKey: error.messageKey, params: { ...error.params, line: i + 1 }, fields, cause: error });
      };
      const placed = await inTransaction(ctx, async () => {
        const out: { order: OrderView; replayed: boolean }[] = [];
        for (const [i, item] of input.items.entries()) {
          try {
            out.push(await service.placeOrder(ctx, { rewardId: item.rewardId, quantity: item.quantity, idempotencyKey: keyOf(i), shipping: input.shipping ?? null }));
          } catch (error) {
            throw lineProblem(error, i);
          }
        }
        return out;
      });
      return { orders: placed.map((p) => p.order), points: placed.reduce((sum, p) => sum + p.order.points, 0), replayed: placed.every((p) => p.replayed) };
    },

    async getOrder(ctx: RequestContext, id: string): Promise<OrderView> {
      return orderView(await loadOrder(ctx, id));
    },

    async listOrders(ctx: RequestContext, query: { status?: OrderStatus; partnerId?: string; programId?: string; limit: number; before?: string }): Promise<{ items: OrderView[]; nextBefore: string | null }> {
      const where: Record<string, unknown> = {};
      if (query.status) where.status = query.status;
      if (query.partnerId) where.partnerId = query.partnerId;
      if (query.programId) where.programId = query.programId;
      if (query.before) where.id = { $lt: query.before };
      const rows = await ctx.em.find(Order, where, { orderBy: { id: 'desc' }, limit: query.limit + 1 });
      const page = rows.slice(0, query.limit);
      return { items: page.map(orderView), nextBefore: rows.length > query.limit ? page[page.length - 1]!.id : null };
    },

    /** Ask the order's workflow to cancel (allowed until fulfilment starts; the workflow has the last word). */
    async requestCancel(ctx: RequestContext, id: string): Promise<OrderView> {
      const order = await loadOrder(ctx, id);
      if (!CANCELLABLE.includes(order.status)) throw new AppError('CATALOGUE_ORDER_NOT_CANCELLABLE', 409, { params: { id, status: order.status } });
      ctx.signalWorkflow({ workflowId: redemptionWorkflowId(id), signal: REDEMPTION_SIGNALS.cancel, args: [{ by: describeActor(ctx.actor) }] });
      await ctx.em.flush();
      return orderView(order);
    },

    async decide(ctx: RequestContext, id: string, input: { decision: 'approve' | 'reject'; comment?: string | null }): Promise<OrderView> {
      const order = await loadOrder(ctx, id);
      if (order.status !== 'awaiting-approval') throw new AppError('CATALOGUE_ORDER_NOT_AWAITING_APPROVAL', 409, { params: { id, status: order.status } });
      ctx.signalWorkflow({ workflowId: redemptionWorkflowId(id), signal: REDEMPTION_SIGNALS[input.decision], args: [{ comment: input.comment ?? null, by: describeActor(ctx.actor) }] });
      deps.audit().record(ctx, { action: `catalogue.order.${input.decision === 'approve' ? 'approved' : 'rejected'}`, subjectType: 'order', subjectId: id, data: { comment: input.comment ?? null } });
      await ctx.em.flush();
      return orderView(order);
    },

    /** An admin marks a manually fulfilled order shipped (physical goods: with a tracking number) or handed over. */
    async ship(ctx: RequestContext, id: string, input: { trackingNumber?: string | null; carrier?: string | null }): Promise<OrderView> {
      return inTransaction(ctx, async () => {
        const order = await loadOrder(ctx, id, true);
        if (order.status !== 'awaiting-shipment') throw new AppError('CATALOGUE_ORDER_NOT_AWAITING_SHIPMENT', 409, { params: { id, status: order.status } });
        if (order.rewardType === 'physical' && !input.trackingNumber?.trim()) throw invalid('CATALOGUE_TRACKING_REQUIRED', '/body/trackingNumber');
        order.trackingNumber = input.trackingNumber?.trim() || null;
        order.carrier = input.carrier?.trim() || null;
        // The reward has left: its stock is consumed whatever the workflow decides later (never restocked).
        order.stockState = 'consumed';
        order.updatedAt = new Date();
        ctx.signalWorkflow({ workflowId: redemptionWorkflowId(id), signal: REDEMPTION_SIGNALS.shipped, args: [{ trackingNumber: order.trackingNumber, carrier: order.carrier }] });
        deps.audit().record(ctx, { action: 'catalogue.order.shipped', subjectType: 'order', subjectId: id, data: { trackingNumber: order.trackingNumber, carrier: order.carrier } });
        await ctx.em.flush();
        return orderView(order);
      });
    },

    async confirmDelivery(ctx: RequestContext, id: string): Promise<OrderView> {
      const order = await loadOrder(ctx, id);
      if (order.status !== 'shipped') throw new AppError('CATALOGUE_ORDER_NOT_SHIPPED', 409, { params: { id, status: order.status } });
      ctx.signalWorkflow({ workflowId: redemptionWorkflowId(id), signal: REDEMPTION_SIGNALS.confirmDelivery, args: [{ by: describeActor(ctx.actor) }] });
      await ctx.em.flush();
      return orderView(order);
    },

    /** The order's voucher codes, shown once to the ordering partner: a second request is a 409. */
    async revealVouchers(ctx: RequestContext, orderId: string): Promise<{ codes: string[]; revealedAt: string }> {
      const order = await loadOrder(ctx, orderId);
      const c = cipher();
      const rows = await ctx.em.execute<{ sealed: string; revealed_at: Date }[]>(
        `update catalogue_voucher_code set revealed_at = now() where order_id = ? and not exists (select 1 from catalogue_voucher_code r where r.order_id = ? and r.revealed_at is not null)
         returning sealed, revealed_at`,
        [order.id, order.id],
      );
      if (rows.length === 0) {
        const [any] = await ctx.em.execute<{ n: string }[]>(`select count(*)::text as n from catalogue_voucher_code where order_id = ?`, [order.id]);
        if (Number(any?.n ?? 0) === 0) throw new AppError('CATALOGUE_VOUCHER_NOT_ALLOCATED', 409, { params: { id: order.id } });
        throw new AppError('CATALOGUE_VOUCHER_ALREADY_REVEALED', 409, { params: { id: order.id } });
      }
      deps.audit().record(ctx, { action: 'catalogue.vouchers.revealed', subjectType: 'order', subjectId: order.id, data: { count: rows.length } });
      await ctx.em.flush();
      return { codes: rows.map((r) => c.open(order.rewardId, r.sealed)), revealedAt: new Date(rows[0]!.revealed_at).toISOString() };
    },

    // ---- Steps of the redemption workflow (its activities). Each is idempotent: a retry changes nothing more. ----

    /** Make sure the order's points are held (the order already did it when placed; a retry replays the same hold). */
    async reserveOrder(ctx: RequestContext, orderId: string): Promise<{ holdId: number }> {
      return inTransaction(ctx, async () => {
        const order = await loadOrder(ctx, orderId, true);
        if (order.pointsState !== 'reserved') throw new AppError('CATALOGUE_ORDER_POINTS_NOT_RESERVED', 409, { params: { id: orderId, state: order.pointsState } });
        const holdId = order.holdId != null ? Number(order.holdId) : await reservePoints(ctx, order);
        order.holdId = holdId;
        await ctx.em.flush();
        return { holdId };
      });
    },

    /** Give the held points back (compensation). Released once: a retry, or a hold already released, changes nothing. */
    async releasePoints(ctx: RequestContext, orderId: string): Promise<{ pointsState: PointsState }> {
      return inTransaction(ctx, async () => {
        const order = await loadOrder(ctx, orderId, true);
        if (order.pointsState === 'released') return { pointsState: order.pointsState };
        if (order.pointsState === 'captured') throw new AppError('CATALOGUE_ORDER_ALREADY_CAPTURED', 409, { params: { id: orderId } });
        try {
          await deps.ledger().releaseHold(ctx, { holdId: Number(order.holdId), idempotencyKey: orderLedgerKey.release(orderId), explanation: { rule: 'redemption-compensation', order: orderId } });
        } catch (error) {
          // The expiry sweep released it first: the points are back either way.
          if (!(isAppError(error) && error.code === 'LEDGER_HOLD_NOT_OPEN' && ['released', 'expired'].includes(String(error.params.state)))) throw error;
        }
        order.pointsState = 'released';
        order.updatedAt = new Date();
        await ctx.em.flush();
        return { pointsState: order.pointsState };
      });
    },

    /**
   * Put the order's units back in stock (compensation). Once per order, and only while they are still reserved: units
   * whose voucher codes were allocated or which an admin shipped are consumed and stay so.
   */
    async restock(ctx: RequestContext, orderId: string): Promise<{ stockState: StockState }> {
      return inTransaction(ctx, async () => {
        const order = await loadOrder(ctx, orderId, true);
        if (order.stockState !== 'reserved') return { stockState: order.stockState };
        await ctx.em.execute(`update catalogue_reward set stock = stock + ?, updated_at = now() where id = ? and stock is not null`, [order.quantity, order.rewardId]);
        order.stockState = 'released';
        order.updatedAt = new Date();
        await ctx.em.flush();
        return { stockState: order.stockState };
      });
    },

    /** Capture the held points (reserved → redeemed): the redemption is paid. Once per order. */
    async capturePoints(ctx: RequestContext, orderId: string): Promise<{ pointsState: PointsState }> {
      return inTransaction(ctx, async () => {
        const order = await loadOrder(ctx, orderId, true);
        if (order.pointsState === 'captured') return { pointsState: order.pointsState };
        if (order.pointsState === 'released') throw new AppError('CATALOGUE_ORDER_ALREADY_RELEASED', 409, { params: { id: orderId } });
        await deps.ledger().capture(ctx, { holdId: Number(order.holdId), idempotencyKey: orderLedgerKey.capture(orderId), explanation: { rule: 'redemption', order: orderId, sku: order.sku } });
        order.pointsState = 'captured';
        order.stockState = 'consumed';
        order.updatedAt = new Date();
        await ctx.em.flush();
        return { pointsState: order.pointsState };
      });
    },

    /** Give the order its voucher codes from the reward's pool (as many as its quantity); a retry returns the same codes. */
    async allocateVouchers(ctx: RequestContext, orderId: string): Promise<{ codeIds: string[] }> {
      return inTransaction(ctx, async () => {
        const order = await loadOrder(ctx, orderId, true);
        const have = await ctx.em.execute<{ id: string }[]>(`select id from catalogue_voucher_code where order_id = ? order by id`, [orderId]);
        const missing = order.quantity - have.length;
        if (missing <= 0) return { codeIds: have.map((r) => r.id) };
        const taken = await ctx.em.execute<{ id: string }[]>(
          `update catalogue_voucher_code set order_id = ?, allocated_at = now()
            where id in (select id from catalogue_voucher_code where reward_id = ? and order_id is null order by imported_at, id limit ? for update skip locked)
           returning id`,
          [orderId, order.rewardId, missing],
        );
        if (taken.length < missing) throw new AppError('CATALOGUE_VOUCHER_POOL_EMPTY', 409, { params: { sku: order.sku }, retryable: true });
        // The codes are the order's now: the units they stood for are consumed, never restocked.
        order.stockState = 'consumed';
        order.updatedAt = new Date();
        await ctx.em.flush();
        return { codeIds: [...have, ...taken].map((r) => r.id).sort() };
      });
    },

    /**
     * Fulfil the order through its reward's provider (the registry): `done` when the reward was handed over (with
     * `delivered` when a physical good needs no delivery confirmation any more), `pending` when it waits for a
     * shipment. A failure is an AppError that says whether trying again may help (`retryable`).
     */
    async fulfil(ctx: RequestContext, orderId: string, attempt = 1): Promise<{ result: 'done' | 'pending'; delivered?: true }> {
      const order = await loadOrder(ctx, orderId);
      const provider = providers.get(order.fulfilment);
      if (!provider) throw new AppError('CATALOGUE_FULFILMENT_UNKNOWN', 409, { params: { fulfilment: order.fulfilment, known: providers.list().map((p) => p.id).join(', ') }, retryable: false });
      const reward = await loadRewardFresh(ctx, order.rewardId);
      const partner = await deps.partners().get(ctx, order.partnerId);
      const line: FulfilmentOrderLine = {
        orderId: order.id,
        programId: order.programId,
        partner: { id: partner.id, name: partner.legalName },
        rewardId: order.rewardId,
        sku: order.sku,
        rewardType: order.rewardType,
        quantity: order.quantity,
        points: Number(order.points),
        shipping: order.shipping ?? null,
        placedAt: order.createdAt.toISOString(),
        settings: { ...(reward.fulfilmentSettings ?? {}), ...(reward.supplierId ? { supplierId: reward.supplierId } : {}) },
        attempt,
      };
      let outcome: FulfilmentOutcome;
      try {
        outcome = await provider.fulfil(ctx, line, orderLedgerKey.fulfil(order.id));
      } catch (error) {
        if (isAppError(error)) throw error;
        throw new AppError('CATALOGUE_FULFILMENT_FAILED', 502, { params: { provider: provider.id, reason: (error as Error).message ?? String(error) }, retryable: true, cause: error });
      }
      if (outcome.status === 'failed') {
        throw new AppError('CATALOGUE_FULFILMENT_FAILED', outcome.retryable ? 502 : 422, { params: { provider: provider.id, reason: outcome.reason }, retryable: outcome.retryable });
      }
      const handedOver = outcome.status === 'shipped' || outcome.status === 'delivered';
      const reference = outcome.reference ? String(outcome.reference).slice(0, 200) : null;
      const tracking = outcome.status === 'shipped' ? { trackingNumber: outcome.trackingNumber?.trim() || null, carrier: outcome.carrier?.trim() || null } : null;
      if (handedOver || (reference && reference !== order.supplierReference) || tracking?.trackingNumber) {
        // One statement: a retry writes the same values; units handed over are consumed (never restocked).
        await ctx.em.execute(
          `update catalogue_order set supplier_reference = coalesce(?, supplier_reference), tracking_number = coalesce(?, tracking_number), carrier = coalesce(?, carrier),
             stock_state = case when ? and stock_state = 'reserved' then 'consumed' else stock_state end, updated_at = now() where id = ?`,
          [reference, tracking?.trackingNumber ?? null, tracking?.carrier ?? null, handedOver, order.id],
        );
      }
      if (outcome.status === 'awaiting-shipment') return { result: 'pending' };
      return outcome.status === 'delivered' && order.rewardType === 'physical' ? { result: 'done', delivered: true } : { result: 'done' };
    },

    /**
     * The sweep for orders no workflow looks after any more, older than `abandonedOrderHours`:
     *  - still `placed`: no workflow ever picked it up (Temporal unreachable for longer than the outbox keeps trying, a
     *    start parked as a dead letter);
     *  - moved by a workflow (`awaiting-approval`, `fulfilling`, `awaiting-shipment`) with nothing handed over yet
     *    (stock and points still reserved), whose workflow Temporal says ended without finishing the saga
     *    (terminated, failed, timed out, cancelled) or does not know. Asked only when Temporal can be asked.
     * Each gets its points released (a hold the ledger's expiry sweep already released counts) and its stock back,
     * once, in one transaction with its status (`failed`) and an audit record. A workflow that runs later finds the
     * points gone and compensates nothing twice. At most `limit` orders of each kind per run, oldest first.
     */
    async compensateAbandoned(ctx: RequestContext, options: { now?: Date; limit?: number } = {}): Promise<{ compensated: string[] }> {
      const hours = deps.options.abandonedOrderHours;
      const before = new Date((options.now ?? new Date()).getTime() - hours * 3_600_000);
      const limit = options.limit ?? 200;
      const compensated: string[] = [];
      const compensate = async (id: string, still: (order: OrderRow) => boolean, note: string, data: Record<string, unknown>) => {
        const done = await inTransaction(ctx, async () => {
          const order = await loadOrder(ctx, id, true);
          if (!still(order)) return false;
          const ageHours = Math.floor((Date.now() - order.createdAt.getTime()) / 3_600_000);
          const statusBefore = order.status;
          const pointsBefore = order.pointsState;
          await service.releasePoints(ctx, id);
          const { stockState } = await service.restock(ctx, id);
          const again = await loadOrder(ctx, id, true);
          setStatus(again, 'failed', note);
          again.reason = note;
          deps.audit().record(ctx, { action: 'catalogue.order.abandoned', subjectType: 'order', subjectId: id, data: { ageHours, afterHours: hours, statusBefore, points: Number(again.points), pointsBefore, quantity: again.quantity, stockState, ...data } });
          await ctx.em.flush();
          return true;
        });
        if (done) compensated.push(id);
      };

      const unstarted = await ctx.em.execute<{ id: string }[]>(`select id from catalogue_order where status = 'placed' and created_at < ? order by created_at, id limit ?`, [before, limit]);
      for (const { id } of unstarted) {
        await compensate(id, (o) => o.status === 'placed', `no workflow ran within ${hours} h: points and stock given back`, { workflow: 'never ran' });
      }

      const describe = deps.temporal?.().describeWorkflow?.bind(deps.temporal());
      if (!describe) return { compensated };
      const moved = await ctx.em.execute<{ id: string; status: OrderStatus }[]>(
        `select id, status from catalogue_order
          where status in ('awaiting-approval', 'fulfilling', 'awaiting-shipment') and points_state = 'reserved' and stock_state = 'reserved' and updated_at < ?
          order by updated_at, id limit ?`,
        [before, limit],
      );
      for (const { id, status } of moved) {
        let state: WorkflowRunState;
        try {
          state = await describe(redemptionWorkflowId(id));
        } catch {
          // Temporal cannot be asked now: nothing can be told about any of them; the next run asks again.
          break;
        }
        if (state === 'running' || state === 'completed' || state === 'continued-as-new') continue;
        await compensate(
          id,
          (o) => o.status === status && o.pointsState === 'reserved' && o.stockState === 'reserved',
          `its workflow ended (${state}) without finishing: points and stock given back`,
          { workflow: state },
        );
      }
      return { compensated };
    },

    /** Mirror the workflow's status on the order row for lists (idempotent; a final status is never left). */
    async recordStatus(ctx: RequestContext, orderId: string, status: OrderStatus, note?: string | null): Promise<OrderView> {
      return inTransaction(ctx, async () => {
        const order = await loadOrder(ctx, orderId, true);
        if (order.status !== status && !FINAL.includes(order.status)) {
          setStatus(order, status, note ?? undefined);
          if (note && FINAL.includes(status)) order.reason = note;
        }
        await ctx.em.flush();
        return orderView(order);
      });
    },
  };

  async function loadRewardFresh(ctx: RequestContext, id: string): Promise<RewardRow> {
    const row = await ctx.em.findOne(Reward, { id }, { refresh: true });
    if (!row) throw new AppError('CATALOGUE_REWARD_NOT_FOUND', 404, { params: { id } });
    return row;
  }

  // The built-in providers, registered like a plugin's.
  const builtin: FulfilmentProvider[] = [
    {
      id: 'manual',
      label: { en: 'Manual: an admin ships it or hands it over', pl: 'Ręcznie: administrator wysyła lub przekazuje', ru: 'Вручную: администратор отправляет или передаёт' },
      rewardTypes: REWARD_TYPES,
      fulfil: async () => ({ status: 'awaiting-shipment' }),
    },
    {
      id: 'voucher-pool',
      label: { en: 'Voucher pool: a code from the imported codes', pl: 'Pula voucherów: kod z zaimportowanych', ru: 'Пул ваучеров: код из импортированных' },
      rewardTypes: REWARD_TYPES.filter((t) => t !== 'physical'),
      fulfil: async (ctx, line) => {
        await service.allocateVouchers(ctx, line.orderId);
        return { status: 'delivered' };
      },
    },
    {
      id: 'supplier',
      label: { en: 'Supplier: a signed HTTP request', pl: 'Dostawca: podpisane żądanie HTTP', ru: 'Поставщик: подписанный HTTP-запрос' },
      rewardTypes: REWARD_TYPES,
      fulfil: async (ctx, line) => {
        const sent = await suppliers.send(
          ctx,
          String(line.settings.supplierId),
          {
            type: 'laurel.redemption.order',
            order: { id: line.orderId, sku: line.sku, rewardType: line.rewardType, quantity: line.quantity, points: line.points, shipping: line.shipping, partner: line.partner, placedAt: line.placedAt },
          },
          line.rewardType === 'physical',
        );
        return sent.result === 'done' ? { status: 'shipped', reference: sent.reference } : { status: 'awaiting-shipment', reference: sent.reference };
      },
    },
  ];
  for (const provider of builtin) providers.register(provider);

  return service;
}

export type CatalogueService = ReturnType<typeof createCatalogueService>;
export const catalogueServiceRef = createServiceRef<CatalogueService>('catalogue.service');
