import type { Actions, RequestEvent } from './$types';
import { createRuleAction } from '#lib/server/earning.ts';
import { simulateDraftAction } from '#lib/server/earning-drafts.ts';
import { serverApi } from '#lib/server/api.ts';

const timeZoneOf = (event: RequestEvent) => async (programId: string) => {
	const { data } = await serverApi(event).GET('/api/v1/programs/{id}', { params: { path: { id: programId } } });
	return data?.timeZone ?? 'UTC';
};

export const actions: Actions = {
	/** Save a draft rule (a new version when the code exists), then show it. */
	create: (event) => createRuleAction(event, timeZoneOf(event)),

	/** What a sample event would earn with the rule as typed in force (not saved); posts nothing. */
	simulateDraft: (event) => simulateDraftAction(event, timeZoneOf(event))
};
