import {
	createSubscriptionAction,
	replayDeliveryAction,
	rotateSubscriptionSecretAction,
	subscriptionStatusAction,
	testSubscriptionAction,
	updateSubscriptionAction
} from '#lib/server/webhooks.ts';
import type { Actions } from './$types';

export const actions: Actions = {
	/** Subscribe a URL; its signing secret is shown once. */
	create: (event) => createSubscriptionAction(event),
	/** Change its URL, event types or description. */
	update: (event) => updateSubscriptionAction(event),
	/** Turn it off or on again. */
	status: (event) => subscriptionStatusAction(event),
	/** Replace its signing secret (shown once); the old one signs during the overlap. */
	rotate: (event) => rotateSubscriptionSecretAction(event),
	/** Queue a test message to it. */
	test: (event) => testSubscriptionAction(event),
	/** Send a delivery again. */
	replay: (event) => replayDeliveryAction(event)
};
