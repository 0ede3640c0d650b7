import { fail, redirect } from '@sveltejs/kit';
import type { Actions } from './$types';
import { isPartnerType } from '#lib/partners.ts';
import { callApi } from '#lib/server/api.ts';
import { readForm, requireFields } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';

const FIELDS = ['programId', 'legalName', 'nip', 'regon', 'euVat', 'krs', 'type', 'region', 'country', 'partnerCode'] as const;

export const actions: Actions = {
	/** Add an active partner; the API validates NIP, REGON, EU VAT and KRS and names bad fields. */
	default: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const values = Object.fromEntries(FIELDS.map((name) => [name, form.text(name)])) as Record<
			(typeof FIELDS)[number],
			string
		>;

		const errors = requireFields(t, values, ['programId', 'legalName', 'type']);
		const type = values.type;
		if (errors || !isPartnerType(type)) {
			return fail(400, { values, errors: errors ?? { type: t('form.required') } });
		}

		const optional = (value: string) => value || null;
		const result = await callApi(event, (api) =>
			api.POST('/api/v1/partners/', {
				body: {
					programId: values.programId,
					legalName: values.legalName,
					type,
					nip: optional(values.nip),
					regon: optional(values.regon),
					euVat: optional(values.euVat),
					krs: optional(values.krs),
					region: optional(values.region),
					...(values.country ? { country: values.country.toUpperCase() } : {}),
					...(values.partnerCode ? { partnerCode: values.partnerCode } : {})
				}
			})
		);
		if (!result.ok) return result.fail({ values });
		redirect(303, `/admin/partners/${result.data.id}?created`);
	}
};
