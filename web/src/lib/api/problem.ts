import type { components } from './schema';

/** RFC 9457 problem details as the Laurel API sends them, already in the person's language. */
export type Problem = components['schemas']['Problem'];

export function isProblem(value: unknown): value is Problem {
	return (
		typeof value === 'object' &&
		value !== null &&
		typeof (value as Problem).detail === 'string' &&
		typeof (value as Problem).code === 'string'
	);
}

/**
 * Form-field key of a problem's JSON pointer: `/body/nip` → `nip`, `/body/applicant/email` →
 * `applicant.email`. Other locations (`/querystring/…`) keep their pointer.
 */
export function fieldKeyOf(pointer: string): string {
	if (!pointer.startsWith('/body/')) return pointer;
	return pointer
		.slice('/body/'.length)
		.split('/')
		.map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
		.join('.');
}

/** A problem's field errors by form-field key (the first message per field). */
export function fieldErrorsOf(problem: Problem): Record<string, string> {
	const errors: Record<string, string> = {};
	for (const { field, message } of problem.errors ?? []) {
		const key = fieldKeyOf(field);
		errors[key] ??= message;
	}
	return errors;
}
