import { fail } from '@sveltejs/kit';
import type { Actions } from './$types';
import { isLocale } from '#lib/i18n/config.ts';
import { isPartnerRole } from '#lib/roles.ts';
import { callApi } from '#lib/server/api.ts';
import { readForm, requireFields } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';

export const actions: Actions = {
	/** Invite a colleague; they get an e-mail with a link to set their password. */
	invite: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const displayName = form.text('displayName');
		const email = form.text('email');
		const role = form.text('role');
		const locale = form.text('locale');
		const values = { displayName, email, role, locale };

		const errors = requireFields(t, values, ['displayName', 'email', 'role', 'locale']);
		if (errors || !isPartnerRole(role) || !isLocale(locale)) {
			return fail(400, { action: 'invite', values, errors: errors ?? { role: t('form.required') } });
		}

		const result = await callApi(event, (api) =>
			api.POST('/api/v1/access/team/invitations', { body: { displayName, email, role, locale } })
		);
		if (!result.ok) return result.fail({ action: 'invite', values });
		return { action: 'invite', done: 'invited' as const, email: result.data.email };
	},

	/** Remove a colleague: their account is disabled, their history stays. */
	remove: async (event) => {
		const form = await readForm(event);
		const userId = form.text('userId');
		const result = await callApi(event, (api) =>
			api.DELETE('/api/v1/access/team/{userId}', { params: { path: { userId } } })
		);
		if (!result.ok) return result.fail({ action: 'remove', target: userId });
		return { action: 'remove', done: 'removed' as const, name: result.data.displayName };
	}
};
