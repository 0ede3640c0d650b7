import { fail } from '@sveltejs/kit';
import { UUID } from '#lib/earning/earning.ts';
import { callApi } from '#lib/server/api.ts';
import { readForm } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';
import type { Actions } from './$types';

/** The largest mapping list read (the API takes up to 10 MiB). */
const MAX_FILE_BYTES = 8 * 1024 * 1024;

interface Mapping {
	id: string;
	kind: 'seller-code' | 'gtin';
	code: string;
	programSku: string;
}

/** A date field as the API takes it: YYYY-MM-DD as the start of that day (UTC), empty as null. */
const dateOf = (value: string): string | null | undefined => (value ? (/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00.000Z` : undefined) : null);

export const actions: Actions = {
	/** Add a mapping: a seller code or a GTIN (one of them), its scope, the program SKU and category, the validity. */
	save: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const values = {
			id: form.text('id'),
			programId: form.text('programId'),
			codeKind: form.text('codeKind') === 'gtin' ? 'gtin' : 'seller-code',
			code: form.text('code'),
			source: form.text('source'),
			seller: form.text('seller'),
			programSku: form.text('programSku'),
			category: form.text('category'),
			validFrom: form.text('validFrom'),
			validTo: form.text('validTo'),
			note: form.text('note')
		};
		if (!UUID.test(values.programId)) return fail(400, { action: 'save', values, message: t('errors.unexpected', { status: 400 }) });
		const errors: Record<string, string> = {};
		if (!values.id && !values.code) errors.code = t('earning:skuMapping.form.codeRequired');
		if (!values.programSku) errors.programSku = t('earning:skuMapping.form.programSkuRequired');
		const validFrom = dateOf(values.validFrom);
		const validTo = dateOf(values.validTo);
		if (validFrom === undefined) errors.validFrom = t('earning:skuMapping.form.dateInvalid');
		if (validTo === undefined) errors.validTo = t('earning:skuMapping.form.dateInvalid');
		if (Object.keys(errors).length > 0) return fail(400, { action: 'save', values, errors });
		const common = { programSku: values.programSku, category: values.category || null, validFrom: validFrom ?? null, validTo: validTo ?? null, note: values.note || null };
		const result = UUID.test(values.id)
			? await callApi<Mapping>(event, (api) => api.PATCH('/api/v1/earning/sku-mappings/{id}', { params: { path: { id: values.id } }, body: common }))
			: await callApi<Mapping>(event, (api) =>
					api.POST('/api/v1/earning/sku-mappings', {
						body: {
							programId: values.programId,
							...(values.codeKind === 'gtin' ? { gtin: values.code } : { sellerCode: values.code }),
							source: values.source || null,
							seller: values.seller || null,
							...common
						}
					})
				);
		if (!result.ok) {
			// The code's problem (sellerCode or gtin) is shown on the one code field.
			const errs = { ...(result.state.errors ?? {}) };
			for (const k of ['sellerCode', 'gtin']) if (errs[k]) errs.code ??= errs[k];
			return fail(result.status, { ...result.state, errors: errs, action: 'save', values });
		}
		return { action: 'save', done: UUID.test(values.id) ? ('updated' as const) : ('created' as const), mapping: result.data };
	},

	/** Retire a mapping: its code is unmapped again for events evaluated from now on. */
	retire: async (event) => {
		const form = await readForm(event);
		const id = form.text('id');
		if (!UUID.test(id)) return fail(400, { action: 'retire', message: translatorOf(event)('errors.unexpected', { status: 400 }) });
		const result = await callApi<Mapping>(event, (api) => api.POST('/api/v1/earning/sku-mappings/{id}/retire', { params: { path: { id } }, body: {} }));
		if (!result.ok) return result.fail({ action: 'retire' });
		return { action: 'retire', done: 'retired' as const, mapping: result.data };
	},

	/** Map an unmapped code in one step. */
	map: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const id = form.text('unmappedId');
		const scope = form.text('scope');
		const values = { unmappedId: id, programSku: form.text('programSku'), category: form.text('category'), scope };
		if (!UUID.test(id)) return fail(400, { action: 'map', values, message: t('errors.unexpected', { status: 400 }) });
		if (!values.programSku) {
			const errors: Record<string, string> = { programSku: t('earning:skuMapping.form.programSkuRequired') };
			return fail(400, { action: 'map', values, errors });
		}
		const result = await callApi<Mapping>(event, (api) =>
			api.POST('/api/v1/earning/sku-unmapped/{id}/map', {
				params: { path: { id } },
				body: { programSku: values.programSku, category: values.category || null, scope: scope === 'any' || scope === 'seller' ? scope : 'source' }
			})
		);
		if (!result.ok) return result.fail({ action: 'map', values });
		return { action: 'map', done: 'mapped' as const, mapping: result.data };
	},

	/** Import a mapping list (CSV), uploaded or pasted; all rows or none, every bad cell listed. */
	import: async (event) => {
		const t = translatorOf(event);
		const form = await readForm(event);
		const values = { programId: form.text('programId'), csv: form.raw('csv'), dryRun: form.text('dryRun') };
		const failWith = (status: number, errors: Record<string, string>) => fail(status, { action: 'import', values, errors });
		let csv = values.csv;
		const file = form.data.get('file');
		if (file instanceof File && file.size > 0) {
			if (file.size > MAX_FILE_BYTES) return failWith(413, { file: t('earning:skuMapping.import.fileTooLarge') });
			try {
				csv = new TextDecoder('utf-8', { fatal: true }).decode(await file.arrayBuffer());
			} catch {
				return failWith(400, { file: t('earning:skuMapping.import.fileNotText') });
			}
		}
		if (!UUID.test(values.programId)) return fail(400, { action: 'import', values, message: t('errors.unexpected', { status: 400 }) });
		if (!csv.trim()) return failWith(400, { csv: t('earning:skuMapping.import.csvRequired') });
		const result = await callApi<{ rows: number; created: number; updated: number; unchanged: number; dryRun: boolean }>(event, (api) =>
			api.POST('/api/v1/earning/sku-mappings/import', { body: { programId: values.programId, csv, dryRun: values.dryRun === 'on' } })
		);
		if (!result.ok) return result.fail({ action: 'import', values });
		return { action: 'import', done: 'imported' as const, report: result.data };
	}
};
