import { fail } from '@sveltejs/kit';
import type { Actions } from './$types';
import { callApi } from '#lib/server/api.ts';
import { readForm, requireFields } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';

export const actions: Actions = {
	/** Create a key. Its secret is in this one response only: the page shows it once. */
	create: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const name = form.text('name');
		const scopes = form.all('scopes');
		const values = { name, scopes };

		const errors = requireFields(t, values, ['name', 'scopes']);
		if (errors) return fail(400, { action: 'create', values, errors });

		const result = await callApi(event, (api) =>
			api.POST('/api/v1/access/api-keys', { body: { name, scopes } })
		);
		if (!result.ok) return result.fail({ action: 'create', values });
		return {
			action: 'create',
			done: 'created' as const,
			key: result.data.key,
			name: result.data.apiKey.name
		};
	},

	/** Revoke a key: integrations using it stop working at once. */
	revoke: async (event) => {
		const form = await readForm(event);
		const id = form.text('id');
		const result = await callApi(event, (api) =>
			api.DELETE('/api/v1/access/api-keys/{id}', { params: { path: { id } } })
		);
		if (!result.ok) return result.fail({ action: 'revoke', target: id });
		return { action: 'revoke', done: 'revoked' as const, target: id, name: result.data.name };
	}
};
