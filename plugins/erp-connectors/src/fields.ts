import { minorUnitsOf, parseQuantity, toMinor } from './money.ts';
import { DocumentRejection, textOf, type El } from './xml.ts';

/* Reading single values out of the tree, each refusal naming the element and its line. */

export function required(el: El | undefined, parent: El, path: string): El {
  if (el && textOf(el) !== undefined) return el;
  if (el && el.children.length > 0) return el;
  throw new DocumentRejection('ERP_REQUIRED_MISSING', `${path} is required`, { line: el?.line ?? parent.line, path, params: { element: path } });
}

export function requiredText(el: El | undefined, parent: El, path: string, maxLength = 100): string {
  const value = textOf(required(el, parent, path));
  if (value === undefined) throw new DocumentRejection('ERP_REQUIRED_MISSING', `${path} is required`, { line: el?.line ?? parent.line, path, params: { element: path } });
  if ([...value].length > maxLength) throw invalid(el!, path, `is longer than ${maxLength} characters`);
  return value;
}

export function invalid(el: El, path: string, problem: string): DocumentRejection {
  return new DocumentRejection('ERP_VALUE_INVALID', `${path} ${problem}`, { line: el.line, path, params: { element: path } });
}

export function optionalText(el: El | undefined, path: string, maxLength = 100): string | null {
  const value = textOf(el);
  if (value === undefined) return null;
  if ([...value].length > maxLength) throw invalid(el!, path, `is longer than ${maxLength} characters`);
  return value;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date (YYYY-MM-DD) that exists. */
export function dateOf(el: El, path: string): string {
  const value = textOf(el) ?? '';
  const m = DATE.exec(value);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const date = new Date(Date.UTC(y, mo - 1, d));
    if (y >= 1000 && date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d) return value;
  }
  throw invalid(el, path, `is not a date (YYYY-MM-DD): "${value.slice(0, 40)}"`);
}

export function currencyOf(el: El, path: string): { code: string; digits: number } {
  const code = textOf(el) ?? '';
  const digits = /^[A-Z]{3}$/.test(code) ? minorUnitsOf(code) : undefined;
  if (digits === undefined) throw new DocumentRejection('ERP_CURRENCY_UNKNOWN', `${path} "${code.slice(0, 20)}" is not an ISO 4217 currency with minor units`, { line: el.line, path, params: { currency: code.slice(0, 20) } });
  return { code, digits };
}

/** A decimal amount as integer minor units of the currency; never rounded. */
export function amountOf(el: El, path: string, digits: number): number {
  const text = textOf(el) ?? '';
  const r = toMinor(text, digits);
  if (r.ok) return r.value;
  const why =
    r.problem === 'precision' ? `has more decimal places than the currency's ${digits}: "${text.slice(0, 40)}"` : r.problem === 'range' ? `is out of range: "${text.slice(0, 40)}"` : `is not a decimal amount: "${text.slice(0, 40)}"`;
  throw invalid(el, path, why);
}

export function quantityOf(el: El, path: string): string {
  const text = textOf(el) ?? '';
  const q = parseQuantity(text);
  if (!q.ok) throw invalid(el, path, `is not a decimal quantity: "${text.slice(0, 40)}"`);
  return q.text;
}
