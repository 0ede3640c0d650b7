import { adminOrderAction } from '#lib/server/catalogue.ts';
import type { Actions } from './$types';

export const actions: Actions = {
	approve: (event) => adminOrderAction(event, 'approve'),
	reject: (event) => adminOrderAction(event, 'reject'),
	/** Shipped with a tracking number (physical goods) or handed over. */
	ship: (event) => adminOrderAction(event, 'ship'),
	confirmDelivery: (event) => adminOrderAction(event, 'confirmDelivery')
};
