import { fail, redirect, type RequestEvent } from '@sveltejs/kit';
import type { Actions } from './$types';
import {
	MAX_CSV_BYTES,
	isPayloadTooLarge,
	problemsFromFieldErrors,
	type ImportFormState
} from '#lib/partner-import.ts';
import { callApi } from '#lib/server/api.ts';
import { readForm, type SubmittedForm } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';

/** The form, or a localized failure when the upload was bigger than this app accepts (BODY_SIZE_LIMIT). */
async function readUpload(event: RequestEvent, action: ImportFormState['action']) {
	try {
		return { form: await readForm(event) };
	} catch (cause) {
		if (!isPayloadTooLarge(cause)) throw cause;
		const state: ImportFormState = { action, message: translatorOf(event)('partners:import.uploadTooLarge') };
		return { failure: fail(413, state) };
	}
}

/** The chosen file as text, or the localized reason it cannot be used. */
async function readCsvFile(
	event: RequestEvent,
	form: SubmittedForm
): Promise<{ csv: string; fileName: string } | { error: string }> {
	const t = translatorOf(event);
	const file = form.data.get('file');
	if (!(file instanceof File) || (file.size === 0 && !file.name)) return { error: t('partners:import.chooseFile') };
	if (file.size === 0) return { error: t('partners:import.emptyFile') };
	if (file.size > MAX_CSV_BYTES) return { error: t('partners:import.fileTooLarge') };
	let csv: string;
	try {
		// Strictly UTF-8: a file saved in a legacy code page would otherwise import garbled letters.
		csv = new TextDecoder('utf-8', { fatal: true }).decode(await file.arrayBuffer());
	} catch {
		return { error: t('partners:import.notUtf8') };
	}
	if (csv.replace(/^\uFEFF/, '').trim() === '') return { error: t('partners:import.emptyFile') };
	return { csv, fileName: file.name };
}

/** Sends the file to the API (as text/csv); a dry run reports every row and imports nothing. */
function postCsv(
	event: RequestEvent,
	{ programId, csv, dryRun, importGood }: { programId: string; csv: string; dryRun: boolean; importGood: boolean }
) {
	return callApi(event, (api) =>
		api.POST('/api/v1/partners/imports', {
			params: { query: { programId, ...(dryRun ? { dryRun: true } : {}), ...(importGood ? { importGood: true } : {}) } },
			body: csv,
			bodySerializer: (body: string) => body,
			headers: { 'content-type': 'text/csv; charset=utf-8' }
		})
	);
}

export const actions: Actions = {
	/**
	 * "Check the file": a dry run that also reports the bad rows (`importGood=true`), so the page can
	 * show the whole report — rows, good rows, rows already present, and every bad row — at once.
	 */
	check: async (event) => {
		const t = translatorOf(event);
		const upload = await readUpload(event, 'check');
		if (upload.failure) return upload.failure;
		const { form } = upload;
		const programId = form.text('programId');
		const values = { programId };

		const file = await readCsvFile(event, form);
		const errors: Record<string, string> = {};
		if (!programId) errors.programId = t('form.required');
		if ('error' in file) errors.file = file.error;
		if (Object.keys(errors).length > 0 || 'error' in file) {
			const state: ImportFormState = { action: 'check', values, errors };
			return fail(400, state);
		}

		const result = await postCsv(event, { programId, csv: file.csv, dryRun: true, importGood: true });
		if (!result.ok) {
			const problems = problemsFromFieldErrors(result.state.errors);
			const state: ImportFormState = { ...result.state, action: 'check', values, ...file, problems };
			return fail(result.status, state);
		}
		const state: ImportFormState = { action: 'check', values, ...file, report: result.data.report };
		return state;
	},

	/**
	 * "Import": the checked file again (kept in the page, so this works without JavaScript too), with
	 * `importGood=true` when the check found bad rows. The API checks every row again; a row that
	 * went bad meanwhile comes back as a 422 listing the bad rows.
	 */
	start: async (event) => {
		const t = translatorOf(event);
		const upload = await readUpload(event, 'start');
		if (upload.failure) return upload.failure;
		const { form } = upload;
		const programId = form.text('programId');
		const csv = form.raw('csv');
		const fileName = form.text('fileName');
		const importGood = form.text('mode') === 'good';
		const values = { programId };
		if (!programId || !csv.trim()) {
			const state: ImportFormState = { action: 'start', values, message: t('partners:import.checkAgain') };
			return fail(400, state);
		}

		const result = await postCsv(event, { programId, csv, dryRun: false, importGood });
		if (!result.ok) {
			const problems = problemsFromFieldErrors(result.state.errors);
			const state: ImportFormState = { ...result.state, action: 'start', values, fileName, problems };
			return fail(result.status, state);
		}
		const job = result.data.import;
		if (job) redirect(303, `/admin/partners/import/${job.id}`);
		const state: ImportFormState = { action: 'start', values, fileName, report: result.data.report, done: 'nothing' };
		return state;
	}
};
