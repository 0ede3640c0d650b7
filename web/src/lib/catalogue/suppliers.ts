import type { paths } from '#lib/api/client.ts';
import type { StatusTone } from '#lib/ui/StatusBadge.svelte';
import { parseInteger } from '#lib/earning/earning.ts';

export type Supplier = paths['/api/v1/catalogue/suppliers']['get']['responses'][200]['content']['application/json']['items'][number];
export type SupplierStatus = Supplier['status'];
export type SupplierCall =
	paths['/api/v1/catalogue/orders/{orderId}/supplier-calls']['get']['responses'][200]['content']['application/json']['items'][number];
export type SupplierCallOutcome = SupplierCall['outcome'];

export const SUPPLIER_STATUSES: readonly SupplierStatus[] = ['active', 'disabled'];
/** The API's bounds of the answer timeout, in seconds (it takes milliseconds, 1,000 to 60,000). */
export const TIMEOUT_SECONDS = { min: 1, max: 60, default: 10 } as const;
/** The supplier form's fields. */
export const SUPPLIER_FIELDS = ['programId', 'name', 'url', 'timeout'] as const;

export type SupplierFormError = 'required' | 'url' | 'timeout';
export interface SupplierBody {
	name: string;
	url: string;
	timeoutMs: number;
}

/**
 * The supplier form checked the way the API will (so a person hears of a typo before a round trip): a name, a URL that
 * parses, with http or https, and the timeout in whole seconds. Whether http is allowed to that host (only to this
 * machine) the API decides and says at the URL field.
 */
export function parseSupplierForm(values: Record<string, string>): { ok: true; body: SupplierBody } | { ok: false; errors: Record<string, SupplierFormError> } {
	const errors: Record<string, SupplierFormError> = {};
	const v = (name: string) => (values[name] ?? '').trim();
	if (!v('name')) errors.name = 'required';
	if (!v('url')) errors.url = 'required';
	else if (!/^https?:\/\/[^\s/]/i.test(v('url')) || !URL.canParse(v('url'))) errors.url = 'url';
	let timeoutMs: number = TIMEOUT_SECONDS.default * 1000;
	if (v('timeout')) {
		const seconds = parseInteger(v('timeout'));
		if (seconds === null || seconds < TIMEOUT_SECONDS.min || seconds > TIMEOUT_SECONDS.max) errors.timeout = 'timeout';
		else timeoutMs = seconds * 1000;
	}
	if (Object.keys(errors).length > 0) return { ok: false, errors };
	return { ok: true, body: { name: v('name'), url: v('url'), timeoutMs } };
}

/** A supplier as the edit form's starting values (the timeout in seconds, rounded up). */
export function supplierFormValues(supplier: Pick<Supplier, 'name' | 'url' | 'timeoutMs'>): Record<string, string> {
	return { name: supplier.name, url: supplier.url, timeout: String(Math.ceil(supplier.timeoutMs / 1000)) };
}

/** The API's field pointers that the form names differently (`timeoutMs` is typed in seconds as `timeout`). */
export function supplierFieldOf(apiField: string): string {
	return apiField === 'timeoutMs' ? 'timeout' : apiField;
}

export function supplierStatusTone(status: SupplierStatus): StatusTone {
	return status === 'active' ? 'success' : 'neutral';
}

/** How one attempt's outcome reads: delivered or accepted is good, a retryable failure a warning, a refusal final. */
export function callOutcomeTone(outcome: SupplierCallOutcome): StatusTone {
	switch (outcome) {
		case 'fulfilled':
		case 'accepted':
			return 'success';
		case 'failed':
			return 'warning';
		default:
			return 'danger';
	}
}

/** The active suppliers of one program, by name: what a new reward can be fulfilled by. */
export function activeSuppliersOf(suppliers: readonly Supplier[], programId: string, locale: string): Supplier[] {
	return suppliers.filter((s) => s.programId === programId && s.status === 'active').sort((a, b) => a.name.localeCompare(b.name, locale));
}
