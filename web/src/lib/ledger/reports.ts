import type { paths } from '#lib/api/client.ts';
import { isEntryKind, type EntryKind } from './ledger.ts';

/** The program's points liability (`GET /api/v1/ledger/programs/{programId}/liability`). */
export type Liability =
	paths['/api/v1/ledger/programs/{programId}/liability']['get']['responses'][200]['content']['application/json'];

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar day `YYYY-MM-DD` that exists, or undefined. */
export function dayParam(value: string | null | undefined): string | undefined {
	const m = value ? DAY.exec(value.trim()) : null;
	if (!m) return undefined;
	const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
	return date.toISOString().slice(0, 10) === value!.trim() ? value!.trim() : undefined;
}

/** The day after a calendar day (`2025-01-31` → `2025-02-01`): a whole day's end as the next day's start. */
export function nextDay(day: string): string {
	const [y, m, d] = day.split('-').map(Number) as [number, number, number];
	return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** Statement filters as the page shows them: whole days (both inclusive) and one kind of entry. */
export interface StatementFilterValues {
	from?: string;
	to?: string;
	kind?: EntryKind;
}

/** The statement filters in a page's URL (`?from=&to=&kind=`); anything invalid is left out. */
export function statementFilters(url: URL): StatementFilterValues {
	const kind = url.searchParams.get('kind') ?? '';
	return {
		from: dayParam(url.searchParams.get('from')),
		to: dayParam(url.searchParams.get('to')),
		kind: isEntryKind(kind) ? kind : undefined
	};
}

/**
 * The API's query for these filters. The API reads a date as the start of that day in the
 * program's time zone and its period as [from, to), so an inclusive last day becomes the next
 * day's start.
 */
export function statementQuery(filters: StatementFilterValues): { from?: string; to?: string; kind?: EntryKind[] } {
	return {
		...(filters.from ? { from: filters.from } : {}),
		...(filters.to ? { to: nextDay(filters.to) } : {}),
		...(filters.kind ? { kind: [filters.kind] } : {})
	};
}

/** A query string (`?a=1&b=2`, or empty) of the defined values; arrays repeat the name. */
export function queryString(query: Record<string, string | string[] | undefined>): string {
	const parts: string[] = [];
	for (const [name, value] of Object.entries(query)) {
		for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
			parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(item)}`);
		}
	}
	return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** The address of the partner's own statement as CSV, with the page's filters. */
export function ownStatementCsvHref(filters: StatementFilterValues): string {
	return `/api/v1/ledger/me/statement.csv${queryString(statementQuery(filters))}`;
}

/** Liability filters as the page shows them: a program, the day whose end to report, and a period of whole days. */
export interface LiabilityFilterValues {
	programId?: string;
	asOf?: string;
	from?: string;
	to?: string;
}

export function liabilityFilters(url: URL): LiabilityFilterValues {
	const program = url.searchParams.get('program') ?? '';
	return {
		programId: /^[0-9a-f-]{36}$/i.test(program) ? program : undefined,
		asOf: dayParam(url.searchParams.get('asOf')),
		from: dayParam(url.searchParams.get('from')),
		to: dayParam(url.searchParams.get('to'))
	};
}

/**
 * The API's liability query: outstanding at the end of the as-of day (the next day's start), the
 * period's days both included. Without a start the period is left out; without an end it runs to
 * the as-of day's end.
 */
export function liabilityQuery(filters: LiabilityFilterValues): { asOf?: string; from?: string; to?: string } {
	const asOf = filters.asOf ? nextDay(filters.asOf) : undefined;
	return {
		...(asOf ? { asOf } : {}),
		...(filters.from ? { from: filters.from, ...(filters.to ? { to: nextDay(filters.to) } : {}) } : {})
	};
}
