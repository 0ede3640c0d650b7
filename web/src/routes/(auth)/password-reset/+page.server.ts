import { fail } from '@sveltejs/kit';
import type { Actions } from './$types';
import { callApi } from '#lib/server/api.ts';
import { readForm, requireFields } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';

export const actions: Actions = {
	default: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const email = form.text('email');
		const values = { email };

		const errors = requireFields(t, values, ['email']);
		if (errors) return fail(400, { values, errors });

		// The API answers alike whether the account exists or not, and so does this page.
		const result = await callApi(event, (api) =>
			api.POST('/api/v1/access/password-reset', { body: { email } })
		);
		if (!result.ok) return result.fail({ values });
		return { sent: true, email };
	}
};
