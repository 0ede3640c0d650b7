import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, definePlugin } from '@laurel/plugin-sdk';
import { bundleWorkflowCode, startLaurel, type LaurelTestApp } from '@laurel/testing';
import template from './index.ts';
import { createKudosActivities } from './workflows/kudos.activities.ts';

/** Another plugin's filter on this plugin's hook: vetoes kudos whose message shouts. */
const noShouting = definePlugin({
  id: 'no-shouting',
  version: '1.0.0',
  compatibility: '^0.1.0',
  dependsOn: ['template'],
  setup(ctx) {
    ctx.filter('template.kudos.validate', (draft) => {
      if (draft.message.length > 3 && draft.message === draft.message.toUpperCase()) throw new AppError('TEMPLATE_MESSAGE_BANNED', 422, { params: { word: draft.message } });
      return { ...draft, message: draft.message.replace(/\s+/g, ' ') };
    });
  },
});

describe('the template plugin on the real app', () => {
  let t: LaurelTestApp;
  let programId: string;
  let acme: { id: string };
  let other: { id: string };

  beforeAll(async () => {
    t = await startLaurel({ plugins: [template, noShouting], pluginConfig: { template: { options: { bannedWords: ['lottery'], approvalFor: ['outstanding'], approvers: [{ email: 'approver@example.test', locale: 'pl' }] } } } });
    programId = (await t.createProgram()).id;
    acme = await t.createPartner(programId, { legalName: 'Acme Dystrybucja', nip: '5260250995' });
    other = await t.createPartner(programId, { legalName: 'Other Sp. z o.o.', nip: '5250007738' });
    // The program's rule for the plugin's events: 50 points for "thanks", straight to available.
    const rule = await t.post('/api/v1/earning/rules', {
      programId, code: 'kudos-thanks', name: 'Kudos: thanks', priority: 0, eventTypes: ['custom.kudos'], validFrom: '2020-01-01T00:00:00Z',
      condition: { '==': [{ var: 'event.data.level' }, 'thanks'] }, effect: { type: 'fixed', points: 50, target: 'available' },
    });
    expect(rule.status, rule.text).toBe(201);
    expect((await t.post(`/api/v1/earning/rules/${rule.body.id}/activate`, {})).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('gives kudos (filter applied, audit recorded, workflow asked for), and the listener puts them on the leaderboard once', async () => {
    const given = await t.post('/api/v1/template/kudos', { partnerId: acme.id, message: '  Great   launch  ', level: 'thanks' });
    expect(given.status, given.text).toBe(201);
    expect(given.body).toMatchObject({ partnerId: acme.id, programId, message: 'Great launch', level: 'thanks', status: 'approved', points: null });
    const audit = await t.get('/api/v1/audit/records', { query: { subjectId: given.body.id } });
    expect(audit.body.items.map((r: { action: string }) => r.action)).toEqual(['template.kudos.given']);

    // two deliveries: the plugin's `count` listener, and the platform's start of the workflow
    expect(await t.drain()).toEqual({ delivered: 2, retried: 0, dead: 0 });
    // without TEMPORAL_ADDRESS the harness records what Temporal was asked for
    if (!t.realTemporal) expect(t.temporal.starts).toEqual([expect.objectContaining({ workflowType: 'templateKudosWorkflow', workflowId: `template-kudos-${given.body.id}`, args: [{ kudosId: given.body.id, needsApproval: false, approvalSeconds: 7 * 86_400 }] })]);
    const board = await t.get('/api/v1/template/leaderboard', { query: { programId } });
    expect(board.body.items).toEqual([{ partnerId: acme.id, kudos: 1 }]);

    // at-least-once: the same event delivered again changes nothing
    await t.emit('template.kudos.given', { kudosId: given.body.id, partnerId: acme.id, programId, level: 'thanks', needsApproval: false });
    expect(await t.drain()).toMatchObject({ delivered: 1 });
    expect((await t.get('/api/v1/template/leaderboard', { query: { programId } })).body.items).toEqual([{ partnerId: acme.id, kudos: 1 }]);
  });

  it('the grant activity sends the kudos to the earning rules through the inbox: the partner’s points appear, once', async () => {
    const given = await t.post('/api/v1/template/kudos', { partnerId: other.id, message: 'Thanks for the demo', level: 'thanks' });
    const activities = createKudosActivities(t.activityDeps());
    const granted = await activities.grantKudos({ kudosId: given.body.id });
    expect(granted).toMatchObject({ status: 'granted', points: 50 });
    expect((await activities.grantKudos({ kudosId: given.body.id })).points).toBe(50);
    const balances = await t.get(`/api/v1/ledger/partners/${other.id}/balances`);
    expect(balances.body).toMatchObject({ available: 50 });
    const events = await t.get('/api/v1/earning/events', { query: { programId } });
    expect(events.body.items.filter((e: { type: string }) => e.type === 'custom.kudos')).toHaveLength(1);
  });

  it('kudos that need approval wait; the decision is audited and signalled to the workflow; the close activity rejects them', async () => {
    const given = await t.post('/api/v1/template/kudos', { partnerId: acme.id, message: 'Record quarter', level: 'outstanding' });
    expect(given.status, given.text).toBe(201);
    expect(given.body.status).toBe('awaiting-approval');
    await t.drain();
    // the approver is mailed, in their language
    const mail = t.mail().find((m) => m.to.includes('approver@example.test'));
    expect(mail?.subject).toBe('Wyróżnienie dla Acme Dystrybucja czeka na Twoje zatwierdzenie');
    expect(mail?.text).toContain('„Record quarter”');
    const decided = await t.post(`/api/v1/template/kudos/${given.body.id}/decision`, { decision: 'reject', reason: 'counted last quarter' });
    expect(decided.status, decided.text).toBe(202);
    await t.drain();
    if (!t.realTemporal) {
      expect(t.temporal.signals).toContainEqual({ workflowId: `template-kudos-${given.body.id}`, signal: 'templateKudosDecide', args: [{ decision: 'reject', reason: 'counted last quarter' }] });
      await createKudosActivities(t.activityDeps()).closeKudos({ kudosId: given.body.id, status: 'rejected', reason: 'counted last quarter' });
    }
    const audit = await t.get('/api/v1/audit/records', { query: { subjectId: given.body.id } });
    expect(audit.body.items.map((r: { action: string }) => r.action).sort()).toEqual(['template.kudos.given', 'template.kudos.rejected']);
    const polishAdmin = await t.signInAs(['admin'], { locale: 'pl' });
    const again = await t.post(`/api/v1/template/kudos/${given.body.id}/decision`, { decision: 'approve' }, { as: polishAdmin });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'TEMPLATE_KUDOS_DECIDED' });
    expect(again.body.detail).toContain('nie czeka na zatwierdzenie');
  });

  it('refuses bad input with a problem naming the field, in the caller’s language (settings, another plugin’s filter, the schema)', async () => {
    const banned = await t.post('/api/v1/template/kudos', { partnerId: acme.id, message: 'You won the lottery', level: 'great' }, { locale: 'pl' });
    expect(banned.status).toBe(422);
    expect(banned.headers['content-type']).toContain('application/problem+json');
    expect(banned.body).toMatchObject({ code: 'TEMPLATE_MESSAGE_BANNED', errors: [{ field: '/body/message' }] });
    expect(banned.body.errors[0].message).toContain('lottery');
    const shouting = await t.post('/api/v1/template/kudos', { partnerId: acme.id, message: 'WELL DONE', level: 'great' });
    expect(shouting.body).toMatchObject({ status: 422, code: 'TEMPLATE_MESSAGE_BANNED' });
    const invalid = await t.post('/api/v1/template/kudos', { partnerId: acme.id, message: 'Hi', level: 'legendary' }, { locale: 'ru' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((e: { field: string }) => e.field)).toContain('/body/level');
    const unknown = await t.post('/api/v1/template/kudos', { partnerId: '00000000-0000-4000-8000-000000000000', message: 'Hi', level: 'great' });
    expect(unknown.body).toMatchObject({ status: 422, code: 'TEMPLATE_PARTNER_UNKNOWN', errors: [{ field: '/body/partnerId' }] });
  });

  it('a partner user sees only their own company’s kudos and cannot give any', async () => {
    const partnerUser = await t.signInAsPartner(other.id, { locale: 'pl' });
    const mine = await t.get('/api/v1/template/kudos', { as: partnerUser });
    expect(mine.status).toBe(200);
    expect(mine.body.items.length).toBeGreaterThan(0);
    expect(mine.body.items.every((k: { partnerId: string }) => k.partnerId === other.id)).toBe(true);
    const give = await t.post('/api/v1/template/kudos', { partnerId: other.id, message: 'Me!', level: 'great' }, { as: partnerUser });
    expect(give.status).toBe(403);
    expect((await t.get('/api/v1/template/kudos', { as: 'anonymous' })).status).toBe(401);
  });

  it('the scheduled task recounts a leaderboard that drifted', async () => {
    // Acme has two kudos on the board (thanks, outstanding): the listener counted both.
    expect((await t.get('/api/v1/template/leaderboard', { query: { programId } })).body.items[0]).toEqual({ partnerId: acme.id, kudos: 2 });
    await t.sql(`update template_tally set kudos = 99 where partner_id = $1`, [acme.id]);
    expect(await t.runScheduled('reconcile')).toEqual(['template:reconcile']);
    const board = (await t.get('/api/v1/template/leaderboard', { query: { programId } })).body.items as { partnerId: string; kudos: number }[];
    expect(board.find((r) => r.partnerId === acme.id)?.kudos).toBe(2);
    await expect(t.runScheduled('no-such-task')).rejects.toThrow(/template:reconcile/);
  });

  it('its workflow code bundles the way the worker bundles it (deterministic imports only)', async () => {
    const bundle = await bundleWorkflowCode(fileURLToPath(new URL('./workflows/kudos.workflow.ts', import.meta.url)));
    expect(bundle.code).toContain('templateKudosWorkflow');
  }, 120_000);

  it.runIf(Boolean(process.env.TEMPORAL_ADDRESS))('with Temporal: approved kudos are granted by the workflow', async () => {
    const given = await t.post('/api/v1/template/kudos', { partnerId: other.id, message: 'Big win', level: 'outstanding' });
    await t.drain();
    await t.post(`/api/v1/template/kudos/${given.body.id}/decision`, { decision: 'approve' });
    await t.drain();
    await expect.poll(async () => (await t.get('/api/v1/template/kudos', { query: { partnerId: other.id } })).body.items.find((k: { id: string }) => k.id === given.body.id)?.status, { timeout: 30_000 }).toBe('granted');
  }, 60_000);
});
