import { fail, type RequestEvent } from '@sveltejs/kit';
import { callApi } from '#lib/server/api.ts';
import { readForm, requireFields } from '#lib/server/forms.ts';
import { translatorOf } from '#lib/server/i18n.ts';

/** The largest file the API keeps (5 MiB). */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;
const TYPES = new Set(['application/pdf', 'image/png', 'image/jpeg']);

export type AttachmentBody = { filename: string; contentType: string; data: string };

/** A chosen file as the API takes it (base64), or an error message; null when no file was chosen. */
export async function fileOf(
	event: RequestEvent,
	data: FormData,
	name: string
): Promise<{ ok: true; body: AttachmentBody | null } | { ok: false; error: string }> {
	const t = translatorOf(event);
	const file = data.get(name);
	if (!(file instanceof File) || file.size === 0) return { ok: true, body: null };
	if (file.size > MAX_FILE_BYTES) return { ok: false, error: t('disputes:fileTooLarge') };
	if (!TYPES.has(file.type)) return { ok: false, error: t('disputes:fileType') };
	const bytes = Buffer.from(await file.arrayBuffer());
	return { ok: true, body: { filename: file.name || 'file', contentType: file.type, data: bytes.toString('base64') } };
}

/** `?/message`: write in a dispute's thread, from the partner's side or support's. */
export async function messageAction(event: RequestEvent<{ id: string }>, side: 'partner' | 'support') {
	const t = translatorOf(event);
	const form = await readForm(event);
	const text = form.text('text');
	const errors = requireFields(t, { text }, ['text']);
	if (errors) return fail(400, { action: 'message', values: { text }, errors });
	const id = event.params.id;
	const result = await callApi(event, (api) =>
		side === 'partner'
			? api.POST('/api/v1/earning/disputes/{id}/messages', { params: { path: { id } }, body: { text } })
			: api.POST('/api/v1/earning/staff/disputes/{id}/messages', { params: { path: { id } }, body: { text } })
	);
	if (!result.ok) return result.fail({ action: 'message', values: { text } });
	return { action: 'message', done: 'sent' as const };
}

/** `?/attach`: attach a file (PDF, PNG or JPEG, at most 5 MB) to an open dispute. */
export async function attachAction(event: RequestEvent<{ id: string }>, side: 'partner' | 'support') {
	const t = translatorOf(event);
	const form = await readForm(event);
	const file = await fileOf(event, form.data, 'file');
	if (!file.ok) return fail(400, { action: 'attach', errors: { file: file.error } });
	if (!file.body) return fail(400, { action: 'attach', errors: { file: t('form.required') } });
	const body = file.body;
	const id = event.params.id;
	const result = await callApi(event, (api) =>
		side === 'partner'
			? api.POST('/api/v1/earning/disputes/{id}/attachments', { params: { path: { id } }, body })
			: api.POST('/api/v1/earning/staff/disputes/{id}/attachments', { params: { path: { id } }, body })
	);
	if (!result.ok) return result.fail({ action: 'attach' });
	return { action: 'attach', done: 'uploaded' as const };
}
