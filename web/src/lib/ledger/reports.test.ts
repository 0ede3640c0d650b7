import { describe, expect, it } from 'vitest';
import { dayParam, liabilityFilters, liabilityQuery, nextDay, ownStatementCsvHref, statementFilters, statementQuery } from './reports.ts';

describe('ledger report helpers', () => {
	it('accepts only real calendar days', () => {
		expect(dayParam('2025-01-31')).toBe('2025-01-31');
		expect(dayParam('2025-02-30')).toBeUndefined();
		expect(dayParam('31.01.2025')).toBeUndefined();
		expect(dayParam(null)).toBeUndefined();
	});

	it('turns an inclusive last day into the next day’s start, across months and years', () => {
		expect(nextDay('2025-01-31')).toBe('2025-02-01');
		expect(nextDay('2024-02-28')).toBe('2024-02-29');
		expect(nextDay('2025-12-31')).toBe('2026-01-01');
	});

	it('reads statement filters from the URL and builds the API query and the CSV link', () => {
		const filters = statementFilters(new URL('http://x/portal/points?from=2025-01-01&to=2025-01-31&kind=earn&before=9'));
		expect(filters).toEqual({ from: '2025-01-01', to: '2025-01-31', kind: 'earn' });
		expect(statementQuery(filters)).toEqual({ from: '2025-01-01', to: '2025-02-01', kind: ['earn'] });
		expect(ownStatementCsvHref(filters)).toBe('/api/v1/ledger/me/statement.csv?from=2025-01-01&to=2025-02-01&kind=earn');
		expect(ownStatementCsvHref(statementFilters(new URL('http://x/?kind=nonsense&from=soon')))).toBe('/api/v1/ledger/me/statement.csv');
	});

	it('reads liability filters and reports outstanding at the end of the as-of day', () => {
		const filters = liabilityFilters(new URL('http://x/admin/liability?program=0195f3a0-0000-7000-8000-000000000001&asOf=2025-03-31&from=2025-01-01&to=2025-03-31'));
		expect(liabilityQuery(filters)).toEqual({ asOf: '2025-04-01', from: '2025-01-01', to: '2025-04-01' });
		expect(liabilityQuery({ to: '2025-03-31' })).toEqual({});
		expect(liabilityQuery({ from: '2025-01-01' })).toEqual({ from: '2025-01-01' });
	});
});
