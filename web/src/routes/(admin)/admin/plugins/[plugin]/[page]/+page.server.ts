import type { RequestEvent } from '@sveltejs/kit';
import { loadPluginPages, loadTable, pluginActions, pluginPageOf } from '#lib/server/plugin-ui.ts';
import type { PluginTableSection } from '#lib/plugin-ui/types.ts';
import type { Actions, PageServerLoad } from './$types';

/** A plugin's admin page (declared with ctx.ui.adminPage): its tables' rows are read here, on the server. */
export const load: PageServerLoad = async (event) => {
	const { pluginPages } = await event.parent();
	const { page, strings } = pluginPageOf(pluginPages, event.params.plugin, event.params.page);
	const tables = await Promise.all(page.sections.filter((s): s is PluginTableSection => s.kind === 'table').map((s) => loadTable(event, page.pluginId, s)));
	return { page, strings, tables };
};

async function find(event: RequestEvent) {
	return pluginPageOf(await loadPluginPages(event), event.params.plugin ?? '', event.params.page ?? '');
}

export const actions: Actions = pluginActions(find);
