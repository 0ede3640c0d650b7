import type { RequestEvent } from '@sveltejs/kit';
import type { TFunction } from 'i18next';
import type { AppNamespaces } from '#lib/i18n/config.ts';

export interface SubmittedForm {
	data: FormData;
	/** A field's value, trimmed ('' when absent). */
	text(name: string): string;
	/** A field's value exactly as sent (passwords). */
	raw(name: string): string;
	/** Every value of a repeated field (checkboxes), trimmed, empty ones dropped. */
	all(name: string): string[];
}

export async function readForm(event: RequestEvent): Promise<SubmittedForm> {
	const data = await event.request.formData();
	const raw = (name: string) => {
		const value = data.get(name);
		return typeof value === 'string' ? value : '';
	};
	return {
		data,
		raw,
		text: (name) => raw(name).trim(),
		all: (name) =>
			data
				.getAll(name)
				.filter((value): value is string => typeof value === 'string')
				.map((value) => value.trim())
				.filter(Boolean)
	};
}

/** Localized "required" errors for the named fields that are empty, or null when all are filled. */
export function requireFields(
	t: TFunction<AppNamespaces>,
	values: Record<string, string | string[]>,
	names: string[]
): Record<string, string> | null {
	const errors: Record<string, string> = {};
	for (const name of names) {
		const value = values[name];
		if (value === undefined || value.length === 0) errors[name] = t('form.required');
	}
	return Object.keys(errors).length > 0 ? errors : null;
}

/** The API's minimum password length (it checks again and explains in its own words). */
export const PASSWORD_MIN_LENGTH = 10;

/** Errors for a new password and its confirmation, or null when both are fine. */
export function checkNewPassword(
	t: TFunction<AppNamespaces>,
	password: string,
	confirm: string
): Record<string, string> | null {
	const errors: Record<string, string> = {};
	if (!password) errors.password = t('form.required');
	else if (password.length < PASSWORD_MIN_LENGTH) {
		errors.password = t('auth:fields.passwordTooShort', { count: PASSWORD_MIN_LENGTH });
	}
	if (!confirm) errors.confirm = t('form.required');
	else if (password && confirm !== password) errors.confirm = t('auth:fields.passwordMismatch');
	return Object.keys(errors).length > 0 ? errors : null;
}
