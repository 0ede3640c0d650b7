import type { paths } from '#lib/api/client.ts';
import type { StatusTone } from '#lib/ui/index.ts';

export type Dispute = paths['/api/v1/earning/disputes']['get']['responses'][200]['content']['application/json']['items'][number];
export type DisputeDetail = paths['/api/v1/earning/disputes/{id}']['get']['responses'][200]['content']['application/json'];
export type DisputeStatus = Dispute['status'];

export const DISPUTE_STATUSES: readonly DisputeStatus[] = ['open', 'waiting-for-partner', 'waiting-for-support', 'resolved', 'rejected'];

export const STATUS_TONE: Record<DisputeStatus, StatusTone> = {
	open: 'warning',
	'waiting-for-partner': 'info',
	'waiting-for-support': 'warning',
	resolved: 'success',
	rejected: 'neutral'
};

export function isDisputeStatus(value: string | null): value is DisputeStatus {
	return value !== null && (DISPUTE_STATUSES as readonly string[]).includes(value);
}

/** A random token rendered with a form: the filing's idempotency key derives from it, so a double submit files once. */
export function newNonce(): string {
	const bytes = new Uint8Array(16);
	crypto.getRandomValues(bytes);
	return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}
