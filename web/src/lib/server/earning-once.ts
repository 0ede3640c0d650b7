const NONCE = /^[0-9a-f]{32}$/;
const TTL_MS = 10 * 60_000;

/**
 * A guard against double submits for API calls that take no idempotency key (creating an earning rule, activating,
 * resolving an event): the same person submitting the same rendering of a form (same nonce) gets the first
 * submission's outcome instead of a second call. Only successes are kept, for ten minutes — a failed submission may be
 * corrected and sent again with the same nonce. Kept in this process: several web processes behind a balancer would
 * each keep their own.
 */
export function createOnceGuard(now: () => number = Date.now) {
	const seen = new Map<string, { at: number; outcome: Promise<{ ok: boolean }> }>();
	return async function once<R extends { ok: boolean }>(who: string, kind: string, nonce: string, run: () => Promise<R>): Promise<R> {
		const at = now();
		for (const [key, entry] of seen) if (at - entry.at > TTL_MS) seen.delete(key);
		if (!NONCE.test(nonce)) return run();
		const key = `${who}:${kind}:${nonce}`;
		const earlier = seen.get(key);
		if (earlier) return earlier.outcome as Promise<R>;
		const outcome = run();
		seen.set(key, { at, outcome });
		try {
			const result = await outcome;
			if (!result.ok) seen.delete(key);
			return result;
		} catch (error) {
			seen.delete(key);
			throw error;
		}
	};
}
