import { error } from '@sveltejs/kit';
import { createApiClient } from '#lib/api/client.ts';
import { loadFromApi, loadOptional } from '#lib/api/load.ts';
import { UUID } from '#lib/earning/earning.ts';
import { formNonce } from '#lib/ledger/ledger.ts';
import { can } from '#lib/session.ts';
import { DELIVERY_STATUSES, type DeliveryStatus } from '#lib/webhooks/webhooks.ts';
import type { PageLoad } from './$types';

const LIMIT = 50;

/** Subscriptions (never their secrets), the event types they may name, the delivery log (filtered), and a nonce. */
export const load: PageLoad = async ({ fetch, url, parent }) => {
	const { session } = await parent();
	if (!can(session, 'webhooks:manage')) error(403, 'Forbidden');
	const api = createApiClient({ fetch, baseUrl: url.origin });
	const subscription = url.searchParams.get('subscription') ?? '';
	const statusParam = url.searchParams.get('status') ?? '';
	const status = (DELIVERY_STATUSES as readonly string[]).includes(statusParam) ? (statusParam as DeliveryStatus) : null;
	const before = url.searchParams.get('before') ?? '';
	const [subscriptions, eventTypes, deliveries] = await Promise.all([
		loadFromApi(url, () => api.GET('/api/v1/webhooks/subscriptions')),
		loadOptional(() => api.GET('/api/v1/webhooks/event-types')),
		loadFromApi(url, () =>
			api.GET('/api/v1/webhooks/deliveries', {
				params: {
					query: {
						limit: LIMIT,
						...(UUID.test(subscription) ? { subscriptionId: subscription } : {}),
						...(status ? { status } : {}),
						...(UUID.test(before) ? { before } : {})
					}
				}
			})
		)
	]);
	return {
		subscriptions,
		eventTypes: eventTypes?.items ?? [],
		deliveries,
		subscription: UUID.test(subscription) ? subscription : null,
		status,
		before: UUID.test(before) ? before : null,
		nonce: formNonce()
	};
};
