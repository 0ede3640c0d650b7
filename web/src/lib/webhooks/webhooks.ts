import type { paths } from '#lib/api/client.ts';
import type { StatusTone } from '#lib/ui/StatusBadge.svelte';

export type Subscription =
	paths['/api/v1/webhooks/subscriptions']['get']['responses'][200]['content']['application/json']['items'][number];
export type Delivery = paths['/api/v1/webhooks/deliveries']['get']['responses'][200]['content']['application/json']['items'][number];
export type DeliveryDetail = paths['/api/v1/webhooks/deliveries/{id}']['get']['responses'][200]['content']['application/json'];
export type Attempt = DeliveryDetail['attemptLog'][number];
export type DeliveryStatus = Delivery['status'];
export type EventTypeItem = paths['/api/v1/webhooks/event-types']['get']['responses'][200]['content']['application/json']['items'][number];

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'failed'];
/** The subscription form's fields, as the API's field pointers name them. */
export const SUBSCRIPTION_FIELDS = ['url', 'eventTypes', 'description', 'overlapHours'] as const;
/** Hours both secrets sign after a rotation: the API's bounds and default. */
export const OVERLAP_HOURS = { min: 0, max: 168, default: 24 } as const;

export type SubscriptionFormError = 'required' | 'url' | 'eventTypes';

/**
 * The subscription form checked as the API will, so a typo is told before a round trip: a URL with http(s) that parses,
 * at least one event type. Whether the URL may be used (https, a public address) the API decides and says at the field.
 */
export function parseSubscriptionForm(values: { url: string; eventTypes: string[]; description: string }):
	| { ok: true; body: { url: string; eventTypes: string[]; description: string } }
	| { ok: false; errors: Record<string, SubscriptionFormError> } {
	const errors: Record<string, SubscriptionFormError> = {};
	const url = values.url.trim();
	if (!url) errors.url = 'required';
	else if (!/^https?:\/\/[^\s/]/i.test(url) || !URL.canParse(url)) errors.url = 'url';
	if (values.eventTypes.length === 0) errors.eventTypes = 'eventTypes';
	if (Object.keys(errors).length > 0) return { ok: false, errors };
	return { ok: true, body: { url, eventTypes: [...new Set(values.eventTypes)], description: values.description.trim() } };
}

/** Overlap hours as typed: a whole number within the API's bounds, or null. Empty means the default. */
export function parseOverlapHours(text: string): number | null {
	const value = text.trim();
	if (!value) return OVERLAP_HOURS.default;
	if (!/^\d{1,3}$/.test(value)) return null;
	const hours = Number(value);
	return hours >= OVERLAP_HOURS.min && hours <= OVERLAP_HOURS.max ? hours : null;
}

export function deliveryStatusTone(status: DeliveryStatus): StatusTone {
	return status === 'delivered' ? 'success' : status === 'failed' ? 'danger' : 'warning';
}

export function subscriptionTone(subscription: Pick<Subscription, 'enabled' | 'disabledReason' | 'consecutiveFailures'>): StatusTone {
	if (!subscription.enabled) return subscription.disabledReason === 'failing' ? 'danger' : 'neutral';
	return subscription.consecutiveFailures > 0 ? 'warning' : 'success';
}

/** The state key of a subscription (`webhooks:states.<key>`). */
export function subscriptionState(subscription: Pick<Subscription, 'enabled' | 'disabledReason' | 'consecutiveFailures'>): 'active' | 'failing' | 'disabled' | 'autoDisabled' {
	if (!subscription.enabled) return subscription.disabledReason === 'failing' ? 'autoDisabled' : 'disabled';
	return subscription.consecutiveFailures > 0 ? 'failing' : 'active';
}

/** An attempt's answer in a few words: the HTTP status code, or why none came (timeout, refused target, network). */
export function attemptOutcome(attempt: Pick<Attempt, 'statusCode' | 'error'>): { kind: 'status'; code: number } | { kind: 'timeout' | 'refused' | 'network'; detail: string } {
	if (attempt.statusCode !== null) return { kind: 'status', code: attempt.statusCode };
	const error = attempt.error ?? '';
	if (error === 'timeout') return { kind: 'timeout', detail: '' };
	if (error.startsWith('target-refused')) return { kind: 'refused', detail: error.replace(/^target-refused:\s*/, '') };
	return { kind: 'network', detail: error.replace(/^network:\s*/, '') };
}

/** The delivery body pretty-printed when it is JSON (it always is, but a log shows whatever it holds). */
export function prettyBody(body: string): string {
	try {
		return JSON.stringify(JSON.parse(body), null, 2);
	} catch {
		return body;
	}
}
