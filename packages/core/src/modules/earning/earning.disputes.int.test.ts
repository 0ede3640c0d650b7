import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';

type Headers = Record<string, string>;

describe('earning: disputes', () => {
  let t: TestApp;
  let db: pg.Client;
  let programId: string;
  let a: { id: string; partnerCode: string };
  let b: { id: string; partnerCode: string };
  let aUser: Headers & { userId: string; email: string };
  let bUser: Headers & { userId: string; email: string };
  let support: Headers & { userId: string; email: string };
  let finance: Headers & { userId: string; email: string };
  let aEntry: number;
  let bEntry: number;
  let seq = 0;

  const call = (method: 'GET' | 'POST' | 'PUT', url: string, headers: Headers, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { 'accept-language': 'en', ...headers }, ...(payload ? { payload } : {}) });
  const fileDispute = (headers: Headers, body: Record<string, unknown>) => call('POST', '/earning/disputes', headers, { idempotencyKey: `k-${++seq}`, ...body });
  const available = async (partnerId: string) => (await call('GET', `/ledger/partners/${partnerId}/balances`, t.adminHeaders)).json().available as number;
  const audit = async (subjectId: string) => (await db.query(`select action, actor, data from audit_record where subject_id = $1 order by occurred_at, id`, [subjectId])).rows;
  const fieldsOf = (res: { json(): unknown }) => ((res.json() as { errors?: { field: string }[] }).errors ?? []).map((e) => e.field);
  const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
  const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32, 1)]);

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    t = await startTestApp({ databaseUrl });
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const admin = t.adminHeaders;
    programId = (await call('POST', '/programs', admin, { code: 'disputes', name: { en: 'D', pl: 'D', ru: 'D' }, currency: 'PLN', pointValueMinorPerThousand: 1000 })).json().id;
    const mk = async (name: string, euVat: string) => (await call('POST', '/partners', admin, { programId, legalName: name, country: 'DE', euVat, type: 'dealer' })).json();
    a = await mk('Disputing Dealer', 'DE300000001');
    b = await mk('Other Dealer', 'DE300000002');
    aUser = await t.signInAs(['partner-user'], { partnerId: a.id });
    bUser = await t.signInAs(['partner-user'], { partnerId: b.id });
    support = await t.signInAs(['support']);
    finance = await t.signInAs(['finance']);
    aEntry = (await call('POST', '/ledger/adjustments', admin, { partnerId: a.id, points: 1000, reason: 'opening balance', idempotencyKey: 'open-a' })).json().entryId;
    bEntry = (await call('POST', '/ledger/adjustments', admin, { partnerId: b.id, points: 1000, reason: 'opening balance', idempotencyKey: 'open-b' })).json().entryId;
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  it('files a dispute about an own entry (due in 5 days by default); a replay returns it, a changed replay is a 409', async () => {
    const body = { subject: 'entry', entryId: aEntry, text: 'The invoice FV/1 should have earned 1,200 points.', reference: 'FV/1', idempotencyKey: 'file-1' };
    const res = await call('POST', '/earning/disputes', aUser, body);
    expect(res.statusCode).toBe(201);
    const d = res.json();
    expect(d).toMatchObject({ subject: 'entry', entryId: aEntry, status: 'open', partnerId: a.id, programId, overdue: false, resolution: null, messages: [], attachments: [] });
    expect(d.entry).toMatchObject({ kind: 'adjustment', amount: 1000 });
    expect(new Date(d.dueAt).getTime() - new Date(d.filedAt).getTime()).toBe(5 * 86_400_000);
    const replay = await call('POST', '/earning/disputes', aUser, body);
    expect(replay.statusCode).toBe(200);
    expect(replay.json().id).toBe(d.id);
    const changed = await call('POST', '/earning/disputes', aUser, { ...body, text: 'Something else' });
    expect(changed.statusCode).toBe(409);
    expect(changed.json().code).toBe('EARNING_DISPUTE_KEY_CONFLICT');
    expect(fieldsOf(changed)).toEqual(['/body/idempotencyKey']);
    const list = (await call('GET', '/earning/disputes', aUser)).json();
    expect(list.items.map((i: { id: string }) => i.id)).toEqual([d.id]);
  });

  it('refuses an entry of another company and a missing event without a reference, naming the field (in Polish too)', async () => {
    const foreign = await fileDispute(aUser, { subject: 'entry', entryId: bEntry, text: 'Not ours' });
    expect(foreign.statusCode).toBe(422);
    expect(foreign.json().code).toBe('EARNING_DISPUTE_ENTRY_UNKNOWN');
    expect(fieldsOf(foreign)).toEqual(['/body/entryId']);
    const noRef = await fileDispute(await t.signInAs(['partner-user'], { partnerId: a.id, locale: 'pl' }), { subject: 'missing-event', text: 'Brak punktów' });
    expect(noRef.statusCode).toBe(422);
    expect(fieldsOf(noRef)).toEqual(['/body/reference']);
    expect(noRef.json().errors[0].message).toContain('numer faktury');
    const blank = await fileDispute(aUser, { subject: 'missing-event', reference: 'FV/2', text: '   ' });
    expect(blank.statusCode).toBe(422);
    expect(fieldsOf(blank)).toEqual(['/body/text']);
    expect((await fileDispute(support, { subject: 'missing-event', reference: 'FV/2', text: 'staff' })).statusCode).toBe(403);
  });

  it('keeps a thread both sides see, turning the status over; support stays anonymous to the partner; staff replies are audited', async () => {
    const d = (await fileDispute(aUser, { subject: 'missing-event', reference: 'FV/3', text: 'Invoice FV/3 earned nothing.' })).json();
    const answer = await call('POST', `/earning/staff/disputes/${d.id}/messages`, support, { text: 'Please send the invoice.' });
    expect(answer.statusCode).toBe(200);
    expect(answer.json().status).toBe('waiting-for-partner');
    expect(answer.json().messages[0]).toMatchObject({ side: 'support', kind: 'message', authorName: support.email });
    const seen = (await call('GET', `/earning/disputes/${d.id}`, aUser)).json();
    expect(seen.messages).toMatchObject([{ side: 'support', body: 'Please send the invoice.', authorName: null }]);
    const reply = await call('POST', `/earning/disputes/${d.id}/messages`, aUser, { text: 'Attached.', idempotencyKey: 'm-1' });
    expect(reply.json().status).toBe('waiting-for-support');
    await call('POST', `/earning/disputes/${d.id}/messages`, aUser, { text: 'Attached.', idempotencyKey: 'm-1' });
    const staffView = (await call('GET', `/earning/staff/disputes/${d.id}`, support)).json();
    expect(staffView.messages.map((m: { side: string; body: string }) => `${m.side}: ${m.body}`)).toEqual(['support: Please send the invoice.', 'partner: Attached.']);
    expect(staffView.partnerName).toBe('Disputing Dealer');
    expect((await audit(d.id)).map((r) => r.action)).toEqual(['earning.dispute.filed', 'earning.dispute.answered']);
  });

  it("hides a company's disputes from another company's people (404) and from the partner side's list", async () => {
    const d = (await fileDispute(aUser, { subject: 'missing-event', reference: 'FV/4', text: 'Private', attachment: { filename: 'fv4.pdf', contentType: 'application/pdf', data: PDF.toString('base64') } })).json();
    const attachmentId = d.attachments[0].id;
    expect((await call('GET', `/earning/disputes/${d.id}`, bUser)).statusCode).toBe(404);
    expect((await call('GET', `/earning/disputes/${d.id}`, bUser)).json().code).toBe('EARNING_DISPUTE_NOT_FOUND');
    expect((await call('POST', `/earning/disputes/${d.id}/messages`, bUser, { text: 'hello' })).statusCode).toBe(404);
    expect((await call('GET', `/earning/disputes/${d.id}/attachments/${attachmentId}`, bUser)).statusCode).toBe(404);
    expect((await call('POST', `/earning/disputes/${d.id}/attachments`, bUser, { filename: 'x.pdf', contentType: 'application/pdf', data: PDF.toString('base64') })).statusCode).toBe(404);
    const bList = (await call('GET', '/earning/disputes', bUser)).json();
    expect(bList.items).toEqual([]);
    // Partner users cannot reach the staff side at all.
    expect((await call('GET', `/earning/staff/disputes/${d.id}`, aUser)).statusCode).toBe(403);
    expect((await call('GET', '/earning/staff/disputes', aUser)).statusCode).toBe(403);
  });

  it('resolves with an adjustment: posted at once, linked, named in the explanation, the balance changed, audited', async () => {
    const d = (await fileDispute(aUser, { subject: 'entry', entryId: aEntry, text: 'Missing 250 points' })).json();
    const before = await available(a.id);
    const res = await call('POST', `/earning/staff/disputes/${d.id}/resolve`, support, { points: 250, comment: 'Line 2 was left out; credited.' });
    expect(res.statusCode).toBe(200);
    const resolved = res.json();
    expect(resolved.status).toBe('resolved');
    expect(resolved.resolution).toMatchObject({ kind: 'adjustment', points: 250, comment: 'Line 2 was left out; credited.', requestId: null });
    expect(resolved.resolution.entryId).toEqual(expect.any(Number));
    expect(resolved.resolvedByName).toBe(support.email);
    expect(await available(a.id)).toBe(before + 250);
    const [entry] = (await db.query(`select kind, reason, explanation from ledger_entry where id = $1`, [resolved.resolution.entryId])).rows;
    expect(entry.kind).toBe('adjustment');
    expect(entry.explanation).toEqual({ dispute: { id: d.id, number: d.number } });
    expect(entry.reason).toBe(`Dispute #${d.number}: Line 2 was left out; credited.`);
    const records = await audit(d.id);
    expect(records.map((r) => r.action)).toEqual(['earning.dispute.filed', 'earning.dispute.resolved']);
    expect(records[1].actor).toMatchObject({ kind: 'user', userId: support.userId });
    expect(records[1].data).toMatchObject({ entryId: resolved.resolution.entryId, points: 250 });
    // The partner sees the resolution (but not who on the staff settled it); the dispute takes no more changes.
    const seen = (await call('GET', `/earning/disputes/${d.id}`, aUser)).json();
    expect(seen).toMatchObject({ status: 'resolved', resolvedByName: null, resolution: { kind: 'adjustment', points: 250, entryId: resolved.resolution.entryId } });
    expect(seen.messages.at(-1)).toMatchObject({ side: 'support', kind: 'resolution', body: 'Line 2 was left out; credited.' });
    const again = await call('POST', `/earning/staff/disputes/${d.id}/resolve`, support, { points: 250, comment: 'Line 2 was left out; credited.' });
    expect(again.statusCode).toBe(200);
    expect(await available(a.id)).toBe(before + 250);
    const late = await call('POST', `/earning/disputes/${d.id}/messages`, aUser, { text: 'Thanks' });
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('EARNING_DISPUTE_CLOSED');
    expect((await call('POST', `/earning/staff/disputes/${d.id}/reject`, support, { reason: 'no' })).statusCode).toBe(409);
  });

  it("sends an adjustment above the program's threshold to four-eyes approval; once approved the dispute links the entry", async () => {
    expect((await call('PUT', `/ledger/programs/${programId}/policy`, t.adminHeaders, { approvalThreshold: 300 })).statusCode).toBe(200);
    try {
      const d = (await fileDispute(aUser, { subject: 'missing-event', reference: 'FV/5', text: 'A big invoice earned nothing' })).json();
      const before = await available(a.id);
      const res = await call('POST', `/earning/staff/disputes/${d.id}/resolve`, support, { points: 800, comment: 'Credited after checking FV/5.' });
      expect(res.statusCode).toBe(200);
      const resolution = res.json().resolution;
      expect(resolution).toMatchObject({ kind: 'adjustment', points: 800, entryId: null, requestStatus: 'pending' });
      expect(await available(a.id)).toBe(before);
      const request = (await call('GET', `/ledger/adjustment-requests/${resolution.requestId}`, finance)).json();
      expect(request).toMatchObject({ partnerId: a.id, points: 800, status: 'pending', requestedBy: support.userId, reason: `Dispute #${d.number}: Credited after checking FV/5.` });
      expect((await call('POST', `/ledger/adjustment-requests/${resolution.requestId}/approve`, finance, {})).statusCode).toBe(200);
      expect(await available(a.id)).toBe(before + 800);
      const seen = (await call('GET', `/earning/disputes/${d.id}`, aUser)).json();
      expect(seen.resolution).toMatchObject({ requestStatus: 'posted', entryId: expect.any(Number) });
    } finally {
      await call('PUT', `/ledger/programs/${programId}/policy`, t.adminHeaders, { approvalThreshold: null });
    }
  });

  it('rejects with a reason the partner reads; nothing is posted; audited', async () => {
    const d = (await fileDispute(aUser, { subject: 'entry', entryId: aEntry, text: 'Too few points' })).json();
    const before = await available(a.id);
    const blank = await call('POST', `/earning/staff/disputes/${d.id}/reject`, support, { reason: '  ' });
    expect(fieldsOf(blank)).toEqual(['/body/reason']);
    const res = await call('POST', `/earning/staff/disputes/${d.id}/reject`, support, { reason: 'The rule in force paid 1 point per 10 PLN.' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'rejected', resolution: { kind: 'rejection', comment: 'The rule in force paid 1 point per 10 PLN.', points: null, entryId: null } });
    expect(await available(a.id)).toBe(before);
    const seen = (await call('GET', `/earning/disputes/${d.id}`, aUser)).json();
    expect(seen.messages.at(-1)).toMatchObject({ kind: 'rejection', body: 'The rule in force paid 1 point per 10 PLN.' });
    expect((await audit(d.id)).map((r) => r.action)).toEqual(['earning.dispute.filed', 'earning.dispute.rejected']);
    const zero = await call('POST', `/earning/staff/disputes/${d.id}/resolve`, support, { points: 0, comment: 'x' });
    expect(fieldsOf(zero)).toEqual(['/body/points']);
  });

  it("flags open disputes past their due time (the program's SLA) and filters the queue by them, status and partner", async () => {
    const put = await call('PUT', `/earning/programs/${programId}/dispute-policy`, support, { slaDays: 2 });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ programId, slaDays: 2 });
    expect((await db.query(`select count(*)::int as n from audit_record where action = 'earning.dispute-policy.changed' and subject_id = $1`, [programId])).rows[0].n).toBe(1);
    const late = (await fileDispute(aUser, { subject: 'missing-event', reference: 'FV/6', text: 'Late one' })).json();
    expect(new Date(late.dueAt).getTime() - new Date(late.filedAt).getTime()).toBe(2 * 86_400_000);
    const fresh = (await fileDispute(bUser, { subject: 'missing-event', reference: 'FV/7', text: 'Fresh one' })).json();
    // Time passes: the first is now past its due time.
    await db.query(`update earning_dispute set due_at = now() - interval '1 hour' where id = $1`, [late.id]);
    const overdue = (await call('GET', '/earning/staff/disputes?overdue=true', support)).json();
    expect(overdue.items.map((i: { id: string }) => i.id)).toEqual([late.id]);
    expect(overdue.items[0]).toMatchObject({ overdue: true, partnerCode: a.partnerCode });
    const all = (await call('GET', '/earning/staff/disputes', support)).json();
    expect(all.items.find((i: { id: string }) => i.id === fresh.id).overdue).toBe(false);
    const ofB = (await call('GET', `/earning/staff/disputes?partnerId=${b.id}`, support)).json();
    expect(ofB.items.map((i: { id: string }) => i.id)).toEqual([fresh.id]);
    const rejected = (await call('GET', '/earning/staff/disputes?status=rejected', support)).json();
    expect(rejected.items.every((i: { status: string }) => i.status === 'rejected')).toBe(true);
    expect((await call('GET', `/earning/disputes/${late.id}`, aUser)).json().overdue).toBe(true);
    // A settled dispute is never overdue.
    await call('POST', `/earning/staff/disputes/${late.id}/reject`, support, { reason: 'Duplicate of an earlier dispute.' });
    expect((await call('GET', '/earning/staff/disputes?overdue=true', support)).json().items).toEqual([]);
    await call('PUT', `/earning/programs/${programId}/dispute-policy`, support, { slaDays: 5 });
  });

  it('keeps attachments (PDF, PNG, JPEG up to 5 MiB) for both parties only, and names the field of a wrong type or size', async () => {
    const d = (await fileDispute(aUser, { subject: 'missing-event', reference: 'FV/8', text: 'See the scan' })).json();
    const up = await call('POST', `/earning/disputes/${d.id}/attachments`, aUser, { filename: 'scan.png', contentType: 'image/png', data: PNG.toString('base64') });
    expect(up.statusCode).toBe(201);
    expect(up.json()).toMatchObject({ filename: 'scan.png', contentType: 'image/png', size: PNG.length, side: 'partner' });
    for (const who of [aUser, support]) {
      const url = who === aUser ? `/earning/disputes/${d.id}/attachments/${up.json().id}` : `/earning/staff/disputes/${d.id}/attachments/${up.json().id}`;
      const got = await call('GET', url, who);
      expect(got.statusCode).toBe(200);
      expect(got.headers['content-type']).toBe('image/png');
      expect(got.headers['content-disposition']).toContain('attachment; filename="scan.png"');
      expect(got.rawPayload.equals(PNG)).toBe(true);
    }
    const wrongType = await call('POST', `/earning/disputes/${d.id}/attachments`, aUser, { filename: 'notes.txt', contentType: 'text/plain', data: Buffer.from('hi').toString('base64') });
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.headers['content-type']).toContain('application/problem+json');
    expect(wrongType.json().code).toBe('EARNING_DISPUTE_ATTACHMENT_TYPE');
    expect(fieldsOf(wrongType)).toEqual(['/body/contentType']);
    const big = Buffer.concat([PNG, Buffer.alloc(5 * 1024 * 1024)]);
    const tooBig = await call('POST', `/earning/disputes/${d.id}/attachments`, await t.signInAs(['partner-admin'], { partnerId: a.id, locale: 'ru' }), { filename: 'big.png', contentType: 'image/png', data: big.toString('base64') });
    expect(tooBig.statusCode).toBe(413);
    expect(fieldsOf(tooBig)).toEqual(['/body/data']);
    expect(tooBig.json().errors[0].message).toContain('5 МБ');
    const inline = await fileDispute(aUser, { subject: 'missing-event', reference: 'FV/9', text: 'x', attachment: { filename: 'a.exe', contentType: 'application/x-msdownload', data: 'TVqQ' } });
    expect(fieldsOf(inline)).toEqual(['/body/attachment/contentType']);
    const liar = await call('POST', `/earning/disputes/${d.id}/attachments`, aUser, { filename: 'fake.jpg', contentType: 'image/jpeg', data: PDF.toString('base64') });
    expect(liar.statusCode).toBe(422);
    expect(fieldsOf(liar)).toEqual(['/body/data']);
    const stored = (await db.query(`select count(*)::int as n from earning_dispute_attachment where dispute_id = $1`, [d.id])).rows[0].n;
    expect(stored).toBe(1);
  });
});
