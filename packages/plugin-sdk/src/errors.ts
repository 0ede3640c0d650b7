/**
 * The one error type of Laurel. A module throws `AppError` with a stable, module-prefixed code
 * (`LEDGER_INSUFFICIENT_BALANCE`), an HTTP status and an i18n key with params; the root error handler
 * renders it as RFC 9457 problem+json in the caller's language.
 */
export interface FieldProblem {
  /** JSON pointer-ish path of the offending field, e.g. `/body/email` or `LAUREL_PORT`. */
  field: string;
  /** i18n key of the message (resolved in the caller's locale). */
  messageKey: string;
  params?: Record<string, unknown>;
}

export interface AppErrorOptions {
  /** i18n key; defaults to `errors.<code>`. */
  messageKey?: string;
  params?: Record<string, unknown>;
  /** Per-field details (validation). */
  fields?: FieldProblem[];
  cause?: unknown;
  /** Non-retryable when raised inside a workflow activity (default: true for 4xx). */
  retryable?: boolean;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly messageKey: string;
  readonly params: Record<string, unknown>;
  readonly fields: FieldProblem[];
  readonly retryable: boolean;

  constructor(code: string, status: number, options: AppErrorOptions = {}) {
    super(code, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.messageKey = options.messageKey ?? `errors.${code}`;
    this.params = options.params ?? {};
    this.fields = options.fields ?? [];
    this.retryable = options.retryable ?? status >= 500;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
