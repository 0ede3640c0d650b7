import { partnerOrderAction } from '#lib/server/catalogue.ts';
import type { Actions } from './$types';

export const actions: Actions = {
	/** Ask to cancel the order (allowed until fulfilment starts; the points and stock come back once processed). */
	cancel: (event) => partnerOrderAction(event, 'cancel'),
	/** The parcel arrived. */
	confirmDelivery: (event) => partnerOrderAction(event, 'confirmDelivery'),
	/** Show the voucher codes, once: the API refuses a second time. */
	reveal: (event) => partnerOrderAction(event, 'reveal')
};
