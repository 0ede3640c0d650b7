import { fail, redirect } from '@sveltejs/kit';
import type { Actions } from './$types';
import { isLocale, LOCALE_COOKIE } from '#lib/i18n/config.ts';
import { LOCALE_COOKIE_OPTIONS } from '#lib/i18n/cookie.ts';
import { callApi, clearSessionCookie } from '#lib/server/api.ts';
import { readForm, requireFields } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';
import { isHttps } from '#lib/server/request.ts';

export const actions: Actions = {
	/** Change the display name and language. The page is then loaded again, in the new language. */
	save: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const displayName = form.text('displayName');
		const locale = form.text('locale');
		const values = { displayName, locale };

		const errors = requireFields(t, values, ['displayName', 'locale']);
		if (errors || !isLocale(locale)) {
			return fail(400, { action: 'save', values, errors: errors ?? { locale: t('form.required') } });
		}

		const result = await callApi(event, (api) =>
			api.PATCH('/api/v1/access/me', { body: { displayName, locale } })
		);
		if (!result.ok) return result.fail({ action: 'save', values });

		event.cookies.set(LOCALE_COOKIE, result.data.locale, { ...LOCALE_COOKIE_OPTIONS, secure: isHttps(event) });
		// A new request: this one was rendered in the old language.
		redirect(303, '/portal/profile?saved');
	},

	/** Sign out of every browser and device, this one included. */
	signOutEverywhere: async (event) => {
		const result = await callApi(event, (api) => api.POST('/api/v1/access/sign-out-everywhere'));
		if (!result.ok) return result.fail({ action: 'signOutEverywhere' });
		clearSessionCookie(event);
		redirect(303, '/sign-in?signed-out');
	}
};
