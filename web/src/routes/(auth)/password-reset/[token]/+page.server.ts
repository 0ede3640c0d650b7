import { fail } from '@sveltejs/kit';
import type { Actions } from './$types';
import { callApi } from '#lib/server/api.ts';
import { checkNewPassword, readForm } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';

export const actions: Actions = {
	default: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const password = form.raw('password');
		const errors = checkNewPassword(t, password, form.raw('confirm'));
		if (errors) return fail(400, { errors });

		const result = await callApi(event, (api) =>
			api.POST('/api/v1/access/password-reset/complete', {
				body: { token: event.params.token, password }
			})
		);
		// A used or expired link (410) cannot be fixed by retyping: the page offers a new one.
		if (!result.ok) return result.fail({ linkInvalid: result.status === 410 || 'token' in (result.state.errors ?? {}) });
		return { done: true };
	}
};
