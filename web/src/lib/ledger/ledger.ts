import { isHttpError, isRedirect } from '@sveltejs/kit';
import type { paths } from '#lib/api/client.ts';
import { loadFromApi, type Loaded } from '#lib/api/load.ts';

/** A partner's balances (`GET /api/v1/ledger/me/balances` and the staff variant). */
export type Balances =
	paths['/api/v1/ledger/me/balances']['get']['responses'][200]['content']['application/json'];
/** One page of a partner's statement, newest first. */
export type Statement =
	paths['/api/v1/ledger/me/statement']['get']['responses'][200]['content']['application/json'];
export type StatementLine = Statement['items'][number];

/** Entry kinds the ledger posts; anything else is shown as it comes. */
export const ENTRY_KINDS = [
	'earn',
	'earn_pending',
	'release_pending',
	'reserve',
	'capture',
	'release_hold',
	'expire',
	'reversal',
	'adjustment'
] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export function isEntryKind(kind: string): kind is EntryKind {
	return (ENTRY_KINDS as readonly string[]).includes(kind);
}

/** Explanation fields with a name of their own; other fields are shown under their key. */
export const EXPLANATION_FIELDS = [
	'rule',
	'invoice',
	'line',
	'order',
	'document',
	'product',
	'campaign',
	'reward',
	'redemption',
	'reservation',
	'note'
] as const;
export type ExplanationField = (typeof EXPLANATION_FIELDS)[number];

export function isExplanationField(key: string): key is ExplanationField {
	return (EXPLANATION_FIELDS as readonly string[]).includes(key);
}

/** An explanation's fields as text, known fields first, empty values left out. */
export function explanationEntries(explanation: Record<string, unknown>): { key: string; value: string }[] {
	const text = (value: unknown): string =>
		value === null || value === undefined
			? ''
			: typeof value === 'string'
				? value
				: typeof value === 'number' || typeof value === 'boolean'
					? String(value)
					: JSON.stringify(value);
	const rank = (key: string) => {
		const i = (EXPLANATION_FIELDS as readonly string[]).indexOf(key);
		return i === -1 ? EXPLANATION_FIELDS.length : i;
	};
	return Object.entries(explanation)
		.map(([key, value]) => ({ key, value: text(value) }))
		.filter(({ value }) => value !== '')
		.sort((a, b) => rank(a.key) - rank(b.key));
}

/**
 * Entries a statement page shows as already reversed (their reversal is on the same page). A
 * reversal on another page is not seen here; the API then refuses a second reversal in words.
 */
export function reversedEntries(lines: StatementLine[]): Set<number> {
	return new Set(lines.map((line) => line.reversesEntryId).filter((id): id is number => id !== null));
}

/** Whether a line gets a "Reverse" action: the first line of an entry that is no reversal and not reversed. */
export function reversible(lines: StatementLine[]): (line: StatementLine, index: number) => boolean {
	const reversed = reversedEntries(lines);
	return (line, index) =>
		line.kind !== 'reversal' &&
		!reversed.has(line.entryId) &&
		lines.findIndex((other) => other.entryId === line.entryId) === index;
}

/** A random token for a form's hidden field: the action derives the idempotency key from it. */
export function formNonce(): string {
	const bytes = new Uint8Array(16);
	crypto.getRandomValues(bytes);
	return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** `?before=` of a statement page: a positive entry id, or undefined for the newest entries. */
export function beforeParam(url: URL): number | undefined {
	const raw = url.searchParams.get('before');
	if (!raw || !/^\d{1,15}$/.test(raw)) return undefined;
	const value = Number(raw);
	return value > 0 ? value : undefined;
}

/**
 * An API read for one section of a page: like `loadFromApi`, but a 403 or 404 becomes the
 * section's own error state instead of replacing the whole page.
 */
export async function loadSection<T>(
	url: URL,
	request: () => Promise<{ data?: T; error?: unknown; response: Response }>
): Promise<Loaded<T>> {
	try {
		return await loadFromApi(url, request);
	} catch (cause) {
		if (isHttpError(cause)) {
			return { ok: false, status: cause.status, title: null, message: cause.body.message };
		}
		if (isRedirect(cause)) throw cause;
		return { ok: false, status: 0, title: null, message: null };
	}
}
