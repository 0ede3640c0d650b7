import { error } from '@sveltejs/kit';
import { addImageAction, editImageAction, importVouchersAction, stockAction, updateRewardAction } from '#lib/server/catalogue.ts';
import { serverApi } from '#lib/server/api.ts';
import type { Actions } from './$types';

export const actions: Actions = {
	/** Texts, price, co-pay, window, limit, approval and status. */
	save: async (event) => {
		const api = serverApi(event);
		const { data: reward } = await api.GET('/api/v1/catalogue/rewards/{rewardId}', { params: { path: { rewardId: event.params.id } } });
		if (!reward) error(404, 'Not found');
		const { data: program } = await api.GET('/api/v1/programs/{id}', { params: { path: { id: reward.programId } } });
		return updateRewardAction(event, { timeZone: program?.timeZone ?? 'UTC', voucherPool: reward.fulfilment === 'voucher-pool' });
	},
	/** Set, add to, take from the stock, or make it unlimited. */
	stock: (event) => stockAction(event),
	/** Import voucher codes (pasted or uploaded). */
	vouchers: (event) => importVouchersAction(event),
	/** Images: add one (a file and its alternative texts), change an image's texts, move it, remove it. */
	imageAdd: (event) => addImageAction(event),
	imageEdit: (event) => editImageAction(event, 'imageEdit'),
	imageMove: (event) => editImageAction(event, 'imageMove'),
	imageRemove: (event) => editImageAction(event, 'imageRemove')
};
