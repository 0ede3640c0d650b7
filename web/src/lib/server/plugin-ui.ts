import { error, fail, redirect, type RequestEvent } from '@sveltejs/kit';
import { fieldErrorsOf, isProblem } from '#lib/api/problem.ts';
import type { FormState } from '#lib/forms.ts';
import { fillRoute, pluginApiPath, pluginText, valueAt } from '#lib/plugin-ui/render.ts';
import type { PluginAction, PluginFormField, PluginPage, PluginPages, PluginTableSection } from '#lib/plugin-ui/types.ts';
import { clearSessionCookie } from './api.ts';
import { translatorOf } from './i18n.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD']);
/** The most of a raw document shown on a page (the rest is cut, with a note). */
export const MAX_CODE_CHARS = 200_000;

/**
 * The admin pages of the enabled plugins this person may open, with their strings in the person's language; null when
 * the API cannot say (the panel then simply shows no plugin pages).
 */
export async function loadPluginPages(event: Pick<RequestEvent, 'fetch' | 'locals'>): Promise<PluginPages | null> {
	try {
		const response = await event.fetch(`/api/v1/system/admin-pages?locale=${event.locals.locale}`);
		if (!response.ok) return null;
		return (await response.json()) as PluginPages;
	} catch {
		return null;
	}
}

/** A plugin's page by its ids, or the 404 page. */
export function pluginPageOf(pages: PluginPages | null, pluginId: string, pageId: string): { page: PluginPage; strings: object } {
	const page = pages?.pages.find((p) => p.pluginId === pluginId && p.id === pageId);
	if (!pages || !page) error(404, 'Not found');
	return { page, strings: pages.strings[pluginId] ?? {} };
}

/**
 * A request to one of the plugin's own routes (never anything else: the route comes from the page, checked at start-up,
 * its parameters encoded as single path segments), with the session's CSRF token on unsafe methods.
 */
export async function pluginFetch(event: RequestEvent, pluginId: string, path: string, init: { method?: string; body?: BodyInit; json?: unknown; query?: URLSearchParams } = {}): Promise<Response> {
	const method = init.method ?? 'GET';
	const headers = new Headers({ accept: 'application/json, application/problem+json, */*' });
	const csrfToken = event.locals.session?.csrfToken;
	if (csrfToken && !SAFE_METHODS.has(method)) headers.set('x-csrf-token', csrfToken);
	let body = init.body;
	if (init.json !== undefined) {
		headers.set('content-type', 'application/json');
		body = JSON.stringify(init.json);
	}
	const query = init.query && [...init.query].length > 0 ? `?${init.query}` : '';
	const response = await event.fetch(`${pluginApiPath(pluginId, path)}${query}`, { method, headers, body });
	if (response.status === 401 && event.locals.session) {
		clearSessionCookie(event);
		redirect(303, `/sign-in?next=${encodeURIComponent(event.url.pathname + event.url.search)}`);
	}
	return response;
}

async function bodyOf(response: Response): Promise<unknown> {
	const text = await response.text();
	if (!text) return null;
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

/** What went wrong, as form state: the API's localized problem (title, detail, field errors). */
function problemState(event: RequestEvent, status: number, body: unknown): FormState {
	const t = translatorOf(event);
	return isProblem(body) ? { title: body.title, message: body.detail, code: body.code, errors: fieldErrorsOf(body) } : { message: t('errors.unexpected', { status }) };
}

export interface TableData {
	id: string;
	rows: Record<string, unknown>[];
	/** The cursor of the next page, if there is one. */
	next: string | null;
	/** Filters as set (by field name). */
	filters: Record<string, string>;
	/** Why the rows could not be read. */
	error: string | null;
}

/** The rows of a table section: filters and the cursor come from the page URL, as `<section id>.<name>`. */
export async function loadTable(event: RequestEvent, pluginId: string, section: PluginTableSection): Promise<TableData> {
	const query = new URLSearchParams();
	const filters: Record<string, string> = {};
	for (const f of section.filters ?? []) {
		const value = event.url.searchParams.get(`${section.id}.${f.name}`);
		if (value) {
			query.set(f.name, value);
			filters[f.name] = value;
		}
	}
	if (section.paging) {
		const cursor = event.url.searchParams.get(`${section.id}.${section.paging.param}`);
		if (cursor) query.set(section.paging.param, cursor);
	}
	const response = await pluginFetch(event, pluginId, section.route, { query });
	const body = await bodyOf(response);
	if (!response.ok) return { id: section.id, rows: [], next: null, filters, error: problemState(event, response.status, body).message ?? null };
	const rows = section.items === '' ? body : valueAt(body, section.items ?? 'items');
	const next = section.paging ? valueAt(body, section.paging.next) : null;
	return { id: section.id, rows: Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [], next: typeof next === 'string' || typeof next === 'number' ? String(next) : null, filters, error: null };
}

/** A submitted field as JSON, by its input; undefined when left empty (optional fields are then not sent). */
function fieldValue(field: PluginFormField, data: FormData): unknown {
	if (field.input === 'checkbox') return data.has(field.name);
	const raw = data.get(field.name);
	if (typeof raw !== 'string' || raw.trim() === '') return undefined;
	const text = raw.trim();
	if (field.input === 'integer') return /^-?\d+$/.test(text) ? Number(text) : text;
	if (field.input === 'number') return Number.isFinite(Number(text.replace(',', '.'))) ? Number(text.replace(',', '.')) : text;
	return field.input === 'textarea' ? raw : text;
}

function valuesOf(data: FormData, fields: PluginFormField[]): Record<string, string> {
	const values: Record<string, string> = {};
	for (const f of fields) {
		const v = data.get(f.name);
		if (typeof v === 'string') values[f.name] = v;
	}
	return values;
}

/** The result of a plugin page's form action, handed back to the page as `form`. */
export interface PluginFormState extends FormState {
	/** `upload:<section id>`, `form:<section id>`, `action:<action id>`. */
	action: string;
	/** The API's answer to a successful upload. */
	result?: Record<string, unknown>;
	/** The success message, in the person's language. */
	success?: string;
}

/** Form actions shared by a plugin's page and its detail page. */
export function pluginActions(find: (event: RequestEvent) => Promise<{ page: PluginPage; strings: object }>) {
	return {
		/** Send a file (and the section's fields) as multipart/form-data to the upload section's route. */
		upload: async (event: RequestEvent) => {
			const { page, strings } = await find(event);
			const data = await event.request.formData();
			const section = page.sections.find((s) => s.kind === 'upload' && s.id === data.get('section'));
			if (section?.kind !== 'upload') error(404, 'Not found');
			const action = `upload:${section.id}`;
			const fileField = section.fileField ?? 'file';
			const file = data.get(fileField);
			const values = valuesOf(data, section.fields ?? []);
			if (!(file instanceof File) || file.size === 0) {
				const t = translatorOf(event);
				return fail(400, { action, values, errors: { [fileField]: t('admin:pluginPages.fileRequired') } } satisfies PluginFormState);
			}
			const body = new FormData();
			for (const f of section.fields ?? []) {
				const value = fieldValue(f, data);
				if (value !== undefined) body.set(f.name, String(value));
			}
			body.set(fileField, file, file.name);
			const response = await pluginFetch(event, page.pluginId, section.route, { method: 'POST', body });
			const answer = await bodyOf(response);
			if (!response.ok) {
				const state = problemState(event, response.status, answer);
				// A problem inside the file (`/body/document/Fa/P_2`) is shown at the file's control.
				const inFile = Object.entries(state.errors ?? {}).find(([key]) => key.startsWith(`${fileField}.`));
				if (inFile && !state.errors?.[fileField]) state.errors = { ...state.errors, [fileField]: inFile[1] };
				return fail(response.status, { ...state, action, values } satisfies PluginFormState);
			}
			const result = (answer && typeof answer === 'object' ? answer : {}) as Record<string, unknown>;
			return { action, result, success: pluginText(strings, section.result.message, result) } satisfies PluginFormState;
		},
		/** Send a form section's fields as JSON. */
		form: async (event: RequestEvent) => {
			const { page, strings } = await find(event);
			const data = await event.request.formData();
			const section = page.sections.find((s) => s.kind === 'form' && s.id === data.get('section'));
			if (section?.kind !== 'form') error(404, 'Not found');
			const action = `form:${section.id}`;
			const json: Record<string, unknown> = {};
			for (const f of section.fields ?? []) {
				const value = fieldValue(f, data);
				if (value !== undefined) json[f.name] = value;
			}
			const response = await pluginFetch(event, page.pluginId, section.route, { method: section.method ?? 'POST', json });
			const answer = await bodyOf(response);
			const values = valuesOf(data, section.fields ?? []);
			if (!response.ok) return fail(response.status, { ...problemState(event, response.status, answer), action, values } satisfies PluginFormState);
			return { action, success: pluginText(strings, section.success, answer ?? {}) } satisfies PluginFormState;
		},
		/** A row's (or the record's) action: its route filled from the record's fields sent with the button. */
		action: async (event: RequestEvent) => {
			const { page, strings } = await find(event);
			const data = await event.request.formData();
			const all: PluginAction[] = [...page.sections.flatMap((s) => (s.kind === 'table' ? (s.actions ?? []) : [])), ...(page.detail?.actions ?? [])];
			const found = all.find((a) => a.id === data.get('action'));
			if (!found) error(404, 'Not found');
			const record: Record<string, string> = {};
			for (const [name, value] of data) if (name.startsWith('p.') && typeof value === 'string') record[name.slice(2)] = value;
			const target = typeof data.get('target') === 'string' ? String(data.get('target')) : '';
			const path = fillRoute(found.route, record);
			if (!path) error(400, 'Bad request');
			const response = await pluginFetch(event, page.pluginId, path, { method: found.method ?? 'POST', json: found.body ?? {} });
			const answer = await bodyOf(response);
			const action = `action:${found.id}`;
			if (!response.ok) return fail(response.status, { ...problemState(event, response.status, answer), action, target } satisfies PluginFormState);
			return { action, target, success: found.success ? pluginText(strings, found.success, answer ?? {}) : undefined } satisfies PluginFormState;
		}
	};
}
