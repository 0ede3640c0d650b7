import { formatCalendarDay, formatDateTime, formatMoney, formatNumber } from '#lib/format/index.ts';
import type { PluginValue, Tone } from './types.ts';

/** A value of a record by dotted path (`rejection.line`); undefined when any step is missing. */
export function valueAt(record: unknown, path: string): unknown {
	let at: unknown = record;
	for (const part of path.split('.')) {
		if (at === null || typeof at !== 'object') return undefined;
		at = (at as Record<string, unknown>)[part];
	}
	return at;
}

function lookup(strings: object | undefined, key: string): string | undefined {
	const found = valueAt(strings, key);
	return typeof found === 'string' ? found : undefined;
}

/**
 * A plugin's text: the key looked up in its strings, `{{name}}` filled from `params` (dotted names reach into nested
 * values). Plain text only — the caller renders it as text, so a plugin's strings can never inject markup. A key the
 * strings lack shows as itself.
 */
export function pluginText(strings: object | undefined, key: string, params: unknown = {}): string {
	const template = lookup(strings, key) ?? key;
	return template.replace(/\{\{\s*([A-Za-z0-9_.$-]+)\s*\}\}/g, (_, name: string) => {
		const value = valueAt(params, name);
		return value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
	});
}

export type Rendered =
	| { kind: 'empty' }
	| { kind: 'text'; text: string; mono?: boolean }
	| { kind: 'status'; text: string; tone: Tone }
	| { kind: 'block'; text: string };

/** How a value is shown, by the page's format: text for a cell, a badge, or a code block. */
export function renderValue(record: unknown, spec: PluginValue, strings: object | undefined, intlLocale: string): Rendered {
	const value = valueAt(record, spec.key);
	const format = spec.format ?? 'text';
	if (format === 'count') return Array.isArray(value) ? { kind: 'text', text: formatNumber(value.length, intlLocale) } : { kind: 'empty' };
	if (value === null || value === undefined || value === '') return { kind: 'empty' };
	switch (format) {
		case 'number':
		case 'points':
			return typeof value === 'number' ? { kind: 'text', text: formatNumber(value, intlLocale, format === 'points' ? { maximumFractionDigits: 0 } : {}) } : { kind: 'text', text: String(value) };
		case 'percent':
			return typeof value === 'number' ? { kind: 'text', text: `${formatNumber(value, intlLocale, { maximumFractionDigits: 2 })} %` } : { kind: 'text', text: String(value) };
		case 'money': {
			const currency = valueAt(record, spec.currencyKey ?? 'currency');
			if (typeof value !== 'number' || typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency)) return { kind: 'text', text: String(value) };
			return { kind: 'text', text: formatMoney(value, currency, intlLocale) };
		}
		case 'date':
			return { kind: 'text', text: typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? formatCalendarDay(value, intlLocale) : formatDateTime(String(value), intlLocale, { dateStyle: 'medium' }) };
		case 'datetime':
			return { kind: 'text', text: formatDateTime(String(value), intlLocale, { dateStyle: 'medium', timeStyle: 'long', timeZone: 'UTC' }) };
		case 'status': {
			const text = String(value);
			const label = spec.statusLabels ? lookup(strings, `${spec.statusLabels}.${text}`) : undefined;
			return { kind: 'status', text: label ?? text, tone: spec.tones?.[text] ?? 'neutral' };
		}
		case 'json':
			return { kind: 'block', text: typeof value === 'string' ? value : JSON.stringify(value, null, 2) };
		case 'code':
			return { kind: 'text', text: typeof value === 'object' ? JSON.stringify(value) : String(value), mono: true };
		default:
			return { kind: 'text', text: typeof value === 'object' ? JSON.stringify(value) : String(value) };
	}
}

/**
 * A plugin route with its path parameters filled from a record (`/kudos/:id` → `/kudos/0193…`), each encoded as one
 * path segment; null when the record lacks one. Routes were checked when the plugin started (no `..`, no query).
 */
export function fillRoute(route: string, record: unknown): string | null {
	let missing = false;
	const filled = route.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
		const value = valueAt(record, name);
		if (value === null || value === undefined || value === '') {
			missing = true;
			return '';
		}
		return encodeURIComponent(String(value));
	});
	return missing ? null : filled;
}

/** The API path of a plugin's route. */
export function pluginApiPath(pluginId: string, route: string): string {
	return `/api/v1/${encodeURIComponent(pluginId)}${route}`;
}

/** Does an action apply to a record (its `when`)? */
export function actionApplies(action: { when?: { key: string; in: unknown[] } }, record: unknown): boolean {
	if (!action.when) return true;
	const value = valueAt(record, action.when.key);
	return action.when.in.includes(value === undefined ? null : value);
}

/** The one path parameter of a detail route (`/documents/:id` → `id`). */
export function routeParamOf(route: string): string {
	return /:([A-Za-z_][A-Za-z0-9_]*)/.exec(route)?.[1] ?? 'id';
}

/** Every path parameter of a route (`/kudos/:id/revoke` → `['id']`). */
export function routeParams(route: string): string[] {
	return [...route.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
}
