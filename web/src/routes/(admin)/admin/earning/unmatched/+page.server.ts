import type { Actions } from './$types';
import { mapAction, rejectAction } from '#lib/server/earning.ts';

export const actions: Actions = {
	/** The event belongs to this partner: it is processed at once and its points posted. */
	map: mapAction,

	/** Reject the event for good, with a reason. */
	reject: rejectAction
};
