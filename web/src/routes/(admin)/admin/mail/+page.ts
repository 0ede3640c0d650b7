import { isProblem } from '#lib/api/problem.ts';
import { loadFromApi } from '#lib/api/load.ts';
import { CAUGHT_MAIL_PATH, isCaughtMailList, type CaughtMailList } from '#lib/caught-mail.ts';
import type { PageLoad } from './$types';

/**
 * Mail caught by `laurel dev`'s local catcher. The route exists only there (it is not in the
 * generated API types): a 404 means this installation has no catcher, which the page explains; a
 * 403 is the "no access" page, as everywhere.
 */
export const load: PageLoad = async ({ fetch, url, depends }) => {
	depends('laurel:caught-mail');
	const mail = await loadFromApi(url, async () => {
		const response = await fetch(new URL(CAUGHT_MAIL_PATH, url.origin), { headers: { accept: 'application/json' } });
		const body: unknown = await response.json().catch(() => undefined);
		if (response.ok && isCaughtMailList(body)) return { data: body as CaughtMailList, response };
		return { error: isProblem(body) ? body : undefined, response };
	});
	return { mail, noCatcher: !mail.ok && mail.status === 404 };
};
