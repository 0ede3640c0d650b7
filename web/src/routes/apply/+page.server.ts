import { fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { isLocale } from '#lib/i18n/config.ts';
import { isPartnerType } from '#lib/partners.ts';
import { callApi } from '#lib/server/api.ts';
import { readForm, requireFields } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';

export const load: PageServerLoad = ({ url }) => {
	return { programCode: url.searchParams.get('program')?.trim() ?? '' };
};

const FIELDS = [
	'programCode',
	'nip',
	'legalName',
	'type',
	'region',
	'applicant.name',
	'applicant.email',
	'applicant.locale',
	'applicant.phone'
] as const;

export const actions: Actions = {
	/** A company applies to a program (public); an admin approves or rejects it later. */
	default: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const values = Object.fromEntries(FIELDS.map((name) => [name, form.text(name)])) as Record<
			(typeof FIELDS)[number],
			string
		>;

		const errors = requireFields(t, values, [
			'programCode',
			'nip',
			'legalName',
			'type',
			'applicant.name',
			'applicant.email',
			'applicant.locale'
		]);
		const type = values.type;
		const locale = values['applicant.locale'];
		if (errors || !isPartnerType(type) || !isLocale(locale)) {
			return fail(400, { values, errors: errors ?? { type: t('form.required') } });
		}

		const phone = values['applicant.phone'];
		const result = await callApi(event, (api) =>
			api.POST('/api/v1/partners/applications', {
				body: {
					programCode: values.programCode,
					nip: values.nip,
					legalName: values.legalName,
					type,
					region: values.region || null,
					applicant: {
						name: values['applicant.name'],
						email: values['applicant.email'],
						locale,
						...(phone ? { phone } : {})
					}
				}
			})
		);
		if (!result.ok) {
			// A program that does not take applications now is a problem with the program code.
			const errors = { ...result.state.errors };
			if (result.state.code === 'PARTNERS_PROGRAM_NOT_OPEN' && result.state.message) {
				errors.programCode ??= result.state.message;
			}
			return result.fail({ values, errors });
		}
		return { done: true, legalName: values.legalName, email: values['applicant.email'], partnerCode: result.data.partnerCode };
	}
};
