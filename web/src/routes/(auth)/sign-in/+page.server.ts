import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { LOCALE_COOKIE } from '#lib/i18n/config.ts';
import { LOCALE_COOKIE_OPTIONS } from '#lib/i18n/cookie.ts';
import { callApi, relayCookies } from '#lib/server/api.ts';
import { readForm, requireFields } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';
import { isHttps } from '#lib/server/request.ts';
import { landingPathFor } from '#lib/session.ts';

// Someone already signed in goes straight to their area.
export const load: PageServerLoad = ({ locals, url }) => {
	if (locals.session) redirect(303, landingPathFor(locals.session, url.searchParams.get('next')));
	return { next: url.searchParams.get('next') ?? '', signedOut: url.searchParams.has('signed-out') };
};

export const actions: Actions = {
	default: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const email = form.text('email');
		const password = form.raw('password');
		const next = form.text('next');
		const values = { email, next };

		const errors = requireFields(t, { email, password }, ['email', 'password']);
		if (errors) return fail(400, { values, errors });

		const result = await callApi(event, (api) =>
			api.POST('/api/v1/access/sign-in', { body: { email, password } })
		);
		if (!result.ok) return result.fail({ values });

		// The API set the session cookie on its response to us; hand it to the browser, and let the
		// person's own language follow them.
		relayCookies(event, result.response);
		event.cookies.set(LOCALE_COOKIE, result.data.user.locale, {
			...LOCALE_COOKIE_OPTIONS,
			secure: isHttps(event)
		});
		redirect(303, landingPathFor(result.data, next));
	}
};
