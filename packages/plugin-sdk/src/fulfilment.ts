import type { TSchema } from 'typebox';
import type { Locale, RequestContext } from './context.ts';
import { createServiceRef } from './plugin.ts';

/**
 * Fulfilment providers: who hands a redeemed reward over. The core `catalogue` module registers three — `manual` (an
 * admin marks it shipped, with a tracking number for physical goods), `voucher-pool` (codes from the reward's imported
 * pool) and `supplier` (a signed HTTP request to an outside supplier, retried) — and a plugin adds its own (a gift-card
 * API, an e-learning platform …) by registering a provider with the registry it injects through
 * `fulfilmentProvidersRef`. A reward names its provider (`fulfilment`); the redemption workflow's fulfil step calls it.
 */

/** The catalogue's reward types a provider may serve. */
export type FulfilmentRewardType = 'physical' | 'voucher' | 'service' | 'training' | 'event' | 'cashback' | 'privilege';

/** One order line to fulfil: the reward, how many, the partner and where to deliver. */
export interface FulfilmentOrderLine {
  orderId: string;
  programId: string;
  partner: { id: string; name: string };
  rewardId: string;
  sku: string;
  rewardType: FulfilmentRewardType;
  quantity: number;
  /** Points the order costs (held until the redemption completes). */
  points: number;
  /** The delivery address for physical goods (`name`, `street`, `postalCode`, `city`, `country`, `phone`), else null. */
  shipping: Record<string, unknown> | null;
  placedAt: string;
  /** The reward's settings for this provider, valid against the provider's `settings` schema. */
  settings: Record<string, unknown>;
  /** 1 on the first call, then 2, 3 … on the workflow's retries. */
  attempt: number;
}

/**
 * What a fulfilment attempt came to.
 * - `delivered`: handed over and received (a code shown, a training booked): the points are captured at once.
 * - `shipped`: on its way; physical goods then wait for the delivery confirmation, anything else is captured.
 * - `awaiting-shipment`: accepted; an admin (or the provider later) marks it shipped.
 * - `failed`: `retryable` failures are tried again with backoff (30 s doubling to an hour, up to the catalogue's
 *   `maxFulfilmentAttempts`), then — like a permanent one — the order fails and its points and stock go back.
 */
export type FulfilmentOutcome =
  | { status: 'delivered'; reference?: string | null }
  | { status: 'shipped'; reference?: string | null; trackingNumber?: string | null; carrier?: string | null }
  | { status: 'awaiting-shipment'; reference?: string | null }
  | { status: 'failed'; retryable: boolean; reason: string };

export interface FulfilmentProvider {
  /** Unique; `<plugin id>.<name>` for a plugin's provider (`giftcards.api`). A reward names it in `fulfilment`. */
  id: string;
  /** Shown to admins choosing how a reward is fulfilled. */
  label: Record<Locale, string>;
  /** The reward types it can fulfil; a reward of another type may not choose it. */
  rewardTypes: readonly FulfilmentRewardType[];
  /**
   * What a reward sets for this provider (a product code, a course id …), as a TypeBox object schema; checked when a
   * reward is saved (`fulfilmentSettings`; a mismatch is a 422 naming the field) and passed in `line.settings`.
   */
  settings?: TSchema;
  /**
   * Fulfil the line. Must be idempotent under `idempotencyKey` (the same for every attempt of the order): a retry after
   * a timeout or a crash must not hand the reward over twice. Throwing counts as a retryable failure, except an
   * `AppError`, which is retryable as its `retryable` says (by default a 5xx status is, a 4xx is not).
   */
  fulfil(ctx: RequestContext, line: FulfilmentOrderLine, idempotencyKey: string): Promise<FulfilmentOutcome>;
}

export interface FulfilmentProviderRegistry {
  /** Add a provider; an id already taken is an error at start-up. */
  register(provider: FulfilmentProvider): void;
  get(id: string): FulfilmentProvider | undefined;
  /** Every provider, built-in ones first. */
  list(): FulfilmentProvider[];
}

/**
 * The fulfilment provider registry, provided by the core `catalogue` module. A plugin lists `catalogue` in `dependsOn`
 * and calls `ctx.inject(fulfilmentProvidersRef)().register({ id, label, rewardTypes, fulfil })` in `setup`.
 */
export const fulfilmentProvidersRef = createServiceRef<FulfilmentProviderRegistry>('catalogue.fulfilment-providers');
