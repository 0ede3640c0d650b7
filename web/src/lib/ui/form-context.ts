import { createContext } from 'svelte';

/**
 * Shared by `<Form>` and its fields while rendering: the first field that shows an error claims
 * `autofocus`, so after a submission without JavaScript (a full page load) the keyboard lands on
 * it. With JavaScript, `<Form>` moves focus itself after each submission.
 */
export interface FormContext {
	claimAutofocus(): boolean;
}

const [getFormContext, setFormContext] = createContext<FormContext>();

export function formContext(): FormContext | undefined {
	try {
		return getFormContext();
	} catch {
		return undefined;
	}
}

export { setFormContext };
