import type { Transport } from '@sveltejs/kit/hooks';
import { Translator } from '#lib/i18n/translator.ts';

/**
 * The root layout returns the request's translator as data. On its way to the browser it is
 * reduced to the active locale and its resources, and rebuilt there into an equivalent
 * i18next instance.
 */
export const transport: Transport = {
	Translator: {
		encode: (value) => value instanceof Translator && [value.locale, value.resources()],
		decode: ([locale, resources]) => Translator.fromResources(locale, resources)
	}
};
