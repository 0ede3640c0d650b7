import { isHttpError, isRedirect } from '@sveltejs/kit';
import type { paths } from '#lib/api/client.ts';
import { loadFromApi, type Loaded } from '#lib/api/load.ts';
import { formatCalendarDay, formatPercent, toDate } from '#lib/format/index.ts';

/** A partner's balances (`GET /api/v1/ledger/me/balances` and the staff variant). */
export type Balances =
	paths['/api/v1/ledger/me/balances']['get']['responses'][200]['content']['application/json'];
/** One page of a partner's statement, newest first. */
export type Statement =
	paths['/api/v1/ledger/me/statement']['get']['responses'][200]['content']['application/json'];
export type StatementLine = Statement['items'][number];
/** Open lots of available points, soonest expiry first (`GET /api/v1/ledger/me/lots` and the staff variants). */
export type Lots = paths['/api/v1/ledger/me/lots']['get']['responses'][200]['content']['application/json'];
export type Lot = Lots[number];

/** The window of "expiring soon" in days, as the API counts `expiringSoon`. */
export const EXPIRING_SOON_DAYS = 90;

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

/**
 * Explanation fields the statement puts into sentences of their own (`whyNotes`) instead of listing them; `rule` only
 * when its value is one of `SENTENCE_RULES`.
 */
const SENTENCE_FIELDS = ['cutoff', 'earnedAt', 'repUserId', 'repPercent', 'approval'] as const;
const SENTENCE_RULES = ['expiry', 'hold-expiry'] as const;

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

const DAY_MS = 86_400_000;

/**
 * The last day on which points expiring at `expiresAt` can still be used, as `YYYY-MM-DD`. A lot expires at local
 * midnight in the program's time zone, at the start of the day after its last one; that instant lies within twelve
 * hours of midnight UTC of the same calendar day, so rounding to it gives the day without knowing the zone.
 */
export function lastUsableDay(expiresAt: string): string | null {
	const at = toDate(expiresAt);
	if (!at) return null;
	const midnight = Math.round(at.getTime() / DAY_MS) * DAY_MS;
	return new Date(midnight - DAY_MS).toISOString().slice(0, 10);
}

/**
 * The calendar day of an instant, as `YYYY-MM-DD` in UTC: earning dates come as the day of an invoice (midnight UTC),
 * and the same day then shows on the server and in every browser.
 */
export function calendarDay(instant: string): string | null {
	const at = toDate(instant);
	return at ? at.toISOString().slice(0, 10) : null;
}

/** When a lot's points were earned: the earning's own date (`explanation.earnedAt`, say an invoice date) if it has one. */
export function lotEarnedAt(lot: Pick<Lot, 'earnedAt' | 'explanation'>): string {
	const own = lot.explanation.earnedAt;
	return typeof own === 'string' && toDate(own) ? own : lot.earnedAt;
}

/** Whether points expiring at `expiresAt` expire within `days` of `now` (never-expiring points do not). */
export function expiresWithin(expiresAt: string | null, now: Date, days = EXPIRING_SOON_DAYS): boolean {
	const at = expiresAt ? toDate(expiresAt) : undefined;
	return at !== undefined && at.getTime() <= now.getTime() + days * DAY_MS;
}

/** Whether a wallet has anything to show: a balance other than zero or a line on its statement. */
export function walletHasAnything(balances: Pick<Balances, 'available' | 'pending' | 'reserved'>, lines: unknown[]): boolean {
	return balances.available !== 0 || balances.pending !== 0 || balances.reserved !== 0 || lines.length > 0;
}

/** The "why" sentences of a statement line, each an i18n key under `ledger:why.` with its parameters. */
export type WhyKey =
	| 'expired'
	| 'holdLapsed'
	| 'captured'
	| 'partialReversal'
	| 'earnedAt'
	| 'repSplitYou'
	| 'repSplitNamed'
	| 'repSplit'
	| 'repShareYours'
	| 'repShare'
	| 'approvedBy'
	| 'approved';

export interface WhyNote {
	key: WhyKey;
	/** Text parameters, already formatted for the locale. */
	params: Record<string, string | number>;
	/** Point amounts, rendered as `ledger:value` (with its plural forms) under the same name. */
	points?: Record<string, number>;
}

export interface WhyContext {
	/** The BCP 47 locale dates and percentages are formatted in. */
	locale: string;
	/** The page's lines: a reversal finds the entry it reverses among them. */
	lines?: StatementLine[];
	/** Whose wallet the statement is of: the company's (default) or one person's own (rep) wallet. */
	wallet?: 'company' | 'rep';
	/** The signed-in person: an earning split with them says "you". */
	selfUserId?: string | null;
	/** Names of people by user id, for the rep an earning was split with. */
	people?: ReadonlyMap<string, string>;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value : null);

/**
 * The "why" of a statement line in sentences (expiry, a lapsed reservation, a redemption, a partial reversal, the
 * earning date, a split with a sales rep, a four-eyes approval), and the explanation's other fields to list as they
 * are.
 */
export function whyOf(line: StatementLine, context: WhyContext): { notes: WhyNote[]; fields: { key: string; value: string }[] } {
	const e = line.explanation;
	const notes: WhyNote[] = [];
	const day = (value: unknown) => {
		const d = typeof value === 'string' ? calendarDay(value) : null;
		return d ? formatCalendarDay(d, context.locale) : null;
	};

	if (line.kind === 'expire' && e.rule === 'expiry') {
		const cutoff = day(e.cutoff);
		notes.push({ key: 'expired', params: { date: cutoff ?? '—' } });
	}
	if (line.kind === 'release_hold' && e.rule === 'hold-expiry') notes.push({ key: 'holdLapsed', params: {} });
	if (line.kind === 'capture') notes.push({ key: 'captured', params: {} });
	if (line.kind === 'reversal' && line.reversesEntryId !== null) {
		const original = context.lines?.find((other) => other.entryId === line.reversesEntryId && other.account === line.account);
		if (original && Math.abs(original.amount) > Math.abs(line.amount)) {
			notes.push({
				key: 'partialReversal',
				params: { id: line.reversesEntryId },
				points: { part: Math.abs(line.amount), whole: Math.abs(original.amount) }
			});
		}
	}
	const earned = day(e.earnedAt);
	if (earned) notes.push({ key: 'earnedAt', params: { date: earned } });
	const rep = text(e.repUserId);
	if (rep && typeof e.repPercent === 'number') {
		const percent = formatPercent(e.repPercent / 100, context.locale);
		const you = context.selfUserId === rep;
		if (context.wallet === 'rep') notes.push({ key: you ? 'repShareYours' : 'repShare', params: { percent } });
		else if (you) notes.push({ key: 'repSplitYou', params: { percent } });
		else {
			const name = context.people?.get(rep);
			notes.push(name ? { key: 'repSplitNamed', params: { percent, name } } : { key: 'repSplit', params: { percent } });
		}
	}
	if (e.approval && typeof e.approval === 'object') {
		const name = text((e.approval as Record<string, unknown>).requestedByName);
		notes.push(name ? { key: 'approvedBy', params: { name } } : { key: 'approved', params: {} });
	}

	const sentence = (key: string) =>
		(SENTENCE_FIELDS as readonly string[]).includes(key) ||
		(key === 'rule' && (SENTENCE_RULES as readonly unknown[]).includes(e.rule));
	const rest = Object.fromEntries(Object.entries(e).filter(([key]) => !sentence(key)));
	return { notes, fields: explanationEntries(rest) };
}
