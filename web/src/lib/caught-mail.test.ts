import { describe, expect, it } from 'vitest';
import { linkify, newestFirst, type CaughtMail } from './caught-mail.ts';

describe('linkify', () => {
	it('turns http(s) URLs into links and leaves sentence punctuation outside', () => {
		expect(linkify('Open this link:\nhttp://127.0.0.1:3310/invitation/abc_-1.\nThanks')).toEqual([
			{ text: 'Open this link:\n' },
			{ text: 'http://127.0.0.1:3310/invitation/abc_-1', href: 'http://127.0.0.1:3310/invitation/abc_-1' },
			{ text: '.\nThanks' }
		]);
		expect(linkify('(see https://laurel.example/a?b=1&c=2)')).toEqual([
			{ text: '(see ' },
			{ text: 'https://laurel.example/a?b=1&c=2', href: 'https://laurel.example/a?b=1&c=2' },
			{ text: ')' }
		]);
	});

	it('never links other schemes', () => {
		expect(linkify('javascript:alert(1) mailto:a@b.c')).toEqual([{ text: 'javascript:alert(1) mailto:a@b.c' }]);
	});
});

describe('newestFirst', () => {
	it('orders caught mail by the time it arrived, newest first', () => {
		const mail = (id: string, receivedAt: string): CaughtMail => ({
			id,
			receivedAt,
			from: 'laurel@localhost',
			to: ['a@b.c'],
			subject: id,
			text: '',
			html: null,
			messageId: null
		});
		expect(
			newestFirst([mail('old', '2026-01-01T10:00:00Z'), mail('new', '2026-01-02T10:00:00Z')]).map((m) => m.id)
		).toEqual(['new', 'old']);
	});
});
