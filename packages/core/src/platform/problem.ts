import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorObject } from 'ajv';
import localize from 'ajv-i18n';
import { AppError, isAppError, type FieldProblem, type Locale } from '@laurel/plugin-sdk';
import { DEFAULT_LOCALE, type Translator } from './i18n.ts';

/** RFC 9457 problem details, as every error of the API is rendered. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId: string;
  errors?: { field: string; message: string }[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

function problemType(code: string): string {
  return `urn:laurel:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

function ajvFieldOf(context: string | undefined, e: ErrorObject): string {
  const base = `/${context ?? 'body'}${e.instancePath}`;
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required' && typeof params.missingProperty === 'string') return `${base}/${params.missingProperty}`;
  if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') return `${base}/${params.additionalProperty}`;
  return base;
}

/** Turn Fastify's ajv validation failure into field problems with messages in the caller's locale. */
function validationFields(error: FastifyError, locale: Locale): { field: string; message: string }[] {
  const ajvErrors = (error.validation ?? []).map((e) => ({ ...e })) as ErrorObject[];
  const localizer = (localize as unknown as Record<string, (errors: ErrorObject[]) => void>)[locale];
  localizer?.(ajvErrors);
  const seen = new Set<string>();
  const out: { field: string; message: string }[] = [];
  for (const e of ajvErrors) {
    const field = ajvFieldOf(error.validationContext, e);
    const message = e.message ?? e.keyword;
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ field, message });
  }
  return out;
}

/** Map any thrown thing to an AppError (the one shape the renderer knows). */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const fe = error as Partial<FastifyError> | undefined;
  if (fe && Array.isArray(fe.validation)) {
    return new AppError('VALIDATION_FAILED', 400, { cause: error });
  }
  switch (fe?.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('MALFORMED_JSON', 400, { cause: error });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('EMPTY_JSON_BODY', 400, { cause: error });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 415, { cause: error });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', 413, { cause: error });
    default:
      break;
  }
  // SyntaxError from JSON.parse in the default parser
  if (fe && fe.statusCode === 400 && error instanceof SyntaxError) return new AppError('MALFORMED_JSON', 400, { cause: error });
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode === 429) return new AppError('RATE_LIMITED', 429, { cause: error });
  return new AppError('INTERNAL_ERROR', 500, { cause: error });
}

export function renderProblem(
  error: unknown,
  request: Pick<FastifyRequest, 'id' | 'url' | 'method' | 'headers'> & { ctx?: { locale: Locale } },
  translator: Translator,
  localeHint?: Locale,
): Problem {
  const app = toAppError(error);
  const locale = request.ctx?.locale ?? localeHint ?? DEFAULT_LOCALE;
  const t = translator.fixed(locale);
  const status = app.status;
  let fields: { field: string; message: string }[] | undefined;
  const fe = error as FastifyError;
  if (app.code === 'VALIDATION_FAILED' && Array.isArray(fe?.validation)) {
    fields = validationFields(fe, locale);
  } else if (app.fields.length > 0) {
    fields = app.fields.map((f: FieldProblem) => ({ field: f.field, message: t(f.messageKey, f.params ?? {}) }));
  }
  const params: Record<string, unknown> = {
    ...app.params,
    requestId: request.id,
    method: request.method,
    url: request.url.split('?')[0],
    contentType: request.headers['content-type'] ?? '',
  };
  if (fields) {
    params.count = fields.length;
    params.fields = fields.map((f) => f.field).join(', ');
  }
  // A 5xx never reveals a message or a stack: only the generic text and the request id.
  const detail = status >= 500 && app.code !== 'SERVICE_UNAVAILABLE' ? t('errors.INTERNAL_ERROR', params) : t(app.messageKey, params);
  const titleKey = `problem.title.${status}`;
  const title = translator.has(locale, titleKey) ? t(titleKey) : String(status);
  const problem: Problem = {
    type: problemType(status >= 500 && app.code !== 'SERVICE_UNAVAILABLE' ? 'INTERNAL_ERROR' : app.code),
    title,
    status,
    detail,
    instance: request.url.split('?')[0] ?? '/',
    code: status >= 500 && app.code !== 'SERVICE_UNAVAILABLE' ? 'INTERNAL_ERROR' : app.code,
    requestId: request.id,
  };
  if (fields) problem.errors = fields;
  return problem;
}

/** Install the one root error handler and the API 404 handler. */
export function installProblemHandlers(app: FastifyInstance, translator: Translator, negotiate: (req: FastifyRequest) => Locale): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const problem = renderProblem(error, request, translator, negotiate(request));
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: problem.code, status: problem.status }, 'request rejected');
    void reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
  });
}

export function sendNotFound(request: FastifyRequest, reply: FastifyReply, translator: Translator, locale: Locale): void {
  const problem = renderProblem(new AppError('NOT_FOUND', 404), request, translator, locale);
  void reply.status(404).type(PROBLEM_CONTENT_TYPE).send(problem);
}
