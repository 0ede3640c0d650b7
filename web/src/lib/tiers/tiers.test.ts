import { describe, expect, it } from 'vitest';
import { parseDecimal, thresholdOf, typedThreshold } from './tiers.ts';

describe('tier form helpers', () => {
	it('reads numbers typed the Polish, Russian or English way', () => {
		expect(parseDecimal('12 300,50')).toBe(12300.5);
		expect(parseDecimal('12,300.50')).toBe(12300.5);
		expect(parseDecimal('1.25')).toBe(1.25);
		expect(parseDecimal('1,25')).toBe(1.25);
		expect(parseDecimal('50000')).toBe(50000);
		expect(parseDecimal('12,300')).toBe(12300);
		expect(parseDecimal('1.2500')).toBe(1.25);
		expect(parseDecimal('12a')).toBeUndefined();
		expect(parseDecimal('')).toBeUndefined();
	});
	it('turns money thresholds into minor units and back; other metrics stay as typed', () => {
		expect(thresholdOf('net-turnover', 50_000, 2)).toBe(5_000_000);
		expect(thresholdOf('active-months', 6, 2)).toBe(6);
		expect(typedThreshold('net-turnover', 5_000_000, 2)).toBe('50000');
		expect(typedThreshold('strategic-share', 25, 2)).toBe('25');
	});
});
