import type { paths } from '#lib/api/client.ts';
import type { I18nContext } from '#lib/i18n/context.ts';
import { formatMoney, formatNumber } from '#lib/format/index.ts';
import { normalizeDecimal } from './earning.ts';
import { pointsText } from './text.ts';

/*
 * The review queue, the guardrail settings and the exchange rates: types from the API and pure helpers of their pages.
 */

/** One event a guardrail held back, with its reasons and what approval posts. */
export type Review = paths['/api/v1/earning/reviews/{id}']['get']['responses'][200]['content']['application/json'];
export type ReviewStatus = Review['status'];
export type ReviewReason = Review['reasons'][number];
export type GuardrailSettings = paths['/api/v1/earning/settings/{programId}']['get']['responses'][200]['content']['application/json'];
export type FxRate = paths['/api/v1/earning/fx-rates']['get']['responses'][200]['content']['application/json']['items'][number];
export type FxImported = paths['/api/v1/earning/fx-rates/import']['post']['responses'][201]['content']['application/json'];
export type FxFormat = paths['/api/v1/earning/fx-rates/import']['post']['requestBody']['content']['application/json']['format'];

export const REVIEW_STATUSES: readonly ReviewStatus[] = ['open', 'approved', 'rejected'];
export const FX_FORMATS: readonly FxFormat[] = ['nbp-json', 'nbp-xml', 'ecb-xml'];
/** The volume guardrail's minimum history when none is set (the API's default). */
export const DEFAULT_MIN_INVOICES = 5;

export function isReviewStatus(value: unknown): value is ReviewStatus {
	return typeof value === 'string' && (REVIEW_STATUSES as readonly string[]).includes(value);
}

export function isFxFormat(value: unknown): value is FxFormat {
	return typeof value === 'string' && (FX_FORMATS as readonly string[]).includes(value);
}

const NONCE = /^[0-9a-f]{32}$/;

/**
 * The idempotency key of a review decision: derived from the random token rendered with the form, so a double submit
 * (or a retry of the same rendering) is the same request and the API answers it once. Null without a usable token.
 */
export function reviewIdempotencyKey(action: 'approve' | 'reject', reviewId: string, nonce: string): string | null {
	return NONCE.test(nonce) ? `web:review:${action}:${reviewId}:${nonce}` : null;
}

/**
 * The volume factor as typed (`3`, `2,5`, `1.25`): a number with at most 4 decimal places; `null` for an empty field
 * (the guardrail off); `undefined` when it is not a number at all. Its range is the API's to check (and name).
 */
export function parseVolumeFactor(text: string): number | null | undefined {
	if (text.trim() === '') return null;
	const decimal = normalizeDecimal(text);
	if (decimal === null) return undefined;
	// More than 4 decimal places is sent as typed: the API names the field and says why.
	const value = Number(decimal);
	return Number.isFinite(value) ? value : undefined;
}

/** A whole number of invoices as typed; `undefined` when it is not one. Its range is the API's to check. */
export function parseMinInvoices(text: string): number | undefined {
	const s = text.replace(/[\s\u00a0\u202f]/g, '');
	if (!/^-?\d{1,9}$/.test(s)) return undefined;
	return Number(s);
}

/** The format of a rates file, told from its content: NBP JSON (an array of tables), NBP XML or the ECB's XML. */
export function detectFxFormat(content: string): FxFormat | null {
	const s = content.replace(/^\uFEFF/, '').trimStart();
	if (s.startsWith('[') || s.startsWith('{')) return 'nbp-json';
	if (!s.startsWith('<')) return null;
	if (/<(\w+:)?Envelope\b|eurofxref|<Cube\b/i.test(s)) return 'ecb-xml';
	if (/<(ArrayOfExchangeRatesTable|ExchangeRatesTable|tabela_kursow)\b/i.test(s)) return 'nbp-xml';
	return null;
}

/** A rates file name's hint at its format, used when the content does not tell (`.json` → NBP JSON). */
export function formatFromFileName(name: string): FxFormat | null {
	return /\.json$/i.test(name) ? 'nbp-json' : null;
}

/** The invoice's net value as held (sum of the simulated lines, in the simulation's currency — the program's). */
export function heldNetTotal(simulation: Record<string, unknown>): { amount: number; currency: string } | null {
	const currency = simulation.currency;
	const lines = simulation.lines;
	if (typeof currency !== 'string' || !Array.isArray(lines)) return null;
	let amount = 0;
	for (const line of lines) {
		const net = (line as Record<string, unknown> | null)?.netAmount;
		if (typeof net !== 'number') return null;
		amount += net;
	}
	return { amount, currency };
}

/** A review's decision (`{ action, by, at, reason? }`): who decided, when and why. */
export function decisionOf(decision: Record<string, unknown> | null): { action: 'approve' | 'reject'; by: string | null; at: string | null; reason: string | null } | null {
	if (!decision || (decision.action !== 'approve' && decision.action !== 'reject')) return null;
	const text = (v: unknown) => (typeof v === 'string' && v ? v : null);
	const by = decision.by;
	const byText = text(by) ?? (by && typeof by === 'object' ? (text((by as Record<string, unknown>).email) ?? text((by as Record<string, unknown>).name) ?? text((by as Record<string, unknown>).userId)) : null);
	return { action: decision.action, by: byText, at: text(decision.at), reason: text(decision.reason) };
}

/**
 * Why a guardrail held an event, in words: the document number credited to another partner, the invoice far above
 * the partner's history, or a cap reached. Amounts are in the program currency (`currency`), minor units. A reason
 * the API adds later reads as its kind.
 */
export function reasonText(i18n: I18nContext, reason: ReviewReason, currency: string | null, partnerNames: Record<string, string> = {}): string {
	const t = i18n.t;
	const money = (minor: number | undefined) =>
		minor === undefined ? '—' : currency ? formatMoney(minor, currency, i18n.intlLocale) : formatNumber(minor, i18n.intlLocale);
	const points = (value: number | undefined) => (value === undefined ? '—' : pointsText(i18n, value));
	switch (reason.kind) {
		case 'document-number': {
			const other = reason.otherPartnerId ? (partnerNames[reason.otherPartnerId] ?? reason.otherPartnerId) : t('earning:reviews.otherPartner');
			return t('earning:reviews.reasons.documentNumber', { number: reason.number ?? '—', partner: other });
		}
		case 'volume':
			return t('earning:reviews.reasons.volume', {
				count: reason.invoices ?? 0,
				netTotal: money(reason.netTotal),
				average: money(reason.average),
				factor: formatNumber(reason.factor ?? 0, i18n.intlLocale, { maximumFractionDigits: 4 })
			});
		case 'cap':
			return t('earning:reviews.reasons.cap', {
				code: reason.code ?? '—',
				kind: t(`earning:reviews.capKinds.${reason.cap ?? 'event'}`),
				limit: points(reason.limit),
				already: points(reason.alreadyGranted),
				now: points(reason.grantedNow),
				uncapped: points(reason.uncapped)
			});
		case 'related-company': {
			const buyer = reason.buyer?.name ?? reason.matched ?? '—';
			const related = reason.relatedPartnerId ? (partnerNames[reason.relatedPartnerId] ?? reason.name ?? reason.relatedPartnerId) : (reason.name ?? '—');
			return t(`earning:reviews.reasons.related.${reason.relation ?? 'declared'}`, { buyer, matched: reason.matched ?? '—', related });
		}
		default:
			return String((reason as { kind: string }).kind);
	}
}

/**
 * A rate as the API gives it (`4.7144`, or an exact fraction `8618/2141`) in the person's notation: a decimal with the
 * locale's separator, digits kept exactly as they come (no float rounding); a fraction as it comes.
 */
export function localizeRate(rate: string, intlLocale: string): string {
	if (!/^\d+(\.\d+)?$/.test(rate)) return rate;
	const separator = new Intl.NumberFormat(intlLocale).formatToParts(1.5).find((part) => part.type === 'decimal')?.value ?? '.';
	return rate.replace('.', separator);
}
