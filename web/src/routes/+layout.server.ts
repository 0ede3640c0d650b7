import { Translator } from '#lib/i18n/translator.ts';
import type { LayoutServerLoad } from './$types';

// The request's i18next instance (see hooks.server.ts). The `transport` hook in src/hooks.ts
// serialises it as the active locale plus its resources, so the browser gets only that locale.
export const load: LayoutServerLoad = ({ locals }) => {
	return { i18n: new Translator(locals.i18n) };
};
