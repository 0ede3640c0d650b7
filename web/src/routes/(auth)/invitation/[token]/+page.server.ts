import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { LOCALE_COOKIE } from '#lib/i18n/config.ts';
import { LOCALE_COOKIE_OPTIONS } from '#lib/i18n/cookie.ts';
import { callApi, relayCookies } from '#lib/server/api.ts';
import { checkNewPassword, readForm } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';
import { isHttps } from '#lib/server/request.ts';
import { landingPathFor } from '#lib/session.ts';

export const load: PageServerLoad = ({ locals }) => {
	// Accepting signs the invitee in; say so when someone else is signed in in this browser.
	return { signedInAs: locals.session?.user.displayName ?? null };
};

export const actions: Actions = {
	default: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const displayName = form.text('displayName');
		const password = form.raw('password');
		const values = { displayName };
		const errors = checkNewPassword(t, password, form.raw('confirm'));
		if (errors) return fail(400, { values, errors });

		const result = await callApi(event, (api) =>
			api.POST('/api/v1/access/invitations/accept', {
				body: { token: event.params.token, password, ...(displayName ? { displayName } : {}) }
			})
		);
		if (!result.ok) {
			return result.fail({ values, linkInvalid: result.status === 410 || 'token' in (result.state.errors ?? {}) });
		}

		// Signed in: the API's session cookie goes to the browser, the UI speaks their language.
		relayCookies(event, result.response);
		event.cookies.set(LOCALE_COOKIE, result.data.user.locale, {
			...LOCALE_COOKIE_OPTIONS,
			secure: isHttps(event)
		});
		redirect(303, landingPathFor(result.data, null));
	}
};
