import { fail, type RequestEvent } from '@sveltejs/kit';
import { UUID, parseJsonText, type DraftSimulation } from '#lib/earning/earning.ts';
import type { FormState } from '#lib/forms.ts';
import { callApi } from './api.ts';
import { readRuleForm } from './earning.ts';
import { translatorOf } from './i18n.ts';

/**
 * Where a problem of the draft simulation belongs on the rule form: the rule's fields (`rule.code` → `code`,
 * `rule.effect.pointsPerUnit` → `effect.pointsPerUnit`), the sample event (`event.…` → the field it came from).
 */
export function draftErrors(errors: Record<string, string>, sampleField: 'sample' | 'sampleJson'): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [key, message] of Object.entries(errors)) {
		const field = key.startsWith('rule.') ? key.slice('rule.'.length) : key === 'event' || key.startsWith('event.') ? sampleField : key;
		out[field] ??= message;
	}
	return out;
}

/**
 * `?/simulateDraft` of the rule editor: the rule as typed (not saved) against a sample event — picked from the recent
 * events (`sample`, an event id) or typed as JSON (`sampleJson`) — under the rule set it would make. Posts nothing.
 */
export async function simulateDraftAction(event: RequestEvent, timeZones: (programId: string) => Promise<string>) {
	const t = translatorOf(event);
	const { form, values, errors, body } = await readRuleForm(event, timeZones);
	values.sample = form.text('sample');
	values.sampleJson = form.raw('sampleJson');
	const state = (extra: FormState & { simulation?: DraftSimulation }) => ({ action: 'simulateDraft', values, ...extra });

	let sample: Record<string, unknown> | null = null;
	const typed = form.raw('sampleJson').trim();
	const sampleField = typed ? 'sampleJson' : 'sample';
	if (typed) {
		const parsed = parseJsonText(typed);
		if (!parsed.ok) errors.sampleJson = t('earning:simulate.jsonInvalid', { line: parsed.line, column: parsed.column });
		else if (!parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) errors.sampleJson = t('earning:simulate.jsonNotObject');
		else sample = { type: 'invoice.issued', source: 'laurel-simulation', externalId: 'simulation', ...(parsed.value as Record<string, unknown>) };
	} else if (UUID.test(form.text('sample'))) {
		const picked = await callApi(event, (api) => api.GET('/api/v1/earning/events/{id}', { params: { path: { id: form.text('sample') } } }));
		if (picked.ok) sample = { ...picked.data.payload, ...(picked.data.programId ? { programId: picked.data.programId } : {}) };
		else errors.sample = picked.state.message ?? t('earning:draft.sampleRequired');
	} else errors.sample = t('earning:draft.sampleRequired');
	if (Object.keys(errors).length > 0 || !body || !sample) return fail(400, state({ errors }));
	if (!('programId' in sample)) sample.programId = body.programId;

	const { programId: _programId, ...rule } = body;
	const result = await callApi<DraftSimulation>(event, (api) => api.POST('/api/v1/earning/simulate/draft', { body: { event: sample, rule } }));
	if (!result.ok) return fail(result.status, state({ ...result.state, errors: draftErrors(result.state.errors ?? {}, sampleField) }));
	return state({ simulation: result.data });
}
