import { error } from '@sveltejs/kit';
import type { Actions } from './$types';
import { serverApi } from '#lib/server/api.ts';
import { ruleStatusAction, simulateAction } from '#lib/server/earning.ts';

export const actions: Actions = {
	/** Put this draft in force over its validity period. */
	activate: (event) => ruleStatusAction(event, 'activate'),

	/** Take this version out of force. */
	retire: (event) => ruleStatusAction(event, 'retire'),

	/**
	 * What an invoice would earn under the rules in force on its date (this rule's program) — with this rule in force
	 * when it is a draft (replacing the active versions of its code it overlaps); posts nothing.
	 */
	simulate: async (event) => {
		const api = serverApi(event);
		const { data: rule } = await api.GET('/api/v1/earning/rules/{id}', { params: { path: { id: event.params.id } } });
		if (!rule) error(404, 'Not found');
		const { data: program } = await api.GET('/api/v1/programs/{id}', { params: { path: { id: rule.programId } } });
		return simulateAction(event, { programId: rule.programId, timeZone: program?.timeZone ?? 'UTC', draftIds: rule.status === 'draft' ? [rule.id] : [] });
	}
};
