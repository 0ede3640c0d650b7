import { fail } from '@sveltejs/kit';
import type { Actions } from './$types';
import { isLocale } from '#lib/i18n/config.ts';
import { isAdminRole } from '#lib/roles.ts';
import { callApi } from '#lib/server/api.ts';
import { readForm, requireFields } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';

export const actions: Actions = {
	/** Invite a staff member with roles and a language; the invitation goes out by e-mail. */
	invite: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const displayName = form.text('displayName');
		const email = form.text('email');
		const locale = form.text('locale');
		const roles = form.all('roles').filter(isAdminRole);
		const values = { displayName, email, locale, roles };

		const errors = requireFields(t, values, ['displayName', 'email', 'roles', 'locale']);
		if (errors || !isLocale(locale)) {
			return fail(400, { action: 'invite', values, errors: errors ?? { locale: t('form.required') } });
		}

		const result = await callApi(event, (api) =>
			api.POST('/api/v1/access/users', {
				body: { kind: 'admin', displayName, email, roles, locale }
			})
		);
		if (!result.ok) return result.fail({ action: 'invite', values });
		return { action: 'invite', done: 'invited' as const, email: result.data.email };
	},

	/** Disable (signs them out) or enable a person. */
	setStatus: async (event) => {
		const form = await readForm(event);
		const userId = form.text('userId');
		const status = form.text('status') === 'active' ? 'active' : 'disabled';
		const result = await callApi(event, (api) =>
			api.PATCH('/api/v1/access/users/{id}', {
				params: { path: { id: userId } },
				body: { status }
			})
		);
		if (!result.ok) return result.fail({ action: 'setStatus', target: userId });
		return {
			action: 'setStatus',
			target: userId,
			done: status === 'active' ? ('enabled' as const) : ('disabled' as const),
			name: result.data.displayName
		};
	}
};
