import { error, type RequestEvent } from '@sveltejs/kit';
import { MAX_CODE_CHARS, loadPluginPages, pluginActions, pluginFetch, pluginPageOf } from '#lib/server/plugin-ui.ts';
import { fillRoute, routeParamOf } from '#lib/plugin-ui/render.ts';
import type { Actions, PageServerLoad } from './$types';

/** One record of a plugin's page: its detail route, and the text of its code parts bound to a route (e.g. raw XML). */
export const load: PageServerLoad = async (event) => {
	const { pluginPages } = await event.parent();
	const { page, strings } = pluginPageOf(pluginPages, event.params.plugin, event.params.page);
	if (!page.detail) error(404, 'Not found');
	const params = { [routeParamOf(page.detail.route)]: event.params.id };
	const path = fillRoute(page.detail.route, params);
	if (!path) error(404, 'Not found');
	const response = await pluginFetch(event, page.pluginId, path);
	if (response.status === 404 || response.status === 400) error(404, 'Not found');
	if (!response.ok) error(response.status, 'The record cannot be read');
	const record = (await response.json()) as Record<string, unknown>;
	const codes: Record<number, { text: string; cut: boolean } | null> = {};
	await Promise.all(
		page.detail.parts.map(async (part, i) => {
			if (part.kind !== 'code' || !part.route) return;
			const codePath = fillRoute(part.route, { ...record, ...params });
			const answer = codePath ? await pluginFetch(event, page.pluginId, codePath) : null;
			if (!answer?.ok) {
				codes[i] = null;
				return;
			}
			const text = await answer.text();
			codes[i] = { text: text.slice(0, MAX_CODE_CHARS), cut: text.length > MAX_CODE_CHARS };
		})
	);
	return { page, strings, record, codes, id: event.params.id };
};

async function find(event: RequestEvent) {
	return pluginPageOf(await loadPluginPages(event), event.params.plugin ?? '', event.params.page ?? '');
}

export const actions: Actions = pluginActions(find);
