import { createRewardAction } from '#lib/server/catalogue.ts';
import { serverApi } from '#lib/server/api.ts';
import type { Actions } from './$types';

export const actions: Actions = {
	/** Save the reward, then open its page (stock, voucher codes). */
	default: (event) =>
		createRewardAction(event, async (programId) => {
			const { data } = await serverApi(event).GET('/api/v1/programs/{id}', { params: { path: { id: programId } } });
			return data?.timeZone ?? 'UTC';
		})
};
