import type { paths } from '#lib/api/client.ts';
import type { StatusTone } from '#lib/ui/StatusBadge.svelte';

/** A backtest as `GET /api/v1/earning/backtests/{id}` answers it. */
export type Backtest = paths['/api/v1/earning/backtests/{id}']['get']['responses'][200]['content']['application/json'];
export type BacktestResult = NonNullable<Backtest['result']>;
export type BacktestTotals = BacktestResult['total'];

export function backtestTone(status: Backtest['status']): StatusTone {
	return status === 'done' ? 'success' : status === 'failed' ? 'danger' : 'info';
}

/** Progress in whole percent (100 when there was nothing to evaluate). */
export function progressPercent(backtest: Pick<Backtest, 'done' | 'total'>): number {
	return backtest.total === 0 ? 100 : Math.min(100, Math.floor((backtest.done / backtest.total) * 100));
}
