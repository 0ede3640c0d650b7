import { describe, expect, it } from 'vitest';
import { fieldErrorsOf, fieldKeyOf } from './problem.ts';

describe('fieldKeyOf', () => {
	it('maps body pointers to form-field names', () => {
		expect(fieldKeyOf('/body/nip')).toBe('nip');
		expect(fieldKeyOf('/body/applicant/email')).toBe('applicant.email');
		expect(fieldKeyOf('/querystring/cursor')).toBe('/querystring/cursor');
	});

	it('keeps the first message per field', () => {
		const problem = {
			type: 'urn:laurel:problem:validation-failed',
			title: 'Bad request',
			status: 400,
			detail: 'Invalid',
			instance: '/api/v1/partners',
			code: 'VALIDATION_FAILED',
			requestId: 'r',
			errors: [
				{ field: '/body/nip', message: 'first' },
				{ field: '/body/nip', message: 'second' }
			]
		};
		expect(fieldErrorsOf(problem)).toEqual({ nip: 'first' });
	});
});
