import { error, redirect } from '@sveltejs/kit';
import { isStaff } from '#lib/session.ts';
import type { LayoutLoad } from './$types';

/**
 * The admin panel is for staff. Anonymous visitors are sent to sign in (and back here afterwards);
 * partner users get the localized "no access" page, never data. The API checks every request again.
 */
export const load: LayoutLoad = async ({ parent, url }) => {
	const { session } = await parent();
	if (!session) redirect(307, `/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`);
	if (!isStaff(session)) error(403, 'Staff only');
	return {};
};
