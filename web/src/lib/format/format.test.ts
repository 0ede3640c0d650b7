import { describe, expect, it } from 'vitest';
import { formatCalendarDay, formatDurationMs, formatMoney, formatNip, minorUnitsToDecimalString, toDate } from './index.ts';

// Intl separates groups and currency symbols with no-break spaces; compare with plain spaces.
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

describe('formatMoney', () => {
	it('formats integer minor units per locale', () => {
		expect(plain(formatMoney(123456, 'PLN', 'pl-PL'))).toBe('1 234,56 zł');
		expect(plain(formatMoney(123456, 'PLN', 'en-US'))).toBe('PLN 1,234.56');
		expect(plain(formatMoney(123456, 'RUB', 'ru-RU'))).toBe('1 234,56 ₽');
		expect(plain(formatMoney(-5, 'EUR', 'pl-PL'))).toBe('-0,05 €');
	});

	it('uses the currency’s own number of minor units', () => {
		expect(formatMoney(1234, 'JPY', 'en-US')).toBe('¥1,234');
		expect(plain(formatMoney(12345, 'BHD', 'en-US'))).toBe('BHD 12.345');
	});

	it('is exact beyond Number.MAX_SAFE_INTEGER with bigint', () => {
		expect(formatMoney(123456789012345678901234n, 'USD', 'en-US')).toBe(
			'$1,234,567,890,123,456,789,012.34'
		);
		expect(() => formatMoney(1.5, 'USD', 'en-US')).toThrow(RangeError);
	});
});

describe('helpers', () => {
	it('converts minor units to decimal strings', () => {
		expect(minorUnitsToDecimalString(5, 2)).toBe('0.05');
		expect(minorUnitsToDecimalString(-123, 2)).toBe('-1.23');
		expect(minorUnitsToDecimalString(7, 0)).toBe('7');
	});

	it('formats latency', () => {
		expect(plain(formatDurationMs(3.456, 'pl-PL'))).toBe('3,5 ms');
		expect(plain(formatDurationMs(12.6, 'ru-RU'))).toBe('13 мс');
	});

	it('parses dates defensively', () => {
		expect(toDate('not a date')).toBeUndefined();
		expect(toDate('2025-11-23T14:05:09Z')?.toISOString()).toBe('2025-11-23T14:05:09.000Z');
	});
});

describe('formatNip', () => {
	it('groups a NIP as 3-3-2-2 digits', () => {
		expect(formatNip('5260250995')).toBe('526-025-09-95');
		expect(formatNip('526 025 09 95')).toBe('526-025-09-95');
	});

	it('leaves other identifiers and empty values alone', () => {
		expect(formatNip('DE123456789')).toBe('DE123456789');
		expect(formatNip(null)).toBe('');
	});
});

describe('formatCalendarDay', () => {
	it('formats a day the same in every zone, per locale', () => {
		expect(formatCalendarDay('2027-03-31', 'en-US')).toBe('March 31, 2027');
		expect(formatCalendarDay('2027-03-31', 'en-GB')).toBe('31 March 2027');
		expect(formatCalendarDay('2027-03-31', 'pl-PL')).toBe('31 marca 2027');
		expect(plain(formatCalendarDay('2027-03-31', 'ru-RU'))).toBe('31 марта 2027 г.');
		expect(formatCalendarDay('31.03.2027', 'pl-PL')).toBe('31.03.2027');
	});
});
