import { describe, expect, it } from 'vitest';
import { createOnceGuard } from './earning-once.ts';

const NONCE = 'a'.repeat(32);

describe('double-submit guard', () => {
	it('answers a second submission of the same form with the first outcome, also while the first is running', async () => {
		const once = createOnceGuard();
		let calls = 0;
		const run = async () => {
			calls += 1;
			await new Promise((r) => setTimeout(r, 5));
			return { ok: true as const, id: calls };
		};
		const [a, b] = await Promise.all([once('u1', 'rule', NONCE, run), once('u1', 'rule', NONCE, run)]);
		expect(calls).toBe(1);
		expect(a).toEqual({ ok: true, id: 1 });
		expect(b).toBe(a);
		expect(await once('u1', 'rule', NONCE, run)).toBe(a);
		// Another person, another kind of action, another rendering: their own calls.
		await once('u2', 'rule', NONCE, run);
		await once('u1', 'activate', NONCE, run);
		await once('u1', 'rule', 'b'.repeat(32), run);
		expect(calls).toBe(4);
	});

	it('forgets failures (the form may be corrected and sent again) and successes after ten minutes', async () => {
		let clock = 0;
		const once = createOnceGuard(() => clock);
		let calls = 0;
		const failing = async () => ({ ok: (calls += 1) > 1 });
		expect(await once('u1', 'rule', NONCE, failing)).toEqual({ ok: false });
		expect(await once('u1', 'rule', NONCE, failing)).toEqual({ ok: true });
		expect(await once('u1', 'rule', NONCE, failing)).toEqual({ ok: true });
		expect(calls).toBe(2);
		clock += 10 * 60_000 + 1;
		await once('u1', 'rule', NONCE, failing);
		expect(calls).toBe(3);
		await expect(once('u1', 'x', NONCE, async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
		expect(await once('u1', 'x', NONCE, async () => ({ ok: true }))).toEqual({ ok: true });
	});

	it('does not guard a form without a proper nonce', async () => {
		const once = createOnceGuard();
		let calls = 0;
		const run = async () => ({ ok: true, n: (calls += 1) });
		await once('u1', 'rule', 'not-a-nonce', run);
		await once('u1', 'rule', 'not-a-nonce', run);
		expect(calls).toBe(2);
	});
});
