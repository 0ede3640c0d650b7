import { replayDeliveryAction } from '#lib/server/webhooks.ts';
import type { Actions } from './$types';

export const actions: Actions = {
	/** Send the delivery again. */
	replay: (event) => replayDeliveryAction(event)
};
