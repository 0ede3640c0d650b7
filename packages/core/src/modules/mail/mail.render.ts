import type { Locale } from '@laurel/plugin-sdk';

/**
 * Mail templates are i18n messages. A template `<namespace>:<name>` (e.g. `access:welcome`) is the pair of keys
 * `<namespace>:mail.<name>.subject` and `<namespace>:mail.<name>.body` in that plugin's locale resources (en, pl
 * and ru, checked in CI like every other message); a bare `<name>` (e.g. `invitation`) is one of the `mail`
 * module's own templates. The body is plain text: paragraphs separated by a blank line. The HTML version is
 * derived from it, with the template text and every parameter escaped.
 */

/** A JSON-safe template parameter, as kept in the outbox event. */
export type MailParam = string | number | boolean | null;

/** A translate function with i18next options, as `ctx.t` is. */
export type Translate = (key: string, options?: Record<string, unknown>) => string;

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const TEMPLATE = /^(?:([a-z][a-z0-9]*(?:-[a-z0-9]+)*):)?([A-Za-z][A-Za-z0-9]*)$/;
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)[^}]*\}\}/g;
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
// Control characters other than tab and newline have no place in a message (and NUL marks parameters below).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;
const MISSING = '\u0000missing\u0000';

/** The i18n keys of a template, or null when the name is neither `<namespace>:<name>` nor `<name>`. */
export function templateKeys(template: string): { subject: string; body: string } | null {
  const m = TEMPLATE.exec(template);
  if (!m) return null;
  const prefix = `${m[1] ?? 'mail'}:mail.${m[2]}`;
  return { subject: `${prefix}.subject`, body: `${prefix}.body` };
}

/**
 * What is wrong with a request for this template, or null when nothing is: the template must exist (in English,
 * the fallback of every language) and every `{{placeholder}}` of its English messages must have a parameter.
 */
export function templateProblem(t: Translate, template: string, params: Record<string, unknown>): string | null {
  const keys = templateKeys(template);
  if (!keys) return `mail template "${template}" is neither <namespace>:<name> nor <name>`;
  const missing = new Set<string>();
  for (const key of [keys.subject, keys.body]) {
    // No values at all: every placeholder stays in the text as written.
    const raw = t(key, { lng: 'en', replace: {}, defaultValue: MISSING, interpolation: { skipOnVariables: true } });
    if (raw === MISSING) return `mail template "${template}" does not exist: no message ${key}`;
    for (const m of raw.matchAll(PLACEHOLDER)) if (params[m[1]!] === undefined) missing.add(m[1]!);
  }
  return missing.size > 0 ? `mail template "${template}" needs the parameter(s) ${[...missing].join(', ')}` : null;
}

/**
 * Check and normalize parameters for the outbox (JSON): strings, finite numbers, booleans and null are kept, a
 * `Date` becomes an ISO-8601 timestamp (rendered as a date in the recipient's language). Throws a `TypeError`
 * naming the parameter for anything else.
 */
export function normalizeParams(params: Record<string, unknown>): Record<string, MailParam> {
  const out: Record<string, MailParam> = {};
  for (const [name, value] of Object.entries(params)) {
    if (!PARAM_NAME.test(name)) throw new TypeError(`Mail parameter name "${name}" is not an identifier`);
    if (value === undefined) continue;
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw new TypeError(`Mail parameter "${name}" is an invalid date`);
      out[name] = value.toISOString();
    } else if (value === null || typeof value === 'string' || typeof value === 'boolean') {
      out[name] = value;
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      out[name] = value;
    } else {
      throw new TypeError(`Mail parameter "${name}" must be a string, finite number, boolean, null or Date`);
    }
  }
  return out;
}

/** Escape text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

/** A timestamp in the recipient's language; the server does not know their time zone, so it says UTC. */
export function formatTimestamp(iso: string, locale: Locale): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(date)} UTC`;
}

function displayValue(value: MailParam, locale: Locale): string {
  if (value === null) return '';
  if (typeof value === 'number') return new Intl.NumberFormat(locale).format(value);
  if (typeof value === 'boolean') return String(value);
  if (ISO_TIMESTAMP.test(value)) return formatTimestamp(value, locale);
  return value.replace(CONTROL, '');
}

/** A parameter in the HTML version: escaped, and an absolute http(s) URL becomes a link to itself. */
function htmlValue(value: string): string {
  const escaped = escapeHtml(value);
  return /^https?:\/\/[^\s]+$/i.test(value) ? `<a href="${escaped}">${escaped}</a>` : escaped;
}

function htmlDocument(locale: Locale, subject: string, body: string): string {
  return [
    '<!doctype html>',
    `<html lang="${locale}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(subject)}</title>`,
    '</head>',
    '<body style="margin:0;padding:24px;background:#ffffff;color:#1f2933;font-family:-apple-system,\'Segoe UI\',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5">',
    '<div style="max-width:560px;margin:0 auto">',
    body,
    '</div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * Render a template in `locale` with `t` (a context's translate function; the `lng` option picks the
 * recipient's language whatever the context's own locale is). Throws when the template does not exist.
 */
export function renderMail(t: Translate, locale: Locale, template: string, params: Record<string, MailParam>): RenderedMail {
  const keys = templateKeys(template);
  if (!keys) throw new Error(`Mail template "${template}" is neither <namespace>:<name> nor <name>`);
  const display: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) display[name] = displayValue(value, locale);
  const plural = typeof params.count === 'number' ? { count: params.count } : {};
  const translate = (key: string, values: Record<string, string>): string => {
    const out = t(key, { lng: locale, replace: values, ...plural, defaultValue: MISSING });
    if (out === MISSING) throw new Error(`Mail template "${template}" has no message ${key}`);
    return out;
  };

  const subject = translate(keys.subject, display).replace(/\s+/g, ' ').trim();
  const text = translate(keys.body, display);

  // The HTML version: render the body with a marker per parameter, escape that text, then put each escaped
  // parameter in its marker's place (one pass, so a parameter's own content is never re-read as markup).
  const names = Object.keys(display);
  const markers = Object.fromEntries(names.map((name, i) => [name, `\u0000${i}\u0000`]));
  const paragraphs = escapeHtml(translate(keys.body, markers))
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => `<p>${p.split('\n').join('<br>\n')}</p>`)
    .join('\n');
  // eslint-disable-next-line no-control-regex
  const body = paragraphs.replace(/\u0000(\d+)\u0000/g, (_, i: string) => htmlValue(display[names[Number(i)] ?? ''] ?? ''));
  return { subject, text, html: htmlDocument(locale, subject, body) };
}
