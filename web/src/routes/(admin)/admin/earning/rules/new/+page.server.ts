import type { Actions } from './$types';
import { createRuleAction } from '#lib/server/earning.ts';
import { serverApi } from '#lib/server/api.ts';

export const actions: Actions = {
	/** Save a draft rule (a new version when the code exists), then show it. */
	default: (event) =>
		createRuleAction(event, async (programId) => {
			const { data } = await serverApi(event).GET('/api/v1/programs/{id}', { params: { path: { id: programId } } });
			return data?.timeZone ?? 'UTC';
		})
};
