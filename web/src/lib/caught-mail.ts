/**
 * Mail caught by the local SMTP catcher of `laurel dev` (`GET /api/v1/mail/caught`). The route and
 * its permission `mail:read-caught` exist only while a catcher runs, so the route is not in the
 * generated API types (they are generated from a production server) and is typed here.
 */
export interface CaughtMail {
	id: string;
	receivedAt: string;
	from: string;
	to: string[];
	subject: string;
	text: string;
	html: string | null;
	messageId: string | null;
}

export interface CaughtMailList {
	items: CaughtMail[];
}

export const CAUGHT_MAIL_PATH = '/api/v1/mail/caught';
/** Granted to admins only while a catcher runs; a production server does not know it. */
export const READ_CAUGHT_MAIL = 'mail:read-caught';

export function isCaughtMailList(value: unknown): value is CaughtMailList {
	return (
		typeof value === 'object' &&
		value !== null &&
		Array.isArray((value as CaughtMailList).items)
	);
}

/** Newest first, whatever order the catcher keeps. */
export function newestFirst(items: readonly CaughtMail[]): CaughtMail[] {
	return [...items].sort((a, b) => Date.parse(b.receivedAt) - Date.parse(a.receivedAt));
}

export type TextPart = { text: string; href?: undefined } | { text: string; href: string };

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/g;
// Punctuation that ends a sentence rather than the link ("open this link: https://….").
const TRAILING = /[.,;:!?)\]}]+$/;

/**
 * A plain-text body split into text and links (http and https only), so that a page can show the
 * links as anchors without rendering any HTML from the message.
 */
export function linkify(text: string): TextPart[] {
	const parts: TextPart[] = [];
	let last = 0;
	for (const match of text.matchAll(URL_PATTERN)) {
		const start = match.index;
		const href = match[0].replace(TRAILING, '');
		if (start > last) parts.push({ text: text.slice(last, start) });
		parts.push({ text: href, href });
		last = start + href.length;
	}
	if (last < text.length) parts.push({ text: text.slice(last) });
	return parts;
}
