import { createHash } from 'node:crypto';
import { AppError, LOCALES, type Locale, type RequestContext } from '@laurel/plugin-sdk';
import { uuidv7 } from '../../platform/ids.ts';
import type { AuditService } from '../audit/index.ts';

/** Largest image taken (bytes), and how many one reward may have. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
export const MAX_IMAGES_PER_REWARD = 12;
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];
const ALT_MAX = 300;

export interface RewardImageView {
  id: string;
  /** Where the bytes are served: by content hash, cached as immutable. */
  url: string;
  contentType: ImageType;
  size: number;
  sha256: string;
  position: number;
  /** Alternative text per language (optional; the portal falls back to the reward's name). */
  alt: Partial<Record<Locale, string>>;
}

/** What the file's first bytes say it is (never what its name or the browser claim). */
export function sniffImage(bytes: Uint8Array): ImageType | null {
  const at = (i: number, ...values: number[]) => values.every((v, k) => bytes[i + k] === v);
  if (bytes.length >= 8 && at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (bytes.length >= 3 && at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (bytes.length >= 12 && at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'image/webp';
  return null;
}

export const imageUrl = (sha256: string) => `/api/v1/catalogue/images/${sha256}`;

function invalid(code: string, field: string, params: Record<string, unknown> = {}): AppError {
  return new AppError(code, 422, { params, fields: [{ field, messageKey: `errors.${code}`, params }] });
}

function cleanAlt(alt: Partial<Record<Locale, string>> | undefined): Partial<Record<Locale, string>> {
  const out: Partial<Record<Locale, string>> = {};
  for (const locale of LOCALES) {
    const text = alt?.[locale]?.trim();
    if (!text) continue;
    if (text.length > ALT_MAX) throw invalid('CATALOGUE_IMAGE_ALT_TOO_LONG', `/body/alt/${locale}`, { max: ALT_MAX });
    out[locale] = text;
  }
  return out;
}

interface Row {
  id: string;
  reward_id: string;
  position: number;
  content_type: ImageType;
  size: number;
  sha256: string;
  alt: Partial<Record<Locale, string>>;
}
const view = (r: Row): RewardImageView => ({ id: r.id, url: imageUrl(r.sha256), contentType: r.content_type, size: r.size, sha256: r.sha256, position: r.position, alt: r.alt ?? {} });
const COLUMNS = 'id, reward_id, position, content_type, size, sha256, alt';

/**
 * Reward images in PostgreSQL (bytea). Uploads are checked by their bytes (PNG, JPEG, WebP; at most 5 MiB); a reward's
 * images keep the order the admin gives them; every change is audited. Reads of the bytes go by content hash.
 */
export function createImageService(deps: { audit: () => AuditService; rewardExists: (ctx: RequestContext, rewardId: string) => Promise<void>; inTransaction: <T>(ctx: RequestContext, work: () => Promise<T>) => Promise<T> }) {
  async function list(ctx: RequestContext, rewardId: string): Promise<RewardImageView[]> {
    const rows = await ctx.em.execute<Row[]>(`select ${COLUMNS} from catalogue_reward_image where reward_id = ? order by position, id`, [rewardId]);
    return rows.map(view);
  }

  /** Number a reward's images 0, 1, 2 … in the given order of ids (the rest after, as they were). */
  async function renumber(ctx: RequestContext, rewardId: string, order: string[]): Promise<void> {
    await ctx.em.execute(
      `update catalogue_reward_image i set position = o.n - 1
         from (select id, row_number() over (order by array_position(?::uuid[], id) nulls last, position, id) as n from catalogue_reward_image where reward_id = ?) o
        where i.id = o.id`,
      [`{${order.join(',')}}`, rewardId],
    );
  }

  return {
    list,

    /** The images of many rewards at once (no bytes), by reward id, in order. */
    async ofRewards(ctx: RequestContext, rewardIds: string[]): Promise<Map<string, RewardImageView[]>> {
      const out = new Map<string, RewardImageView[]>();
      if (rewardIds.length === 0) return out;
      const rows = await ctx.em.execute<Row[]>(`select ${COLUMNS} from catalogue_reward_image where reward_id = any(?::uuid[]) order by reward_id, position, id`, [`{${rewardIds.join(',')}}`]);
      for (const r of rows) out.set(r.reward_id, [...(out.get(r.reward_id) ?? []), view(r)]);
      return out;
    },

    /**
     * Add an image (base64 in `data`) at the end. Its bytes decide the type; anything but PNG, JPEG or WebP, an empty
     * file or one over 5 MiB is a 422 at `/body/data`. The same bytes again for the reward return the image already there.
     */
    async add(ctx: RequestContext, rewardId: string, input: { data: string; alt?: Partial<Record<Locale, string>> }): Promise<{ image: RewardImageView; created: boolean }> {
      await deps.rewardExists(ctx, rewardId);
      const base64 = input.data.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 === 1) throw invalid('CATALOGUE_IMAGE_UNREADABLE', '/body/data');
      const bytes = Buffer.from(base64, 'base64');
      if (bytes.length === 0) throw invalid('CATALOGUE_IMAGE_UNREADABLE', '/body/data');
      if (bytes.length > MAX_IMAGE_BYTES) throw invalid('CATALOGUE_IMAGE_TOO_LARGE', '/body/data', { size: bytes.length, max: MAX_IMAGE_BYTES, maxMb: MAX_IMAGE_BYTES / 1024 / 1024 });
      const type = sniffImage(bytes);
      if (!type) throw invalid('CATALOGUE_IMAGE_TYPE', '/body/data');
      const alt = cleanAlt(input.alt);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      return deps.inTransaction(ctx, async () => {
      // One upload at a time per reward: the count and the next position are read under the lock.
      await ctx.em.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`catalogue-images:${rewardId}`]);
      const existing = await ctx.em.execute<Row[]>(`select ${COLUMNS} from catalogue_reward_image where reward_id = ? and sha256 = ?`, [rewardId, sha256]);
      if (existing[0]) return { image: view(existing[0]), created: false };
      const [count] = await ctx.em.execute<{ n: number; next: number }[]>(`select count(*)::int as n, coalesce(max(position) + 1, 0)::int as next from catalogue_reward_image where reward_id = ?`, [rewardId]);
      if ((count?.n ?? 0) >= MAX_IMAGES_PER_REWARD) throw new AppError('CATALOGUE_IMAGE_LIMIT', 409, { params: { max: MAX_IMAGES_PER_REWARD }, fields: [{ field: '/body/data', messageKey: 'errors.CATALOGUE_IMAGE_LIMIT', params: { max: MAX_IMAGES_PER_REWARD } }] });
      const id = uuidv7();
      const [row] = await ctx.em.execute<Row[]>(
        `insert into catalogue_reward_image (id, reward_id, position, content_type, bytes, size, sha256, alt) values (?, ?, ?, ?, ?, ?, ?, ?::jsonb)
         on conflict (reward_id, sha256) do update set sha256 = excluded.sha256 returning ${COLUMNS}`,
        [id, rewardId, count?.next ?? 0, type, bytes, bytes.length, sha256, JSON.stringify(alt)],
      );
      deps.audit().record(ctx, { action: 'catalogue.reward.image-added', subjectType: 'reward', subjectId: rewardId, data: { imageId: row!.id, contentType: type, size: bytes.length, sha256, alt } });
      await ctx.em.flush();
      return { image: view(row!), created: row!.id === id };
      });
    },

    /** Change an image's alternative text and/or move it to `position` (0 = first); the others keep their order. */
    async update(ctx: RequestContext, rewardId: string, imageId: string, patch: { alt?: Partial<Record<Locale, string>>; position?: number }): Promise<RewardImageView[]> {
      await deps.rewardExists(ctx, rewardId);
      const images = await list(ctx, rewardId);
      const image = images.find((i) => i.id === imageId);
      if (!image) throw new AppError('CATALOGUE_IMAGE_NOT_FOUND', 404, { params: { id: imageId } });
      const changes: Record<string, unknown> = {};
      if (patch.alt !== undefined) {
        const alt = cleanAlt(patch.alt);
        await ctx.em.execute(`update catalogue_reward_image set alt = ?::jsonb where id = ?`, [JSON.stringify(alt), imageId]);
        changes.alt = { before: image.alt, after: alt };
      }
      if (patch.position !== undefined && patch.position !== images.indexOf(image)) {
        const order = images.map((i) => i.id).filter((id) => id !== imageId);
        order.splice(Math.min(patch.position, order.length), 0, imageId);
        await renumber(ctx, rewardId, order);
        changes.position = { before: images.indexOf(image), after: order.indexOf(imageId) };
      }
      if (Object.keys(changes).length > 0) deps.audit().record(ctx, { action: 'catalogue.reward.image-updated', subjectType: 'reward', subjectId: rewardId, data: { imageId, ...changes } });
      await ctx.em.flush();
      return list(ctx, rewardId);
    },

    async remove(ctx: RequestContext, rewardId: string, imageId: string): Promise<RewardImageView[]> {
      await deps.rewardExists(ctx, rewardId);
      const [gone] = await ctx.em.execute<Row[]>(`delete from catalogue_reward_image where id = ? and reward_id = ? returning ${COLUMNS}`, [imageId, rewardId]);
      if (!gone) throw new AppError('CATALOGUE_IMAGE_NOT_FOUND', 404, { params: { id: imageId } });
      const rest = await list(ctx, rewardId);
      await renumber(ctx, rewardId, rest.map((i) => i.id));
      deps.audit().record(ctx, { action: 'catalogue.reward.image-removed', subjectType: 'reward', subjectId: rewardId, data: { imageId, sha256: gone.sha256, size: gone.size } });
      await ctx.em.flush();
      return list(ctx, rewardId);
    },

    /**
     * The bytes of an image by content hash. A partner user reaches only images of its own program's rewards (another
     * hash is a 404, whether or not it exists); staff reach every image.
     */
    async read(ctx: RequestContext, sha256: string, programId: string | null, withBytes = true): Promise<{ bytes: Buffer; contentType: ImageType } | null> {
      // Without the bytes (a browser that has them asks If-None-Match): the same check, nothing large read.
      const rows = await ctx.em.execute<{ bytes: Buffer | null; content_type: ImageType }[]>(
        `select case when ? then i.bytes end as bytes, i.content_type from catalogue_reward_image i join catalogue_reward r on r.id = i.reward_id
          where i.sha256 = ? and (?::uuid is null or r.program_id = ?::uuid) limit 1`,
        [withBytes, sha256, programId, programId],
      );
      return rows[0] ? { bytes: rows[0].bytes ? Buffer.from(rows[0].bytes) : Buffer.alloc(0), contentType: rows[0].content_type } : null;
    },
  };
}

export type ImageService = ReturnType<typeof createImageService>;
