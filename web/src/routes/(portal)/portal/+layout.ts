import { error, redirect } from '@sveltejs/kit';
import { isPartnerUser } from '#lib/session.ts';
import type { LayoutLoad } from './$types';

/** The partner portal is for users of partner companies; staff work in the admin panel. */
export const load: LayoutLoad = async ({ parent, url, data }) => {
	const { session } = await parent();
	if (!session) redirect(307, `/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`);
	if (!isPartnerUser(session)) error(403, 'Partner users only');
	return { cartLines: data.cartLines };
};
