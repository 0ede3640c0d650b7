import { fail } from '@sveltejs/kit';
import { detectFxFormat, formatFromFileName, isFxFormat, type FxImported } from '#lib/earning/guardrails.ts';
import { callApi } from '#lib/server/api.ts';
import { readForm } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';
import type { Actions } from './$types';

/** The largest rates file read (the API takes up to 4 MiB of content). */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

export const actions: Actions = {
	/** Fetch a configured source now (the scheduled fetch's day starts again); the card shows its new status. */
	fetchNow: async (event) => {
		const form = await readForm(event);
		const source = form.text('source');
		const result = await callApi(event, (api) => api.POST('/api/v1/earning/fx-fetches/{source}/run', { params: { path: { source } } }));
		if (!result.ok) return fail(result.status, { action: 'fetchNow', problem: result.state.message ?? Object.values(result.state.errors ?? {})[0] ?? null });
		return { action: 'fetchNow', done: 'fetched' as const, source };
	},

	/**
	 * Import a rates file, uploaded or pasted: an NBP table A (JSON or XML) or the ECB's daily XML. The format is told
	 * from the content unless chosen. The API's problem (a file it cannot read) is shown on the field the content came
	 * from.
	 */
	import: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const values = { content: form.raw('content'), format: form.text('format'), quote: form.text('quote').toUpperCase() };
		const failWith = (status: number, errors: Record<string, string>) => fail(status, { action: 'import', values, errors });
		let content = values.content;
		let fromFile = false;
		let fileName = '';
		const file = form.data.get('file');
		if (file instanceof File && file.size > 0) {
			if (file.size > MAX_FILE_BYTES) return failWith(413, { file: t('earning:fxRates.import.fileTooLarge') });
			try {
				content = new TextDecoder('utf-8', { fatal: true }).decode(await file.arrayBuffer());
			} catch {
				return failWith(400, { file: t('earning:fxRates.import.fileNotText') });
			}
			fromFile = true;
			fileName = file.name;
			// The file is what is imported; the pasted text stays in its field.
		}
		if (!content.trim()) return failWith(400, { content: t('earning:fxRates.import.contentRequired') });
		const errors: Record<string, string> = {};
		if (values.quote && !/^[A-Z]{3}$/.test(values.quote)) errors.quote = t('earning:fxRates.import.quoteInvalid');
		const format = isFxFormat(values.format) ? values.format : (detectFxFormat(content) ?? formatFromFileName(fileName));
		if (!format) errors.format = t('earning:fxRates.import.formatUnknown');
		if (Object.keys(errors).length > 0) return failWith(400, errors);
		const result = await callApi<FxImported>(event, (api) =>
			api.POST('/api/v1/earning/fx-rates/import', {
				body: { format: format!, content, ...(values.quote && format === 'ecb-xml' ? { quote: values.quote } : {}) }
			})
		);
		if (!result.ok) {
			const apiErrors = { ...(result.state.errors ?? {}) };
			if (apiErrors.content && fromFile) {
				apiErrors.file = apiErrors.content;
				delete apiErrors.content;
			}
			return fail(result.status, { ...result.state, errors: apiErrors, action: 'import', values });
		}
		return { action: 'import', done: 'imported' as const, imported: result.data };
	}
};
