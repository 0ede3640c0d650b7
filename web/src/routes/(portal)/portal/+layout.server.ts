import { readCart } from '#lib/server/cart.ts';
import type { LayoutServerLoad } from './$types';

/** The number of lines in the partner's cart (a cookie), for the cart link in the navigation. */
export const load: LayoutServerLoad = (event) => ({ cartLines: readCart(event).length });
