import { describe, expect, it } from 'vitest';
import { attemptOutcome, parseOverlapHours, parseSubscriptionForm, prettyBody, subscriptionState } from './webhooks.ts';

describe('webhook form helpers', () => {
	it('checks the subscription form as the API will', () => {
		expect(parseSubscriptionForm({ url: ' https://hooks.example.com/x ', eventTypes: ['a', 'a'], description: ' d ' })).toEqual({
			ok: true,
			body: { url: 'https://hooks.example.com/x', eventTypes: ['a'], description: 'd' }
		});
		expect(parseSubscriptionForm({ url: '', eventTypes: [], description: '' })).toEqual({ ok: false, errors: { url: 'required', eventTypes: 'eventTypes' } });
		expect(parseSubscriptionForm({ url: 'ftp://x', eventTypes: ['a'], description: '' })).toEqual({ ok: false, errors: { url: 'url' } });
	});

	it('reads overlap hours within 0–168, empty as the default', () => {
		expect(parseOverlapHours('')).toBe(24);
		expect(parseOverlapHours('0')).toBe(0);
		expect(parseOverlapHours('168')).toBe(168);
		expect(parseOverlapHours('169')).toBeNull();
		expect(parseOverlapHours('1.5')).toBeNull();
	});

	it('names states and attempt outcomes', () => {
		expect(subscriptionState({ enabled: false, disabledReason: 'failing', consecutiveFailures: 20 })).toBe('autoDisabled');
		expect(subscriptionState({ enabled: true, disabledReason: null, consecutiveFailures: 2 })).toBe('failing');
		expect(attemptOutcome({ statusCode: 503, error: null })).toEqual({ kind: 'status', code: 503 });
		expect(attemptOutcome({ statusCode: null, error: 'timeout' })).toEqual({ kind: 'timeout', detail: '' });
		expect(attemptOutcome({ statusCode: null, error: 'target-refused: 10.0.0.1' })).toEqual({ kind: 'refused', detail: '10.0.0.1' });
		expect(attemptOutcome({ statusCode: null, error: 'network: ECONNREFUSED' })).toEqual({ kind: 'network', detail: 'ECONNREFUSED' });
		expect(prettyBody('{"a":1}')).toBe('{\n  "a": 1\n}');
		expect(prettyBody('not json')).toBe('not json');
	});
});
