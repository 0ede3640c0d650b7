import { placeOrderAction } from '#lib/server/catalogue.ts';
import { loadShippingDefaults } from '#lib/server/cart.ts';
import { formNonce } from '#lib/ledger/ledger.ts';
import type { Actions, PageServerLoad } from './$types';

/**
 * The nonce from which the order's idempotency key is derived, made once on the server: a universal load would run
 * again in the browser while hydrating and render a different nonce than the one the server sent.
 */
export const load: PageServerLoad = async (event) => ({ nonce: formNonce(), shipping: await loadShippingDefaults(event) });

export const actions: Actions = {
	/** Place the order (the idempotency key comes from the rendered nonce), then show it. */
	default: (event) => placeOrderAction(event)
};
