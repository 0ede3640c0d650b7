import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingTemporalGateway, startTestApp, type TestApp } from '@laurel/core/testing';
import { createTestDatabase } from '../../../../../test/database.ts';
import { solidPng } from '../../../../../test/png.ts';

type Json = Record<string, unknown>;

describe('catalogue: reward images in PostgreSQL, checked by their bytes, served by content hash', () => {
  let t: TestApp;
  let programId: string;
  let partner: Record<string, string>;
  let stranger: Record<string, string>;
  let managerPl: Record<string, string>;
  let rewardId: string;

  const inject = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = t.adminHeaders) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Json }) });
  const text = (s: string) => ({ en: s, pl: `${s} (pl)`, ru: `${s} (ru)` });
  const upload = (bytes: Buffer, extra: Json = {}, headers?: Record<string, string>) => inject('POST', `/api/v1/catalogue/rewards/${rewardId}/images`, { data: bytes.toString('base64'), ...extra }, headers);
  const png = solidPng(4, 3, [200, 30, 30]);
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);
  const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x1a, 0, 0, 0]), Buffer.from('WEBPVP8L'), Buffer.alloc(14, 1)]);

  beforeAll(async () => {
    t = await startTestApp({ databaseUrl: await createTestDatabase(), temporal: recordingTemporalGateway() });
    const program = async (code: string) => {
      const id = (await inject('POST', '/api/v1/programs', { code, name: text(code), currency: 'PLN', pointValueMinorPerThousand: 1000 })).json().id as string;
      await inject('POST', `/api/v1/programs/${id}/status`, { status: 'live', reason: 'test' });
      return id;
    };
    programId = await program('img');
    const elsewhere = await program('other');
    const partnerId = (await inject('POST', '/api/v1/partners', { programId, legalName: 'Orange', nip: '5260250995', type: 'dealer' })).json().id;
    const strangerId = (await inject('POST', '/api/v1/partners', { programId: elsewhere, legalName: 'Else', nip: '5250007738', type: 'dealer' })).json().id;
    partner = await t.signInAs(['partner-user'], { partnerId, locale: 'pl' });
    stranger = await t.signInAs(['partner-user'], { partnerId: strangerId });
    managerPl = await t.signInAs(['program-manager'], { locale: 'pl' });
    const created = await inject('POST', '/api/v1/catalogue/rewards', { programId, sku: 'HEADSET', type: 'physical', name: text('Headset'), description: text('d'), category: 'audio', pricePoints: 100, status: 'active' });
    rewardId = created.json().id;
    expect(created.json().images).toEqual([]);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('takes PNG, JPEG and WebP by their bytes, in order, once each; refuses anything else at /body/data, in the caller language', async () => {
    const first = await upload(png, { alt: { en: 'Red headset', pl: 'Czerwone słuchawki', ru: '  ' } });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ contentType: 'image/png', size: png.length, position: 0, alt: { en: 'Red headset', pl: 'Czerwone słuchawki' } });
    expect(first.json().alt).not.toHaveProperty('ru');
    expect(first.json().url).toBe(`/api/v1/catalogue/images/${first.json().sha256}`);
    const again = await upload(png);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    expect((await upload(jpeg)).json()).toMatchObject({ contentType: 'image/jpeg', position: 1 });
    expect((await upload(webp)).json()).toMatchObject({ contentType: 'image/webp', position: 2 });

    const gif = await upload(Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), {}, managerPl);
    expect(gif.statusCode).toBe(422);
    expect(gif.headers['content-type']).toContain('application/problem+json');
    expect(gif.json()).toMatchObject({ code: 'CATALOGUE_IMAGE_TYPE', errors: [{ field: '/body/data', message: 'Przyjmujemy tylko obrazy PNG, JPEG i WebP; ten plik nie jest żadnym z nich.' }] });
    // A PNG's name on other bytes is still refused: only the bytes count.
    expect((await upload(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).json()).toMatchObject({ code: 'CATALOGUE_IMAGE_TYPE', errors: [{ field: '/body/data' }] });
    const huge = Buffer.concat([png, Buffer.alloc(5 * 1024 * 1024)]);
    expect((await upload(huge, {}, managerPl)).json()).toMatchObject({ code: 'CATALOGUE_IMAGE_TOO_LARGE', errors: [{ field: '/body/data', message: 'Obraz jest za duży: najwyżej 5 MB.' }] });
    expect((await inject('POST', `/api/v1/catalogue/rewards/${rewardId}/images`, { data: '%%%not base64' })).json()).toMatchObject({ code: 'CATALOGUE_IMAGE_UNREADABLE', errors: [{ field: '/body/data' }] });
    expect((await upload(png, { alt: { pl: 'x'.repeat(301) } })).json()).toMatchObject({ errors: [{ field: '/body/alt/pl' }] });
    expect((await upload(png, {}, partner)).statusCode).toBe(403);

    const reward = (await inject('GET', `/api/v1/catalogue/rewards/${rewardId}`)).json();
    expect(reward.images.map((i: Json) => i.contentType)).toEqual(['image/png', 'image/jpeg', 'image/webp']);
    const audit = (await inject('GET', `/api/v1/audit/records?subjectId=${rewardId}`)).json().items.map((r: Json) => r.action);
    expect(audit.filter((a: string) => a === 'catalogue.reward.image-added')).toHaveLength(3);
  });

  it('serves the bytes with an ETag, cached as immutable; a 304 when unchanged; only to the program’s partners', async () => {
    const [image] = (await inject('GET', `/api/v1/catalogue/rewards/${rewardId}`)).json().images as { url: string; sha256: string }[];
    const res = await inject('GET', image!.url, undefined, partner);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers.etag).toBe(`"${image!.sha256}"`);
    expect(res.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.rawPayload.equals(png)).toBe(true);
    const cached = await inject('GET', image!.url, undefined, { ...partner, 'if-none-match': `"${image!.sha256}"` });
    expect(cached.statusCode).toBe(304);
    expect(cached.rawPayload.length).toBe(0);
    expect((await inject('GET', image!.url, undefined, stranger)).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: image!.url })).statusCode).toBe(401);
    expect((await inject('GET', `/api/v1/catalogue/images/${'0'.repeat(64)}`)).statusCode).toBe(404);
  });

  it('reorders, edits alternative text and removes, audited; the partner offer lists them with alt text in its language', async () => {
    const images = (await inject('GET', `/api/v1/catalogue/rewards/${rewardId}`)).json().images as { id: string; contentType: string }[];
    const webpId = images[2]!.id;
    const moved = await inject('PATCH', `/api/v1/catalogue/rewards/${rewardId}/images/${webpId}`, { position: 0, alt: { pl: 'Słuchawki z boku' } });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json().items.map((i: Json) => [i.contentType, i.position])).toEqual([
      ['image/webp', 0],
      ['image/png', 1],
      ['image/jpeg', 2],
    ]);
    const removed = await inject('DELETE', `/api/v1/catalogue/rewards/${rewardId}/images/${images[1]!.id}`);
    expect(removed.json().items.map((i: Json) => [i.contentType, i.position])).toEqual([
      ['image/webp', 0],
      ['image/png', 1],
    ]);
    expect((await inject('DELETE', `/api/v1/catalogue/rewards/${rewardId}/images/${images[1]!.id}`)).statusCode).toBe(404);

    const offer = (await inject('GET', '/api/v1/catalogue/offer', undefined, partner)).json();
    const item = offer.items.find((i: { reward: { id: string } }) => i.reward.id === rewardId);
    expect(item.reward.images).toEqual([
      { url: expect.stringMatching(/^\/api\/v1\/catalogue\/images\/[0-9a-f]{64}$/), alt: 'Słuchawki z boku' },
      { url: expect.any(String), alt: 'Czerwone słuchawki' },
    ]);
    const audit = (await inject('GET', `/api/v1/audit/records?subjectId=${rewardId}`)).json().items.map((r: Json) => r.action);
    expect(audit).toEqual(expect.arrayContaining(['catalogue.reward.image-updated', 'catalogue.reward.image-removed']));
  });
});
