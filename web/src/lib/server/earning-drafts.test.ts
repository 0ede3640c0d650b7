import { describe, expect, it } from 'vitest';
import { draftErrors } from './earning-drafts.ts';
import { eventErrors } from './earning.ts';

describe('where a draft simulation’s problems are shown', () => {
	it('puts the rule’s problems on the rule form’s fields and the event’s on the sample it came from', () => {
		expect(
			draftErrors({ 'rule.condition': 'unknown operator', 'rule.effect.pointsPerUnit': 'too many places', 'event.lines.0.netAmount': 'must be integer', event: 'bad' }, 'sampleJson')
		).toEqual({ condition: 'unknown operator', 'effect.pointsPerUnit': 'too many places', sampleJson: 'must be integer' });
		expect(draftErrors({ 'event.partner': 'unknown', 'ruleIds.0': 'not a draft' }, 'sample')).toEqual({ sample: 'unknown', 'ruleIds.0': 'not a draft' });
	});

	it('puts a draft page’s event problems on the simulation form’s fields', () => {
		expect(eventErrors({ 'event.lines.1.sku': 'required', 'ruleIds.0': 'not a draft' })).toEqual({ 'lines.1.sku': 'required', 'ruleIds.0': 'not a draft' });
	});
});
