import { error } from '@sveltejs/kit';
import { can } from '#lib/session.ts';
import type { LayoutLoad } from './$types';

/** Earning (rules, events, the unmatched queue) is for staff holding `earning:manage`; the API checks again. */
export const load: LayoutLoad = async ({ parent }) => {
	const { session } = await parent();
	if (!can(session, 'earning:manage')) error(403, 'Forbidden');
	return {};
};
