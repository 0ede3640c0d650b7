import type { Actions } from './$types';
import { adjustAction, reverseAction } from '#lib/server/ledger.ts';

export const actions: Actions = {
	/** Add or take away points by hand, with a reason (`ledger:adjust`). */
	adjust: adjustAction,

	/** Reverse one transaction in full, with a reason (`ledger:adjust`). */
	reverse: reverseAction
};
