import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestApp, type SessionHeaders, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';

describe('ledger: four eyes on large adjustments and reversals', () => {
  let t: TestApp;
  let db: pg.Client;
  let programId: string;
  const partners: string[] = [];
  // Two admins: the one who asks and the one who decides.
  let requester: SessionHeaders & { userId: string };
  let approver: SessionHeaders & { userId: string };

  const inject = (method: 'GET' | 'POST' | 'PUT', url: string, headers: Record<string, string>, payload?: object) =>
    t.app.inject({ method, url: `/api/v1/ledger${url}`, headers, ...(payload ? { payload } : {}) });
  const adjust = (partnerId: string, points: number, key: string, headers: Record<string, string> = requester) =>
    inject('POST', '/adjustments', headers, { partnerId, points, reason: 'manual correction', idempotencyKey: key });
  const available = async (partnerId: string) => (await inject('GET', `/partners/${partnerId}/balances`, t.adminHeaders)).json().available as number;
  const entriesWithKey = async (key: string) => Number((await db.query(`select count(*) from ledger_entry where idempotency_key = $1`, [key])).rows[0].count);
  const auditActions = async (subjectId: string) => (await db.query(`select action from audit_record where subject_id = $1 order by occurred_at, id`, [subjectId])).rows.map((r) => r.action as string);

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    t = await startTestApp({ databaseUrl, env: { LAUREL_DB_POOL_SIZE: '10' } });
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const program = (await t.app.inject({ method: 'POST', url: '/api/v1/programs', headers: t.adminHeaders, payload: { code: 'four-eyes', name: { en: 'F', pl: 'F', ru: 'F' }, currency: 'PLN', pointValueMinorPerThousand: 1000 } })).json();
    programId = program.id;
    for (const [i, euVat] of ['DE200000001', 'DE200000002', 'DE200000003', 'DE200000004', 'DE200000005', 'DE200000006'].entries()) {
      partners.push((await t.app.inject({ method: 'POST', url: '/api/v1/partners', headers: t.adminHeaders, payload: { programId, legalName: `Four eyes ${i}`, country: 'DE', euVat, type: 'dealer' } })).json().id);
    }
    requester = await t.signInAs(['admin']);
    approver = await t.signInAs(['finance']);
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  it('reads the default policy, and changes it with an audited before and after', async () => {
    const before = await inject('GET', `/programs/${programId}/policy`, t.adminHeaders);
    expect(before.statusCode).toBe(200);
    expect(before.json()).toMatchObject({ programId, approvalThreshold: null, adjustmentTtlDays: 14, updatedAt: null });
    const support = await t.signInAs(['support']);
    expect((await inject('PUT', `/programs/${programId}/policy`, support, { approvalThreshold: 1000 })).statusCode).toBe(403);
    const put = await inject('PUT', `/programs/${programId}/policy`, requester, { approvalThreshold: 1000 });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ approvalThreshold: 1000, adjustmentTtlDays: 14 });
    expect((await inject('GET', `/programs/${programId}/policy`, support)).json()).toMatchObject({ approvalThreshold: 1000 });
    const [record] = (await db.query(`select data from audit_record where action = 'ledger.policy.changed' and subject_id = $1`, [programId])).rows;
    expect(record.data).toEqual({ before: { approvalThreshold: null, adjustmentTtlDays: 14 }, after: { approvalThreshold: 1000, adjustmentTtlDays: 14 } });
    const bad = await inject('PUT', `/programs/${programId}/policy`, requester, { approvalThreshold: -1 });
    expect(bad.statusCode).toBe(400);
    expect((await inject('GET', `/programs/018f0000-0000-7000-8000-000000000000/policy`, t.adminHeaders)).statusCode).toBe(404);
  });

  it('posts at once up to the threshold (201, then 200 on a replay)', async () => {
    const p = partners[0]!;
    const first = await adjust(p, 1000, 'small-1');
    expect(first.statusCode).toBe(201);
    const replay = await adjust(p, 1000, 'small-1');
    expect(replay.statusCode).toBe(200);
    expect(replay.json().entryId).toBe(first.json().entryId);
    expect(await available(p)).toBe(1000);
  });

  it('files a request above it (202, nothing posted); the requester cannot approve; another admin posts it once', async () => {
    const p = partners[1]!;
    const filed = await adjust(p, 1500, 'big-1');
    expect(filed.statusCode).toBe(202);
    const request = filed.json();
    expect(request).toMatchObject({ status: 'pending', kind: 'adjustment', points: 1500, partnerId: p, programId, requestedBy: requester.userId, postedEntryId: null });
    expect(await available(p)).toBe(0);
    // A replay of the same request finds it; the same key with a different request is refused.
    const again = await adjust(p, 1500, 'big-1');
    expect(again.statusCode).toBe(202);
    expect(again.json().id).toBe(request.id);
    const conflict = await adjust(p, 1600, 'big-1');
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().code).toBe('LEDGER_ADJUSTMENT_REQUEST_CONFLICT');

    const self = await inject('POST', `/adjustment-requests/${request.id}/approve`, requester, {});
    expect(self.statusCode).toBe(403);
    expect(self.json().code).toBe('LEDGER_ADJUSTMENT_SELF_APPROVAL');
    const selfReject = await inject('POST', `/adjustment-requests/${request.id}/reject`, requester, {});
    expect(selfReject.json().code).toBe('LEDGER_ADJUSTMENT_SELF_APPROVAL');
    const marketing = await t.signInAs(['marketing']);
    expect((await inject('POST', `/adjustment-requests/${request.id}/approve`, marketing, {})).statusCode).toBe(403);
    expect(await available(p)).toBe(0);

    const listed = await inject('GET', `/adjustment-requests?status=pending&partnerId=${p}`, t.adminHeaders);
    expect(listed.json().items.map((r: { id: string }) => r.id)).toEqual([request.id]);

    const approved = await inject('POST', `/adjustment-requests/${request.id}/approve`, approver, { comment: 'checked the contract' });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'posted', decidedBy: approver.userId, decisionComment: 'checked the contract' });
    expect(approved.json().postedEntryId).toBeGreaterThan(0);
    expect(await available(p)).toBe(1500);
    expect(await entriesWithKey(`adjustment-request:${request.id}`)).toBe(1);
    // The approver clicking again changes nothing; anyone else is told it is decided.
    const repeat = await inject('POST', `/adjustment-requests/${request.id}/approve`, approver, {});
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json().postedEntryId).toBe(approved.json().postedEntryId);
    const late = await inject('POST', `/adjustment-requests/${request.id}/reject`, t.adminHeaders, {});
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('LEDGER_ADJUSTMENT_NOT_PENDING');
    expect(await available(p)).toBe(1500);
    expect(await entriesWithKey(`adjustment-request:${request.id}`)).toBe(1);

    expect(await auditActions(request.id)).toEqual(['ledger.adjustment-request.requested', 'ledger.adjustment-request.approved']);
    const [entry] = (await db.query(`select actor, reason from ledger_entry where id = $1`, [approved.json().postedEntryId])).rows;
    expect(entry).toMatchObject({ actor: { userId: approver.userId }, reason: 'manual correction' });
    const one = await inject('GET', `/adjustment-requests/${request.id}`, t.adminHeaders);
    expect(one.json()).toMatchObject({ id: request.id, status: 'posted' });
  });

  it('posts exactly one entry when two admins approve at the same moment', async () => {
    const p = partners[2]!;
    const request = (await adjust(p, 5000, 'race-1')).json();
    const other = await t.signInAs(['admin']);
    const results = await Promise.all([
      inject('POST', `/adjustment-requests/${request.id}/approve`, approver, {}),
      inject('POST', `/adjustment-requests/${request.id}/approve`, other, {}),
      inject('POST', `/adjustment-requests/${request.id}/approve`, approver, {}),
    ]);
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 200).length).toBeGreaterThanOrEqual(1);
    expect(codes.every((c) => c === 200 || c === 409)).toBe(true);
    expect(await entriesWithKey(`adjustment-request:${request.id}`)).toBe(1);
    expect(await available(p)).toBe(5000);
    expect((await auditActions(request.id)).filter((a) => a === 'ledger.adjustment-request.approved')).toHaveLength(1);
  });

  it('rejects: nothing is posted, the comment is kept and audited', async () => {
    const p = partners[3]!;
    const request = (await adjust(p, -2000, 'reject-1')).json();
    const rejected = await inject('POST', `/adjustment-requests/${request.id}/reject`, approver, { comment: 'no evidence' });
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json()).toMatchObject({ status: 'rejected', decisionComment: 'no evidence', postedEntryId: null });
    const approve = await inject('POST', `/adjustment-requests/${request.id}/approve`, t.adminHeaders, {});
    expect(approve.json().code).toBe('LEDGER_ADJUSTMENT_NOT_PENDING');
    expect(await entriesWithKey(`adjustment-request:${request.id}`)).toBe(0);
    expect(await auditActions(request.id)).toEqual(['ledger.adjustment-request.requested', 'ledger.adjustment-request.rejected']);
  });

  it('lapses a request older than the TTL: it cannot be approved any more', async () => {
    const p = partners[3]!;
    const request = (await adjust(p, 3000, 'lapse-1')).json();
    await db.query(`update ledger_adjustment_request set requested_at = now() - interval '15 days' where id = $1`, [request.id]);
    const approve = await inject('POST', `/adjustment-requests/${request.id}/approve`, approver, {});
    expect(approve.statusCode).toBe(409);
    expect(approve.json().code).toBe('LEDGER_ADJUSTMENT_LAPSED');
    expect((await inject('GET', `/adjustment-requests/${request.id}`, t.adminHeaders)).json().status).toBe('lapsed');
    expect(await entriesWithKey(`adjustment-request:${request.id}`)).toBe(0);
    expect(await auditActions(request.id)).toEqual(['ledger.adjustment-request.requested', 'ledger.adjustment-request.lapsed']);

    // Lapsed lazily on read, too, with the program's own TTL.
    await inject('PUT', `/programs/${programId}/policy`, requester, { approvalThreshold: 1000, adjustmentTtlDays: 2 });
    const second = (await adjust(p, 3000, 'lapse-2')).json();
    expect(new Date(second.expiresAt).getTime() - new Date(second.requestedAt).getTime()).toBe(2 * 86_400_000);
    await db.query(`update ledger_adjustment_request set requested_at = now() - interval '3 days' where id = $1`, [second.id]);
    const list = (await inject('GET', `/adjustment-requests?partnerId=${p}`, t.adminHeaders)).json();
    expect(list.items.find((r: { id: string }) => r.id === second.id).status).toBe('lapsed');
    await inject('PUT', `/programs/${programId}/policy`, requester, { approvalThreshold: 1000, adjustmentTtlDays: 14 });
  });

  it('marks a request failed when the partner no longer has the points, and says why', async () => {
    const p = partners[4]!;
    expect((await adjust(p, 900, 'fail-seed')).statusCode).toBe(201);
    const request = (await adjust(p, -1200, 'fail-1')).json();
    expect(request.status).toBe('pending');
    const approve = await inject('POST', `/adjustment-requests/${request.id}/approve`, approver, {});
    expect(approve.statusCode).toBe(409);
    expect(approve.headers['content-type']).toContain('application/problem+json');
    expect(approve.json()).toMatchObject({ code: 'LEDGER_ADJUSTMENT_FAILED' });
    expect(approve.json().detail).toContain('300');
    const after = (await inject('GET', `/adjustment-requests/${request.id}`, t.adminHeaders)).json();
    expect(after).toMatchObject({ status: 'failed', failure: { code: 'LEDGER_INSUFFICIENT_BALANCE', params: { shortBy: 300 } }, postedEntryId: null });
    expect(await available(p)).toBe(900);
    expect(await auditActions(request.id)).toEqual(['ledger.adjustment-request.requested', 'ledger.adjustment-request.failed']);
  });

  it('sends a reversal of an entry above the threshold through approval', async () => {
    const p = partners[5]!;
    const seed = (await adjust(p, 800, 'rev-seed-small')).json();
    const small = await inject('POST', `/entries/${seed.entryId}/reversal`, requester, { reason: 'entered twice', idempotencyKey: 'rev-small' });
    expect(small.statusCode).toBe(201);

    const big = (await adjust(p, 4000, 'rev-seed-big')).json();
    const bigApproved = await inject('POST', `/adjustment-requests/${big.id}/approve`, approver, {});
    const entryId = bigApproved.json().postedEntryId as number;
    expect(await available(p)).toBe(4000);
    const filed = await inject('POST', `/entries/${entryId}/reversal`, requester, { reason: 'wrong partner', idempotencyKey: 'rev-big' });
    expect(filed.statusCode).toBe(202);
    expect(filed.json()).toMatchObject({ kind: 'reversal', entryId, points: 4000, status: 'pending' });
    expect(await available(p)).toBe(4000);
    const approved = await inject('POST', `/adjustment-requests/${filed.json().id}/approve`, approver, {});
    expect(approved.statusCode).toBe(200);
    expect(await available(p)).toBe(0);
    const [reversal] = (await db.query(`select kind, reverses_entry_id from ledger_entry where id = $1`, [approved.json().postedEntryId])).rows;
    expect(reversal).toMatchObject({ kind: 'reversal', reverses_entry_id: String(entryId) });
  });

  it('refuses self-approval in the database, too, and keeps decided requests as they are', async () => {
    const p = partners[3]!;
    const request = (await adjust(p, 7000, 'check-1')).json();
    await expect(db.query(`update ledger_adjustment_request set status = 'rejected', decided_at = now(), decided_by = requested_by where id = $1`, [request.id])).rejects.toThrow(/check constraint/);
    await inject('POST', `/adjustment-requests/${request.id}/reject`, approver, {});
    await expect(db.query(`update ledger_adjustment_request set decision_comment = 'changed' where id = $1`, [request.id])).rejects.toThrow(/kept as decided/);
    await expect(db.query(`delete from ledger_adjustment_request where id = $1`, [request.id])).rejects.toThrow(/kept as decided/);
  });
});
