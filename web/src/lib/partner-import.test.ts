import { describe, expect, it } from 'vitest';
import { badLineCount, importProgress, isPayloadTooLarge, problemsFromFieldErrors } from './partner-import.ts';

describe('problemsFromFieldErrors', () => {
	it('reads line and column from the /csv/<line>/<column> pointers of a refused import, by line', () => {
		expect(
			problemsFromFieldErrors({
				'/csv/7/type': 'Wiersz 7, type: …',
				'/csv/3/nip': 'Wiersz 3, nip: NIP 5260250996 ma błędną cyfrę kontrolną',
				'/csv/1/': 'The file has a header but no rows.',
				'/csv/4/a~1b': 'escaped',
				legalName: 'not a row'
			})
		).toEqual([
			{ line: 1, column: '', code: '', message: 'The file has a header but no rows.' },
			{ line: 3, column: 'nip', code: '', message: 'Wiersz 3, nip: NIP 5260250996 ma błędną cyfrę kontrolną' },
			{ line: 4, column: 'a/b', code: '', message: 'escaped' },
			{ line: 7, column: 'type', code: '', message: 'Wiersz 7, type: …' }
		]);
		expect(problemsFromFieldErrors(undefined)).toEqual([]);
	});

	it('counts bad lines once however many problems they have', () => {
		const problem = (line: number) => ({ line, column: 'nip', code: 'X', message: '' });
		expect(badLineCount([problem(3), problem(3), problem(5)])).toBe(2);
	});
});

describe('importProgress', () => {
	it('is the share of processed rows, and complete for an empty import', () => {
		expect(importProgress({ processed: 1, total: 4 })).toBe(0.25);
		expect(importProgress({ processed: 0, total: 0 })).toBe(1);
		expect(importProgress({ processed: 9, total: 4 })).toBe(1);
	});
});

describe('isPayloadTooLarge', () => {
	it('recognises a 413, also as the cause of a parsing error', () => {
		expect(isPayloadTooLarge({ status: 413 })).toBe(true);
		expect(isPayloadTooLarge(new TypeError('Failed to parse body', { cause: { status: 413 } }))).toBe(true);
		expect(isPayloadTooLarge(new Error('other'))).toBe(false);
		expect(isPayloadTooLarge(null)).toBe(false);
	});
});
