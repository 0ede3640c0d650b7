import { createSupplierAction, rotateSecretAction, supplierStatusAction, updateSupplierAction } from '#lib/server/suppliers.ts';
import type { Actions } from './$types';

export const actions: Actions = {
	/** Add a supplier; its signing secret is shown once. */
	create: (event) => createSupplierAction(event),
	/** Change its name, URL or timeout. */
	update: (event) => updateSupplierAction(event),
	/** Disable or enable it. */
	status: (event) => supplierStatusAction(event),
	/** Replace its signing secret (shown once). */
	rotate: (event) => rotateSecretAction(event)
};
