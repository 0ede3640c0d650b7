import { describe, expect, it } from 'vitest';
import { Translator, negotiateLocale } from './i18n.ts';

describe('negotiateLocale', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['pl-PL,pl;q=0.9,en;q=0.8', 'pl'],
    ['ru', 'ru'],
    ['de-DE, ru;q=0.5, en;q=0.4', 'ru'],
    ['en;q=0.2, pl;q=0.7', 'pl'],
    ['pl;q=0, en', 'en'],
    ['fr, de', 'en'],
  ])('%s -> %s', (header, expected) => {
    expect(negotiateLocale(header)).toBe(expected);
  });
});

describe('Translator', () => {
  it('uses Polish and Russian plural forms', () => {
    const tr = new Translator({});
    const pl = tr.fixed('pl');
    const ru = tr.fixed('ru');
    expect(pl('errors.VALIDATION_FAILED', { count: 1, fields: 'a' })).toBe('Żądanie zawiera nieprawidłowe pole: a.');
    expect(pl('errors.VALIDATION_FAILED', { count: 3, fields: 'a, b, c' })).toBe('Żądanie zawiera 3 nieprawidłowe pola: a, b, c.');
    expect(pl('errors.VALIDATION_FAILED', { count: 5, fields: 'a' })).toBe('Żądanie zawiera 5 nieprawidłowych pól: a.');
    expect(ru('errors.VALIDATION_FAILED', { count: 2, fields: 'a, b' })).toBe('В запросе 2 некорректных поля: a, b.');
    expect(ru('errors.VALIDATION_FAILED', { count: 5, fields: 'a' })).toBe('В запросе 5 некорректных полей: a.');
  });

  it('keeps locales apart: a fixed t never changes with another request', () => {
    const tr = new Translator({});
    const en = tr.fixed('en');
    tr.fixed('ru');
    expect(en('problem.title.404')).toBe('Not found');
  });
});
