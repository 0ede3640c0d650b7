import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { clearSessionCookie, serverApi } from '#lib/server/api.ts';

// Visiting /sign-out shows a button (signing out is a POST); with nobody signed in there is
// nothing to do.
export const load: PageServerLoad = ({ locals }) => {
	if (!locals.session) redirect(303, '/sign-in');
	return {};
};

export const actions: Actions = {
	default: async (event) => {
		if (event.locals.session) {
			try {
				const { response } = await serverApi(event).POST('/api/v1/access/sign-out');
				if (!response.ok && response.status !== 401) {
					console.error(`[laurel-web] sign-out answered HTTP ${response.status}`);
				}
			} catch (cause) {
				// The browser forgets the session either way.
				console.error('[laurel-web] sign-out failed', cause);
			}
		}
		clearSessionCookie(event);
		redirect(303, '/sign-in?signed-out');
	}
};
