import { redirect } from '@sveltejs/kit';
import type { PageLoad } from './$types';

/** Earning opens on its rules. */
export const load: PageLoad = () => redirect(307, '/admin/earning/rules');
