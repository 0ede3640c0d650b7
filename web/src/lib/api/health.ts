import type { ApiClient, paths } from './client.ts';

/** Body of `GET /health/ready` (the same shape for 200 and 503). */
export type HealthReport =
	paths['/health/ready']['get']['responses'][200]['content']['application/json'];
export type HealthComponentStatus = 'up' | 'down' | 'disabled';

/** How long the health page waits for the API before showing the timeout error. */
export const HEALTH_TIMEOUT_MS = 5000;

export type HealthResult =
	| {
			kind: 'report';
			/** HTTP status of the readiness probe: 200 (ready) or 503 (not ready). */
			httpStatus: number;
			report: HealthReport;
	  }
	| { kind: 'unreachable' }
	| { kind: 'timeout'; timeoutMs: number }
	| { kind: 'bad-response'; httpStatus: number };

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Minimal runtime check of the readiness body, so an unexpected answer (an HTML error page from
 * a proxy, an older server) shows a clear error instead of breaking the page.
 */
export function isHealthReport(value: unknown): value is HealthReport {
	if (!isRecord(value)) return false;
	if (value.status !== 'ok' && value.status !== 'unavailable') return false;
	if (typeof value.version !== 'string' || typeof value.checkedAt !== 'string') return false;
	if (!isRecord(value.components)) return false;
	return Object.values(value.components).every(
		(component) => isRecord(component) && typeof component.status === 'string'
	);
}

/** Calls `GET /health/ready` and never throws: every failure becomes a `HealthResult`. */
export async function fetchHealth(
	api: ApiClient,
	timeoutMs: number = HEALTH_TIMEOUT_MS
): Promise<HealthResult> {
	try {
		const { data, error, response } = await api.GET('/health/ready', {
			signal: AbortSignal.timeout(timeoutMs)
		});
		const body: unknown = data ?? error;

		if ((response.status === 200 || response.status === 503) && isHealthReport(body)) {
			return { kind: 'report', httpStatus: response.status, report: body };
		}
		return { kind: 'bad-response', httpStatus: response.status };
	} catch (cause) {
		if (cause instanceof DOMException && cause.name === 'TimeoutError') {
			return { kind: 'timeout', timeoutMs };
		}
		return { kind: 'unreachable' };
	}
}
