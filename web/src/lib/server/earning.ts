import { fail, redirect, type RequestEvent } from '@sveltejs/kit';
import {
	TARGETS,
	UUID,
	buildInvoice,
	isEventType,
	parseInteger,
	parseJsonText,
	parsePointsPerUnit,
	startOfDay,
	toFormRows,
	type EventType,
	type LineInput,
	type Rule,
	type Simulation
} from '#lib/earning/earning.ts';
import { MAX_LINES } from '#lib/earning/limits.ts';
import type { FormState } from '#lib/forms.ts';
import { callApi, type ApiOutcome } from './api.ts';
import { createOnceGuard } from './earning-once.ts';
import { readForm, requireFields, type SubmittedForm } from './forms.ts';
import { translatorOf } from './i18n.ts';

const guard = createOnceGuard();

/** A double submit of one rendering of a form (same nonce, same person) gets the first outcome (`earning-once.ts`). */
function once<D>(event: RequestEvent, kind: string, nonce: string, run: () => Promise<ApiOutcome<D>>): Promise<ApiOutcome<D>> {
	return guard(event.locals.session?.user.id ?? 'anonymous', kind, nonce, run);
}

const RULE_FIELDS = ['programId', 'code', 'name', 'validFrom', 'validTo', 'priority', 'condition', 'effect.type', 'effect.pointsPerUnit', 'effect.target'] as const;

/** The rule form's values as typed, to fill it again after a failure. */
function ruleValues(form: SubmittedForm): Record<string, string | string[]> {
	const values: Record<string, string | string[]> = Object.fromEntries(RULE_FIELDS.map((name) => [name, form.text(name)]));
	values.condition = form.raw('condition');
	values['effect.params'] = form.raw('effect.params');
	values.eventTypes = form.all('eventTypes');
	return values;
}

/** The body of POST /rules as the rule form gives it. */
export interface RuleBody {
	programId: string;
	code: string;
	name: string;
	validFrom: string;
	validTo: string | null;
	priority: number;
	eventTypes: EventType[];
	condition: unknown;
	/** Per currency unit (built in), or an effect type a plugin registered (`<plugin>.<name>`) with its params. */
	effect:
		| { type: 'per-amount'; pointsPerUnit: number; target: (typeof TARGETS)[number]; rounding: 'floor' }
		| { type: string; params: Record<string, unknown>; target: (typeof TARGETS)[number] };
}

/**
 * The rule form read and checked: the values as typed, the problems by field and, when there is none, the rule
 * (saved by `?/create`, simulated unsaved by `?/simulateDraft`).
 */
export async function readRuleForm(
	event: RequestEvent,
	timeZones: (programId: string) => Promise<string>
): Promise<{ form: SubmittedForm; values: Record<string, string | string[]>; errors: Record<string, string>; body: RuleBody | null }> {
	const t = translatorOf(event);
	const form = await readForm(event);
	const values = ruleValues(form);
	const text = (name: string) => String(values[name] ?? '');
	// A plugin's effect type (`<plugin>.<name>`) takes JSON params instead of points per unit.
	const pluginEffect = text('effect.type').includes('.') ? text('effect.type') : null;
	const errors: Record<string, string> =
		requireFields(t, values, ['programId', 'code', 'name', 'validFrom', 'eventTypes', 'condition', ...(pluginEffect ? [] : ['effect.pointsPerUnit']), 'effect.target']) ?? {};
	const eventTypes = (values.eventTypes as string[]).filter(isEventType) as EventType[];
	if ((values.eventTypes as string[]).length > 0 && eventTypes.length !== (values.eventTypes as string[]).length) errors.eventTypes = t('earning:rules.form.eventTypesInvalid');
	if (text('code') && !/^[a-z0-9][a-z0-9._-]{0,79}$/.test(text('code'))) errors.code = t('earning:rules.form.codeInvalid');
	const priority = text('priority') ? parseInteger(text('priority')) : 0;
	if (priority === null || priority < -1000 || priority > 1000) errors.priority = t('earning:rules.form.priorityInvalid');
	let params: Record<string, unknown> = {};
	if (pluginEffect && text('effect.params').trim()) {
		const parsed = parseJsonText(text('effect.params'));
		if (parsed.ok && parsed.value !== null && typeof parsed.value === 'object' && !Array.isArray(parsed.value)) params = parsed.value as Record<string, unknown>;
		else errors['effect.params'] = t('earning:rules.form.effectParamsInvalid', parsed.ok ? { line: 1, column: 1 } : { line: parsed.line, column: parsed.column });
	}
	const pointsPerUnit = pluginEffect ? null : parsePointsPerUnit(text('effect.pointsPerUnit'));
	if (!pluginEffect && text('effect.pointsPerUnit') && pointsPerUnit === null) errors['effect.pointsPerUnit'] = t('earning:rules.form.pointsPerUnitInvalid');
	const target = text('effect.target');
	if (target && !(TARGETS as readonly string[]).includes(target)) errors['effect.target'] = t('form.required');
	let condition: unknown;
	if (text('condition').trim()) {
		const parsed = parseJsonText(text('condition'));
		if (parsed.ok) condition = parsed.value;
		else errors.condition = t('earning:rules.form.conditionInvalid', { line: parsed.line, column: parsed.column });
	}
	const programId = text('programId');
	if (programId && !UUID.test(programId)) errors.programId = t('form.required');
	const timeZone = programId && UUID.test(programId) ? await timeZones(programId) : 'UTC';
	const validFrom = text('validFrom') ? startOfDay(text('validFrom'), timeZone) : null;
	const validTo = text('validTo') ? startOfDay(text('validTo'), timeZone) : null;
	if (text('validFrom') && !validFrom) errors.validFrom = t('earning:rules.form.dateInvalid');
	if (text('validTo') && !validTo) errors.validTo = t('earning:rules.form.dateInvalid');
	if (validFrom && validTo && validTo <= validFrom) errors.validTo = t('earning:rules.form.validToBeforeFrom');
	if (Object.keys(errors).length > 0) return { form, values, errors, body: null };
	const body: RuleBody = {
		programId,
		code: text('code'),
		name: text('name'),
		validFrom: validFrom!,
		validTo,
		priority: priority!,
		eventTypes,
		condition,
		effect: pluginEffect
			? { type: pluginEffect, params, target: target as (typeof TARGETS)[number] }
			: { type: 'per-amount', pointsPerUnit: pointsPerUnit!, target: target as (typeof TARGETS)[number], rounding: 'floor' }
	};
	return { form, values, errors, body };
}

/** `?/create` of the new-rule page: a draft rule (a new version when the code exists), then its page. */
export async function createRuleAction(event: RequestEvent, timeZones: (programId: string) => Promise<string>) {
	const { form, values, errors, body } = await readRuleForm(event, timeZones);
	if (!body) return fail(400, { action: 'create', values, errors } satisfies FormState);

	const result = await once(event, 'rule', form.text('nonce'), () => callApi(event, (api) => api.POST('/api/v1/earning/rules', { body })));
	if (!result.ok) return result.fail({ action: 'create', values });
	redirect(303, `/admin/earning/rules/${result.data.id}?created`);
}

/** `?/activate` and `?/retire` of a rule's page. */
export async function ruleStatusAction(event: RequestEvent<{ id: string }>, action: 'activate' | 'retire') {
	const t = translatorOf(event);
	const form = await readForm(event);
	const id = event.params.id;
	if (!UUID.test(id)) return fail(400, { action, message: t('errors.unexpected', { status: 400 }) });
	const result = await once(event, action, form.text('nonce'), () =>
		callApi<Rule>(event, (api) =>
			action === 'activate'
				? api.POST('/api/v1/earning/rules/{id}/activate', { params: { path: { id } }, body: { idempotencyKey: `web:rule:activate:${id}:${form.text('nonce')}` } })
				: api.POST('/api/v1/earning/rules/{id}/retire', { params: { path: { id } }, body: { idempotencyKey: `web:rule:retire:${id}:${form.text('nonce')}` } })
		)
	);
	if (!result.ok) return result.fail({ action });
	return { action, done: action === 'activate' ? ('activated' as const) : ('retired' as const) };
}

/** The simulation form's lines (`lines.<row>.sku` …) as typed, rows up to the last one given. */
function linesOf(form: SubmittedForm): LineInput[] {
	const lines: LineInput[] = [];
	for (let row = 0; row < MAX_LINES; row += 1) {
		const field = (name: string) => form.text(`lines.${row}.${name}`);
		lines.push({ sku: field('sku'), quantity: field('quantity'), netAmount: field('netAmount'), category: field('category') });
	}
	let last = lines.length;
	while (last > 1 && Object.values(lines[last - 1]!).every((v) => v === '')) last -= 1;
	return lines.slice(0, last);
}

/**
 * `?/simulate`: what an invoice would earn under the rules in force on its date, line by line; posts nothing. The
 * invoice is built from the form (partner, date, currency, lines in currency units) or pasted as the event's JSON.
 */
export async function simulateAction(event: RequestEvent, defaults: { programId: string; timeZone: string; draftIds?: string[] }) {
	const t = translatorOf(event);
	const form = await readForm(event);
	const lines = linesOf(form);
	const values: Record<string, string | string[]> = {
		partner: form.text('partner'),
		occurredOn: form.text('occurredOn'),
		currency: form.text('currency'),
		number: form.text('number'),
		json: form.raw('json'),
		rows: String(lines.length)
	};
	lines.forEach((line, row) => {
		for (const [name, value] of Object.entries(line)) values[`lines.${row}.${name}`] = value;
	});
	const state = (extra: FormState & { simulation?: Simulation }) => ({ action: 'simulate', values, ...extra });

	let body: Record<string, unknown>;
	let rows: number[] | null = null;
	if (form.raw('json').trim()) {
		const parsed = parseJsonText(form.raw('json'));
		if (!parsed.ok) return fail(400, state({ errors: { json: t('earning:simulate.jsonInvalid', { line: parsed.line, column: parsed.column }) } }));
		if (!parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
			return fail(400, state({ errors: { json: t('earning:simulate.jsonNotObject') } }));
		}
		body = { type: 'invoice.issued', source: 'laurel-simulation', externalId: 'simulation', ...(parsed.value as Record<string, unknown>) };
		if (!('programId' in body) && defaults.programId) body.programId = defaults.programId;
	} else {
		const built = buildInvoice({
			programId: defaults.programId,
			partner: form.text('partner'),
			occurredOn: form.text('occurredOn'),
			currency: form.text('currency'),
			number: form.text('number'),
			lines,
			timeZone: defaults.timeZone
		});
		if (!built.ok) {
			const errors = Object.fromEntries(Object.entries(built.errors).map(([key, code]) => [key, t(`earning:simulate.errors.${code}`)]));
			return fail(400, state({ errors }));
		}
		body = built.event;
		rows = built.rows;
	}

	const drafts = defaults.draftIds ?? [];
	const result = await callApi<Simulation>(event, (api) =>
		// The API checks the pasted event field by field and names what is wrong. A draft runs with the rule set it would make.
		drafts.length > 0
			? api.POST('/api/v1/earning/simulate/draft', { body: { event: body, ruleIds: drafts } })
			: api.POST('/api/v1/earning/simulate', { body: body as never })
	);
	if (!result.ok) {
		const errors = drafts.length > 0 ? eventErrors(result.state.errors ?? {}) : (result.state.errors ?? {});
		return fail(result.status, state({ ...result.state, errors: rows ? toFormRows(errors, rows) : errors }));
	}
	return state({ simulation: result.data });
}

/** Problems of a draft simulation's event (`event.lines.0.sku`) under the simulation form's names (`lines.0.sku`). */
export function eventErrors(errors: Record<string, string>): Record<string, string> {
	return Object.fromEntries(Object.entries(errors).map(([key, message]) => [key.startsWith('event.') ? key.slice('event.'.length) : key, message]));
}

/** `?/map` of the unmatched queue: the event belongs to this partner; it is processed at once. */
export async function mapAction(event: RequestEvent) {
	const t = translatorOf(event);
	const form = await readForm(event);
	const eventId = form.text('eventId');
	const partnerId = form.text('partnerId');
	const values = { partnerId, q: form.text('q') };
	if (!UUID.test(eventId)) return fail(400, { action: 'map', target: eventId, message: t('errors.unexpected', { status: 400 }) });
	if (!UUID.test(partnerId)) return fail(400, { action: 'map', target: eventId, values, errors: { partnerId: t('earning:unmatched.choosePartner') } });
	const result = await once(event, `map:${eventId}`, form.text('nonce'), () =>
		callApi(event, (api) =>
			api.POST('/api/v1/earning/events/{id}/resolve', { params: { path: { id: eventId } }, body: { action: 'map', partnerId } })
		)
	);
	if (!result.ok) return result.fail({ action: 'map', target: eventId, values });
	return { action: 'map', target: eventId, done: 'mapped' as const, partnerId, points: result.data.points, status: result.data.status };
}

/** `?/reject` of the unmatched queue: the event is rejected for good, with a reason. */
export async function rejectAction(event: RequestEvent) {
	const t = translatorOf(event);
	const form = await readForm(event);
	const eventId = form.text('eventId');
	const reason = form.text('reason');
	const values = { reason };
	if (!UUID.test(eventId)) return fail(400, { action: 'reject', target: eventId, message: t('errors.unexpected', { status: 400 }) });
	const errors = requireFields(t, { reason }, ['reason']);
	if (errors) return fail(400, { action: 'reject', target: eventId, values, errors });
	const result = await once(event, `reject:${eventId}`, form.text('nonce'), () =>
		callApi(event, (api) =>
			api.POST('/api/v1/earning/events/{id}/resolve', { params: { path: { id: eventId } }, body: { action: 'reject', reason } })
		)
	);
	if (!result.ok) return result.fail({ action: 'reject', target: eventId, values });
	return { action: 'reject', target: eventId, done: 'rejected' as const };
}
