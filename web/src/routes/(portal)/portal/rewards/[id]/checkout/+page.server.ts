import { placeOrderAction } from '#lib/server/catalogue.ts';
import type { Actions } from './$types';

export const actions: Actions = {
	/** Place the order (the idempotency key comes from the rendered nonce), then show it. */
	default: (event) => placeOrderAction(event)
};
