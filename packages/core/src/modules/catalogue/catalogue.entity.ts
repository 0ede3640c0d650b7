import { defineEntity, p, partnerScoped, programScoped, type Locale } from '@laurel/plugin-sdk';

export const REWARD_TYPES = ['physical', 'voucher', 'service', 'training', 'event', 'cashback', 'privilege'] as const;
export type RewardType = (typeof REWARD_TYPES)[number];
export const REWARD_STATUSES = ['draft', 'active', 'retired'] as const;
export type RewardStatus = (typeof REWARD_STATUSES)[number];
/** The built-in fulfilment providers; plugins register more (`fulfilmentProvidersRef`), so a reward's is any provider id. */
export const FULFILMENTS = ['manual', 'voucher-pool', 'supplier'] as const;
export type BuiltinFulfilment = (typeof FULFILMENTS)[number];
export type Fulfilment = BuiltinFulfilment | (string & {});
export const LIMIT_PERIODS = ['month', 'quarter', 'year', 'ever'] as const;
export type LimitPeriod = (typeof LIMIT_PERIODS)[number];
export type LocalizedText = Record<Locale, string>;

/**
 * `placed`: points and stock reserved, the workflow not yet running; `awaiting-approval`; `fulfilling`: the provider
 * is at work; `awaiting-shipment`: an admin is to ship it (manual fulfilment); `shipped`: waiting for delivery;
 * `completed`: points captured. Ends that gave points and stock back: `cancelled`, `rejected`, `expired` (no
 * approval by the deadline), `failed` (fulfilment failed).
 */
export const ORDER_STATUSES = ['placed', 'awaiting-approval', 'fulfilling', 'awaiting-shipment', 'shipped', 'completed', 'cancelled', 'rejected', 'expired', 'failed'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export type PointsState = 'reserved' | 'captured' | 'released';
export type StockState = 'reserved' | 'consumed' | 'released';

export const Reward = defineEntity({
  name: 'CatalogueReward',
  tableName: 'catalogue_reward',
  filters: programScoped('programId'),
  properties: {
    id: p.uuid().primary(),
    programId: p.uuid(),
    sku: p.string(),
    type: p.string().$type<RewardType>(),
    name: p.json<LocalizedText>(),
    description: p.json<LocalizedText>(),
    category: p.string(),
    pricePoints: p.bigint('number'),
    cashMinor: p.bigint('number').nullable(),
    cashCurrency: p.string().nullable(),
    availableFrom: p.datetime().nullable(),
    availableTo: p.datetime().nullable(),
    limitQuantity: p.integer().nullable(),
    limitPeriod: p.string().$type<LimitPeriod>().nullable(),
    stock: p.integer().nullable(),
    fulfilment: p.string().$type<Fulfilment>(),
    /** The reward's settings for its provider (valid against the provider's `settings` schema). */
    fulfilmentSettings: p.json<Record<string, unknown>>(),
    /** The supplier that fulfils it (fulfilment `supplier` only). */
    supplierId: p.uuid().nullable(),
    /** Tier labels: only partners whose tier's catalogue benefit lists one may order it (empty: every tier). */
    labels: p.array().$type<string[]>(),
    /** Partner segments that may see and order it (empty: every partner). */
    segments: p.array().$type<string[]>(),
    approvalRequired: p.boolean(),
    status: p.string().$type<RewardStatus>(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});

export interface OrderHistoryItem {
  at: string;
  status: OrderStatus;
  note?: string;
}

/** A redemption order: the PostgreSQL mirror of its workflow. Partner users reach only their own company's. */
export const Order = defineEntity({
  name: 'CatalogueOrder',
  tableName: 'catalogue_order',
  filters: { ...partnerScoped('partnerId'), ...programScoped('programId') },
  properties: {
    id: p.uuid().primary(),
    programId: p.uuid(),
    partnerId: p.uuid(),
    userId: p.uuid().nullable(),
    idempotencyKey: p.string(),
    requestHash: p.string(),
    rewardId: p.uuid(),
    sku: p.string(),
    rewardType: p.string().$type<RewardType>(),
    fulfilment: p.string().$type<Fulfilment>(),
    quantity: p.integer(),
    points: p.bigint('number'),
    cashMinor: p.bigint('number').nullable(),
    cashCurrency: p.string().nullable(),
    holdId: p.bigint('number').nullable(),
    status: p.string().$type<OrderStatus>(),
    pointsState: p.string().$type<PointsState>(),
    stockState: p.string().$type<StockState>(),
    approvalRequired: p.boolean(),
    shipping: p.json<Record<string, unknown>>().nullable(),
    trackingNumber: p.string().nullable(),
    carrier: p.string().nullable(),
    /** The supplier's own reference of the order (fulfilment `supplier`). */
    supplierReference: p.string().nullable(),
    reason: p.string().nullable(),
    history: p.json<OrderHistoryItem[]>(),
    placedBy: p.json<Record<string, unknown>>(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});

export const VoucherCode = defineEntity({
  name: 'CatalogueVoucherCode',
  tableName: 'catalogue_voucher_code',
  properties: {
    id: p.uuid().primary(),
    rewardId: p.uuid(),
    codeHash: p.string(),
    sealed: p.string(),
    orderId: p.uuid().nullable(),
    allocatedAt: p.datetime().nullable(),
    revealedAt: p.datetime().nullable(),
    importedAt: p.datetime(),
  },
});

export const SUPPLIER_STATUSES = ['active', 'disabled'] as const;
export type SupplierStatus = (typeof SUPPLIER_STATUSES)[number];

/** An outside supplier that fulfils rewards: Laurel sends it each order as a signed HTTP request. */
export const Supplier = defineEntity({
  name: 'CatalogueSupplier',
  tableName: 'catalogue_supplier',
  filters: programScoped('programId'),
  properties: {
    id: p.uuid().primary(),
    programId: p.uuid(),
    name: p.string(),
    url: p.string(),
    /** The signing secret, sealed (AES-256-GCM under the catalogue key, bound to the supplier id). */
    secretSealed: p.string(),
    timeoutMs: p.integer(),
    status: p.string().$type<SupplierStatus>(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
