import type { TFunction } from 'i18next';
import type { AppNamespaces } from '#lib/i18n/config.ts';
import type { SubmittedForm } from '#lib/server/forms.ts';
import { benefitFieldOf, CONDITION_ROWS, parseDecimal, readBenefits, thresholdOf, WINDOWS, type Localized, type Window } from '#lib/tiers/tiers.ts';

const PARTNER_TYPES = ['distributor', 'wholesaler', 'reseller', 'dealer', 'integrator'] as const;
type PartnerType = (typeof PARTNER_TYPES)[number];

/** Every field of a track or tier form as typed, to give back with a failure. */
export function valuesOf(form: SubmittedForm): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [name, value] of form.data.entries()) if (typeof value === 'string' && name !== 'partnerTypes') out[name] = value.trim();
	return out;
}

const names = (form: SubmittedForm): Localized => ({ en: form.text('nameEn'), pl: form.text('namePl'), ru: form.text('nameRu') });

/** A track form → the API body (what cannot be sent at all is an error here; the API checks the rest). */
export function trackBody(t: TFunction<AppNamespaces>, form: SubmittedForm) {
	const errors: Record<string, string> = {};
	const grace = form.text('graceMonths') ? parseDecimal(form.text('graceMonths')) : 3;
	if (grace === undefined) errors.graceMonths = t('tiers:editor.invalidNumber');
	const steps = form.text('maxDowngradeSteps') ? parseDecimal(form.text('maxDowngradeSteps')) : null;
	if (steps === undefined) errors.maxDowngradeSteps = t('tiers:editor.invalidNumber');
	const every = form.text('every') === 'year' ? 'year' : 'quarter';
	const body = {
		name: names(form),
		partnerTypes: form.all('partnerTypes').filter((x): x is PartnerType => (PARTNER_TYPES as readonly string[]).includes(x)),
		review: { every, graceMonths: grace ?? 0, maxDowngradeSteps: steps ?? null } as { every: 'quarter' | 'year'; graceMonths: number; maxDowngradeSteps: number | null }
	};
	return { body, errors };
}

/**
 * A tier form → the API body: money thresholds typed in whole currency units become minor units; the privilege rows
 * and the catalogue fields become `benefits.privileges` and `benefits.catalogue`.
 */
export function tierBody(t: TFunction<AppNamespaces>, form: SubmittedForm, currencyDigits: number) {
	const errors: Record<string, string> = {};
	const benefits = readBenefits(valuesOf(form));
	for (const [field, error] of Object.entries(benefits.errors)) errors[field] = error === 'required' ? t('form.required') : error === 'code' ? t('tiers:editor.privilegeCodeInvalid') : t('tiers:editor.privilegeDuplicate');
	const rank = parseDecimal(form.text('rank'));
	if (rank === undefined) errors.rank = t('tiers:editor.invalidNumber');
	const multiplier = form.text('multiplier') ? parseDecimal(form.text('multiplier')) : 1;
	if (multiplier === undefined) errors.multiplier = t('tiers:editor.invalidNumber');
	const conditions: { metric: string; min: number; window: Window }[] = [];
	/** The form row of each condition sent (rows left empty are not sent). */
	const rows: number[] = [];
	for (let i = 0; i < CONDITION_ROWS; i += 1) {
		const metric = form.text(`metric${i}`);
		if (!metric) continue;
		const min = parseDecimal(form.text(`min${i}`));
		if (min === undefined) {
			errors[`min${i}`] = t('tiers:editor.invalidNumber');
			continue;
		}
		const window = (WINDOWS as readonly string[]).includes(form.text(`window${i}`)) ? (form.text(`window${i}`) as Window) : 'rolling-12-months';
		conditions.push({ metric, min: thresholdOf(metric, min, currencyDigits), window });
		rows.push(i);
	}
	const body = {
		name: names(form),
		rank: rank ?? 0,
		qualification: { mode: form.text('mode') === 'any' ? ('any' as const) : ('all' as const), conditions },
		benefits: { multiplier: multiplier ?? 1, privileges: benefits.privileges, catalogue: benefits.catalogue }
	};
	return { body, errors, rows, privilegeRows: benefits.rows };
}

/**
 * The API's field errors (`qualification.conditions.1.min`, `name.pl`, `benefits.privileges.0.code` …) under the form's
 * field names; `rows` and `privilegeRows` are the form rows of the conditions and privileges sent.
 */
export function formErrors(errors: Record<string, string> | undefined, rows: number[] = [], privilegeRows: number[] = []): Record<string, string> {
	const simple: Record<string, string> = { 'name.en': 'nameEn', 'name.pl': 'namePl', 'name.ru': 'nameRu', 'benefits.multiplier': 'multiplier', 'review.graceMonths': 'graceMonths', 'review.maxDowngradeSteps': 'maxDowngradeSteps' };
	const out: Record<string, string> = {};
	for (const [key, message] of Object.entries(errors ?? {})) {
		const condition = /^qualification\.conditions\.(\d+)\.(metric|min|window)$/.exec(key);
		out[condition ? `${condition[2]}${rows[Number(condition[1])] ?? condition[1]}` : (benefitFieldOf(key, privilegeRows) ?? simple[key] ?? key)] ??= message;
	}
	return out;
}
