/**
 * What a form action hands back to its page on failure (SvelteKit's `form` prop): the API's
 * localized problem and field errors, plus the submitted values so that the form keeps them,
 * with or without JavaScript. Passwords are never echoed.
 */
export interface FormState {
	/** Which form on the page was submitted (pages with several forms name their actions). */
	action?: string;
	/** Short title of what went wrong (the problem's `title`). */
	title?: string;
	/** What went wrong, in the person's language (the problem's `detail`). */
	message?: string;
	/** The problem's stable code, e.g. `PARTNERS_PROGRAM_NOT_OPEN`. */
	code?: string;
	/** Error text by field name (`nip`, `applicant.email`); the API's JSON pointers are mapped. */
	errors?: Record<string, string>;
	/** The submitted values, to fill the form again. */
	values?: Record<string, string | string[]>;
	/** The row a per-row action was about (e.g. the user being disabled). */
	target?: string;
	/** A link (invitation, password reset) that is used up or expired: retyping will not help. */
	linkInvalid?: boolean;
}

/** A submitted value as text ('' when absent), for filling a field again after a failure. */
export function valueOf(state: FormState | null | undefined, name: string, fallback = ''): string {
	const value = state?.values?.[name];
	if (Array.isArray(value)) return value[0] ?? fallback;
	return value ?? fallback;
}

/** Submitted values of a multi-value field (checkboxes). */
export function valuesOf(state: FormState | null | undefined, name: string, fallback: string[] = []): string[] {
	const value = state?.values?.[name];
	if (value === undefined) return fallback;
	return Array.isArray(value) ? value : [value];
}
