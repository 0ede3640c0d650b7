import type { Actions } from './$types';
import { attachAction, messageAction } from '#lib/disputes/forms.server.ts';

export const actions: Actions = {
	message: (event) => messageAction(event, 'partner'),
	attach: (event) => attachAction(event, 'partner')
};
