import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type, definePlugin, earningRuleExtensionsRef } from '@laurel/plugin-sdk';
import { startLaurel, type LaurelTestApp } from './index.ts';

/**
 * A plugin's condition operator and effect type: seats of a training or licence sold. `seats.sku_prefix` tells
 * whether a SKU starts with a prefix; `seats.per-seat` gives points per seat from a minimum number of seats.
 */
const seats = definePlugin({
  id: 'seats',
  version: '1.0.0',
  compatibility: '^0.1.0',
  dependsOn: ['earning'],
  setup(ctx) {
    const rules = ctx.inject(earningRuleExtensionsRef)();
    rules.registerOperator({
      name: 'seats.sku_prefix',
      args: Type.Tuple([Type.String(), Type.String({ minLength: 1 })]),
      apply: (sku, prefix) => (sku as string).startsWith(prefix as string),
    });
    rules.registerEffect({
      id: 'seats.per-seat',
      label: { en: 'Points per seat', pl: 'Punkty za stanowisko', ru: 'Баллы за место' },
      params: Type.Object({ pointsPerSeat: Type.Integer({ minimum: 1, maximum: 10_000 }), minSeats: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
      compute({ line, params }) {
        const seatCount = Math.floor(line.quantity);
        if (seatCount < (params.minSeats ?? 1)) return { points: 0, explanation: `${seatCount} seats, fewer than ${params.minSeats}: 0` };
        const points = seatCount * params.pointsPerSeat;
        return { points, explanation: `${seatCount} seats × ${params.pointsPerSeat} = ${points}` };
      },
    });
  },
});

describe('plugin condition operators and effect types (earningRuleExtensionsRef) on the real app', () => {
  let t: LaurelTestApp;
  let programId: string;
  let partnerId: string;
  let key: { authorization: string };
  let n = 0;
  const managers: Partial<Record<'pl' | 'ru', Awaited<ReturnType<LaurelTestApp['signInAs']>>>> = {};
  const rule = (body: Record<string, unknown>, locale?: 'pl' | 'ru') =>
    t.post('/api/v1/earning/rules', { programId, name: 'Seats', validFrom: '2024-01-01T00:00:00Z', eventTypes: ['invoice.issued'], condition: true, ...body }, locale ? { as: managers[locale] } : {});
  const invoice = (lines: Record<string, unknown>[]) => {
    n += 1;
    return { type: 'invoice.issued', source: 'erp', externalId: `S-${n}`, occurredAt: '2025-03-10T10:00:00Z', programId, partner: { partnerId }, number: `FV/S/${n}`, currency: 'PLN', lines };
  };

  beforeAll(async () => {
    t = await startLaurel({ plugins: [seats] });
    programId = (await t.createProgram()).id;
    partnerId = (await t.createPartner(programId, { legalName: 'Szkolenia Sp. z o.o.', nip: '5260250995' })).id;
    key = await t.apiKey(['events:write']);
    managers.pl = await t.signInAs(['program-manager'], { locale: 'pl' });
    managers.ru = await t.signInAs(['program-manager'], { locale: 'ru' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lists the operator and the effect type, the label in the caller language', async () => {
    const listed = await t.get('/api/v1/earning/rule-extensions', { as: managers.pl });
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.operators).toEqual([{ name: 'seats.sku_prefix', args: expect.objectContaining({ type: 'array' }) }]);
    expect(listed.body.effects).toEqual([{ id: 'seats.per-seat', label: 'Punkty za stanowisko', params: expect.objectContaining({ required: ['pointsPerSeat'] }) }]);
  });

  it('refuses a rule with an unknown operator or effect, bad operator arguments or bad params, naming the field', async () => {
    const operator = await rule({ code: 'bad-op', condition: { 'seats.nope': [{ var: 'line.sku' }, 'TR-'] }, effect: { type: 'fixed', points: 1, target: 'pending' } });
    expect(operator.status).toBe(422);
    expect(operator.body).toMatchObject({ code: 'EARNING_CONDITION_OPERATOR', errors: [{ field: '/body/condition' }] });
    expect(operator.body.errors[0].message).toContain('seats.nope');

    const args = await rule({ code: 'bad-args', condition: { 'seats.sku_prefix': ['TR-1', ''] }, effect: { type: 'fixed', points: 1, target: 'pending' } });
    expect(args.body).toMatchObject({ code: 'EARNING_CONDITION_OPERATOR_ARGS', errors: [{ field: '/body/condition' }] });

    const effect = await rule({ code: 'bad-effect', effect: { type: 'seats.per-table', params: { pointsPerSeat: 1 }, target: 'pending' } }, 'pl');
    expect(effect.status).toBe(422);
    expect(effect.body).toMatchObject({ code: 'EARNING_EFFECT_UNKNOWN', errors: [{ field: '/body/effect/type' }] });
    expect(effect.body.errors[0].message).toMatch(/^Nie ma typu efektu seats\.per-table; dostępne: .*seats\.per-seat/);

    const missing = await rule({ code: 'bad-params', effect: { type: 'seats.per-seat', params: {}, target: 'pending' } }, 'ru');
    expect(missing.body).toMatchObject({ code: 'EARNING_EFFECT_PARAMS_INVALID', errors: [{ field: '/body/effect/params/pointsPerSeat' }] });
    expect(missing.body.errors[0].message).toContain('Параметры эффекта seats.per-seat');
    const wrong = await rule({ code: 'bad-params', effect: { type: 'seats.per-seat', params: { pointsPerSeat: 2.5 }, target: 'pending' } });
    expect(wrong.body).toMatchObject({ code: 'EARNING_EFFECT_PARAMS_INVALID', errors: [{ field: '/body/effect/params/pointsPerSeat' }] });
    const saved = (await t.get('/api/v1/earning/rules', { query: { programId } })).body;
    expect(saved.items ?? saved).toHaveLength(0);
  });

  it('a rule using the operator and the effect posts the points with the explanation, the same the simulation shows', async () => {
    const created = await rule({
      code: 'training-seats',
      condition: { and: [{ 'seats.sku_prefix': [{ var: 'line.sku' }, 'TR-'] }, { some: [[{ var: 'line.sku' }], { 'seats.sku_prefix': [{ var: '' }, 'TR-'] }] }] },
      effect: { type: 'seats.per-seat', params: { pointsPerSeat: 40, minSeats: 2 }, target: 'pending' },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.effect).toEqual({ type: 'seats.per-seat', params: { pointsPerSeat: 40, minSeats: 2 }, target: 'pending' });
    expect((await t.post(`/api/v1/earning/rules/${created.body.id}/activate`, {})).status).toBe(200);

    const event = invoice([
      { sku: 'TR-EXCEL', quantity: 3, netAmount: 150000 },
      { sku: 'TR-WORD', quantity: 1, netAmount: 50000 },
      { sku: 'HW-LAPTOP', quantity: 5, netAmount: 2500000 },
    ]);
    const simulated = await t.post('/api/v1/earning/simulate', event);
    expect(simulated.status, simulated.text).toBe(200);
    expect(simulated.body.points).toBe(120);
    expect(simulated.body.lines[0].fired).toEqual([expect.objectContaining({ code: 'training-seats', effect: 'seats.per-seat', points: 120, computation: '3 seats × 40 = 120' })]);
    expect(simulated.body.lines[1].fired).toEqual([expect.objectContaining({ points: 0, computation: '1 seats, fewer than 2: 0' })]);
    expect(simulated.body.lines[2].fired).toEqual([]);
    expect(simulated.body.lines[2].skipped).toEqual([expect.objectContaining({ code: 'training-seats', reason: 'condition' })]);

    const posted = await t.post('/api/v1/earning/events', event, { headers: key });
    expect(posted.status, posted.text).toBe(201);
    expect(posted.body).toMatchObject({ status: 'processed', points: 120 });
    expect((await t.get(`/api/v1/ledger/partners/${partnerId}/balances`)).body).toMatchObject({ pending: 120 });
    const statement = (await t.get(`/api/v1/ledger/partners/${partnerId}/statement`)).body.items as { explanation: { lines?: unknown[] } }[];
    expect(JSON.stringify(statement[0]!.explanation)).toContain('3 seats × 40 = 120');
    expect(statement[0]!.explanation).toMatchObject({ lines: simulated.body.explanation.pending });
  });
});
