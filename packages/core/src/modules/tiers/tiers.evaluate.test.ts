import { describe, expect, it } from 'vitest';
import { addMonths, decideAtReview, decideOnEvent, meets, qualifyingIndex, type Qualification, type ReviewSettings } from './tiers.evaluate.ts';

const turnover = (min: number): Qualification => ({ mode: 'all', conditions: [{ metric: 'net-turnover', min, window: 'rolling-12-months' }] });
const tiers = [{ qualification: turnover(1000) }, { qualification: turnover(5000) }, { qualification: turnover(20_000) }];
const settings: ReviewSettings = { every: 'quarter', graceMonths: 3, maxDowngradeSteps: 1, yearStartMonth: 1 };
const at = new Date('2026-04-01T00:00:00Z');

describe('tier evaluation decisions', () => {
  it('meets all or any of the conditions; no conditions qualify everyone', () => {
    const q: Qualification = { mode: 'all', conditions: [{ metric: 'net-turnover', min: 100, window: 'rolling-12-months' }, { metric: 'active-months', min: 3, window: 'program-year' }] };
    const values = { 'rolling-12-months': { 'net-turnover': 150 }, 'program-year': { 'active-months': 2 } };
    expect(meets(q, values)).toBe(false);
    expect(meets({ ...q, mode: 'any' }, values)).toBe(true);
    expect(meets({ mode: 'all', conditions: [] }, {})).toBe(true);
  });

  it('finds the highest tier met, and an event promotes several steps at once but never demotes', () => {
    expect(qualifyingIndex(tiers, { 'rolling-12-months': { 'net-turnover': 25_000 } })).toBe(2);
    expect(qualifyingIndex(tiers, { 'rolling-12-months': { 'net-turnover': 999 } })).toBe(-1);
    expect(decideOnEvent(-1, 2)).toEqual({ change: 'promoted', to: 2 });
    expect(decideOnEvent(2, 0)).toBeNull();
  });

  it('at a review: protected first, demoted one step once the grace period is over, kept when it qualifies again', () => {
    const first = decideAtReview({ current: 2, qualifying: -1, graceUntil: null, reviewDate: at, settings });
    expect(first).toEqual({ change: 'protected', to: 2, graceUntil: new Date('2026-07-01T00:00:00Z') });
    expect(decideAtReview({ current: 2, qualifying: -1, graceUntil: first.graceUntil, reviewDate: new Date('2026-07-01T00:00:00Z'), settings })).toEqual({ change: 'demoted', to: 1, graceUntil: null });
    expect(decideAtReview({ current: 2, qualifying: 2, graceUntil: first.graceUntil, reviewDate: new Date('2026-07-01T00:00:00Z'), settings })).toEqual({ change: 'kept', to: 2, graceUntil: null });
    expect(decideAtReview({ current: 2, qualifying: -1, graceUntil: null, reviewDate: at, settings: { ...settings, graceMonths: 0, maxDowngradeSteps: null } })).toEqual({ change: 'demoted', to: -1, graceUntil: null });
    expect(decideAtReview({ current: 0, qualifying: 2, graceUntil: null, reviewDate: at, settings })).toEqual({ change: 'promoted', to: 2, graceUntil: null });
  });

  it('adds months to the last day of a shorter month', () => {
    expect(addMonths(new Date('2026-01-31T00:00:00Z'), 1).toISOString()).toBe('2026-02-28T00:00:00.000Z');
  });
});
