import { Translator } from '#lib/i18n/translator.ts';
import { isStaff, toClientSession } from '#lib/session.ts';
import { loadPluginPages } from '#lib/server/plugin-ui.ts';
import type { LayoutServerLoad } from './$types';

// The request's i18next instance (see hooks.server.ts). The `transport` hook in src/hooks.ts
// serialises it as the active locale plus its resources, so the browser gets only that locale.
// The session tells the header who is signed in and which areas to offer; it reruns after every
// form action (sign-in, sign-out, profile changes refresh all data). Staff also get the admin
// pages of the enabled plugins (nav entries, and what the pages under /admin/plugins render).
export const load: LayoutServerLoad = async (event) => {
	const { locals } = event;
	const session = toClientSession(locals.session);
	return {
		i18n: new Translator(locals.i18n),
		session,
		pluginPages: isStaff(session) ? await loadPluginPages(event) : null
	};
};
