import type { paths } from '#lib/api/client.ts';
import type { FormState } from '#lib/forms.ts';
import type { StatusTone } from '#lib/ui/StatusBadge.svelte';

type StartResponse =
	paths['/api/v1/partners/imports']['post']['responses'][202]['content']['application/json'];

/** What checking a file found: rows in it, rows ready to import, rows already present, bad rows. */
export type ImportReport = StartResponse['report'];
/** One bad row (or header) of a CSV file: its line, the column and the reason, in the person's language. */
export type ImportProblem = ImportReport['problems'][number];
/** A running or finished import (`GET /api/v1/partners/imports/{id}`). */
export type PartnerImport =
	paths['/api/v1/partners/imports/{id}']['get']['responses'][200]['content']['application/json'];
export type ImportStatus = PartnerImport['status'];

/**
 * The columns the API reads, in the order of the sample file, each with the key of its
 * explanation under `partners:import.columns`.
 */
export const IMPORT_COLUMNS = [
	{ name: 'legalName', required: true },
	{ name: 'type', required: true },
	{ name: 'partnerCode', required: false },
	{ name: 'nip', required: false },
	{ name: 'regon', required: false },
	{ name: 'euVat', required: false },
	{ name: 'krs', required: false },
	{ name: 'country', required: false },
	{ name: 'region', required: false },
	{ name: 'salesChannel', required: false },
	{ name: 'segments', required: false },
	{ name: 'accountManagerEmail', required: false }
] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number]['name'];

/** The sample file under `web/static` (UTF-8 with a byte-order mark, so spreadsheets read it right). */
export const SAMPLE_CSV = 'samples/partners-import.csv';

/** The API accepts CSV bodies up to 10 MiB. */
export const MAX_CSV_BYTES = 10 * 1024 * 1024;

/**
 * What the import page's actions hand back: the usual form state plus the checked file (its name
 * and text, so that "Import" can send it again without a second upload, also without
 * JavaScript), the report of the check, or the bad rows of a refused import.
 */
export interface ImportFormState extends FormState {
	action?: 'check' | 'start';
	fileName?: string;
	csv?: string;
	report?: ImportReport;
	/** Bad rows from a 422 problem (when the report itself is not available). */
	problems?: ImportProblem[];
	/** The import was not started because no row was left to import. */
	done?: 'nothing';
}

/**
 * Bad rows of a refused import, from the problem's field errors: the API names each one with a JSON
 * pointer `/csv/<line>/<column>` and a message already in the person's language.
 */
export function problemsFromFieldErrors(errors: Record<string, string> | undefined): ImportProblem[] {
	const problems: ImportProblem[] = [];
	for (const [field, message] of Object.entries(errors ?? {})) {
		const match = /^\/csv\/(\d+)\/(.*)$/.exec(field);
		if (!match) continue;
		const column = (match[2] ?? '').replaceAll('~1', '/').replaceAll('~0', '~');
		problems.push({ line: Number(match[1]), column, code: '', message });
	}
	return problems.sort((a, b) => a.line - b.line);
}

/** How many distinct lines have a problem (a row can have several). */
export function badLineCount(problems: readonly ImportProblem[]): number {
	return new Set(problems.map((problem) => problem.line)).size;
}

/** Share of the rows processed so far, 0 to 1 (an import with no rows is complete). */
export function importProgress(job: Pick<PartnerImport, 'processed' | 'total'>): number {
	if (job.total <= 0) return 1;
	return Math.min(1, Math.max(0, job.processed / job.total));
}

/** Badge tone of an import's status; the badge's text carries the meaning. */
export function importStatusTone(status: ImportStatus): StatusTone {
	switch (status) {
		case 'running':
			return 'info';
		case 'done':
			return 'success';
		case 'failed':
			return 'danger';
	}
}

/** Whether the request body was refused for its size (SvelteKit's BODY_SIZE_LIMIT). */
export function isPayloadTooLarge(cause: unknown): boolean {
	for (let error = cause, depth = 0; depth < 3; depth += 1) {
		if (typeof error !== 'object' || error === null) return false;
		if ((error as { status?: unknown }).status === 413) return true;
		error = (error as { cause?: unknown }).cause;
	}
	return false;
}
