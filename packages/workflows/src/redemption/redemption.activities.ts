import { ApplicationFailure } from '@temporalio/common';
import { isAppError, type ActivityDeps } from '@laurel/plugin-sdk';
import { catalogueServiceRef, type OrderView } from '@laurel/core';
import type { MirroredStatus } from './redemption.decisions.ts';

/**
 * The redemption workflow's activities. Each calls one idempotent step of the catalogue service (ledger keys derived
 * from the order and the step), so a retried activity — or a retry after a crash between two of them — changes
 * nothing twice. Domain refusals become non-retryable failures; anything else is retried by Temporal.
 */
export function createRedemptionActivities(deps: ActivityDeps) {
  const catalogue = () => deps.inject(catalogueServiceRef);
  const ctx = () => deps.systemContext('redemption-workflow');
  async function step<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isAppError(error) && !error.retryable) throw ApplicationFailure.nonRetryable(error.code, error.code);
      throw error;
    }
  }
  return {
    async reserveRedemption(input: { orderId: string }): Promise<{ holdId: number }> {
      return step(() => catalogue().reserveOrder(ctx(), input.orderId));
    },
    async releaseRedemptionPoints(input: { orderId: string }): Promise<{ pointsState: string }> {
      return step(() => catalogue().releasePoints(ctx(), input.orderId));
    },
    async restockRedemption(input: { orderId: string }): Promise<{ stockState: string }> {
      return step(() => catalogue().restock(ctx(), input.orderId));
    },
    async captureRedemption(input: { orderId: string }): Promise<{ pointsState: string }> {
      return step(() => catalogue().capturePoints(ctx(), input.orderId));
    },
    async allocateRedemptionVouchers(input: { orderId: string }): Promise<{ codeIds: string[] }> {
      return step(() => catalogue().allocateVouchers(ctx(), input.orderId));
    },
    /**
     * Fulfil through the reward's provider (the registry behind `fulfilmentProvidersRef`): `done` (handed over;
     * `delivered` when a physical good needs no delivery confirmation), `pending` (it waits for a shipment), or
     * `failed` with whether trying again may help (the workflow retries with backoff, then compensates).
     */
    async fulfilRedemption(input: { orderId: string; attempt?: number }): Promise<{ result: 'done' | 'pending'; delivered?: true } | { result: 'failed'; retryable: boolean; reason: string }> {
      try {
        const r = await catalogue().fulfil(ctx(), input.orderId, input.attempt ?? 1);
        return r.delivered ? { result: r.result, delivered: true } : { result: r.result };
      } catch (error) {
        if (isAppError(error)) return { result: 'failed', retryable: error.retryable, reason: error.params.reason != null ? `${error.code}: ${String(error.params.reason)}` : error.code };
        throw error;
      }
    },
    async recordRedemptionStatus(input: { orderId: string; status: MirroredStatus; note: string | null }): Promise<OrderView> {
      return step(() => catalogue().recordStatus(ctx(), input.orderId, input.status, input.note));
    },
  };
}

export type RedemptionActivities = ReturnType<typeof createRedemptionActivities>;
