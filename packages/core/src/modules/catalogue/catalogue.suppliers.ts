import { AppError, type InferEntity, type RequestContext } from '@laurel/plugin-sdk';
import { uuidv7 } from '../../platform/ids.ts';
import { generateSecret, sign } from '../../platform/standard-webhooks.ts';
import type { AuditService } from '../audit/index.ts';
import { Supplier, type SupplierStatus } from './catalogue.entity.ts';
import type { VoucherCipher } from './voucher.crypto.ts';

type SupplierRow = InferEntity<typeof Supplier>;

/**
 * Fulfilment by an outside supplier. Each attempt is one HTTP POST of the order to the supplier's URL, signed the
 * Standard Webhooks way (https://www.standardwebhooks.com): `webhook-id` (the order id, the same on every retry, so
 * the supplier can drop duplicates), `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256
 * of "<id>.<timestamp>.<body>">` under the supplier's secret (`whsec_<base64>`); `Idempotency-Key` carries the order id
 * too. The answer decides:
 *   2xx `{"status":"fulfilled"}` (or any 2xx without a status, for rewards that need no delivery) → done;
 *   2xx `{"status":"accepted"}` (the default for physical goods) → the order waits for the shipment;
 *   408, 425, 429, 5xx, a timeout or a network error → retryable (the redemption workflow retries with backoff);
 *   any other 4xx → refused: not retried, the order fails and its points and stock go back.
 * Every attempt is kept in `catalogue_supplier_call` with its status code, time and outcome.
 */
export interface SupplierView {
  id: string;
  programId: string;
  name: string;
  url: string;
  timeoutMs: number;
  status: SupplierStatus;
  createdAt: string;
  updatedAt: string;
}

export interface SupplierInput {
  programId: string;
  name: string;
  url: string;
  timeoutMs?: number;
}

export type SupplierPatch = Partial<Pick<SupplierInput, 'name' | 'url' | 'timeoutMs'>> & { status?: SupplierStatus };

export interface SupplierCallView {
  attempt: number;
  at: string;
  statusCode: number | null;
  durationMs: number;
  outcome: 'fulfilled' | 'accepted' | 'refused' | 'failed';
  detail: string | null;
}

/** What the supplier receives: the order, the reward and where to deliver. */
export interface SupplierOrderPayload {
  type: 'laurel.redemption.order';
  order: {
    id: string;
    sku: string;
    rewardType: string;
    quantity: number;
    points: number;
    shipping: Record<string, unknown> | null;
    partner: { id: string; name: string };
    placedAt: string;
  };
}

export interface SupplierOutcome {
  result: 'done' | 'pending';
  reference: string | null;
}

const RETRYABLE_STATUS = new Set([408, 425, 429]);
const DETAIL_LIMIT = 500;

function view(r: SupplierRow): SupplierView {
  return { id: r.id, programId: r.programId, name: r.name, url: r.url, timeoutMs: r.timeoutMs, status: r.status, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString() };
}

function invalid(code: string, field: string, params: Record<string, unknown> = {}): AppError {
  return new AppError(code, 422, { params, fields: [{ field, messageKey: `errors.${code}`, params }] });
}

/** http only to this machine (development, tests); https everywhere else. */
function checkUrl(url: string, field: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('CATALOGUE_SUPPLIER_URL_INVALID', field, { address: url });
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) throw invalid('CATALOGUE_SUPPLIER_URL_INVALID', field, { address: url });
  if (parsed.username || parsed.password) throw invalid('CATALOGUE_SUPPLIER_URL_INVALID', field, { address: url });
}

export interface SupplierDeps {
  audit: () => AuditService;
  cipher: () => VoucherCipher;
}

export function createSupplierService(deps: SupplierDeps) {
  const sealKey = (id: string) => `supplier:${id}`;

  async function load(ctx: RequestContext, id: string): Promise<SupplierRow> {
    const row = await ctx.em.findOne(Supplier, { id });
    if (!row) throw new AppError('CATALOGUE_SUPPLIER_NOT_FOUND', 404, { params: { id } });
    return row;
  }

  return {
    async create(ctx: RequestContext, input: SupplierInput): Promise<SupplierView & { secret: string }> {
      checkUrl(input.url, '/body/url');
      const name = input.name.trim();
      if (!name) throw invalid('CATALOGUE_SUPPLIER_NAME_REQUIRED', '/body/name');
      if (await ctx.em.findOne(Supplier, { programId: input.programId, name })) throw new AppError('CATALOGUE_SUPPLIER_NAME_TAKEN', 409, { params: { name }, fields: [{ field: '/body/name', messageKey: 'errors.CATALOGUE_SUPPLIER_NAME_TAKEN', params: { name } }] });
      const id = uuidv7();
      const secret = generateSecret(24);
      const now = new Date();
      const row = ctx.em.create(Supplier, { id, programId: input.programId, name, url: input.url, secretSealed: deps.cipher().seal(sealKey(id), secret), timeoutMs: input.timeoutMs ?? 10_000, status: 'active', createdAt: now, updatedAt: now });
      ctx.em.persist(row);
      deps.audit().record(ctx, { action: 'catalogue.supplier.created', subjectType: 'supplier', subjectId: id, data: { after: view(row) } });
      await ctx.em.flush();
      return { ...view(row), secret };
    },

    async list(ctx: RequestContext, programId?: string): Promise<SupplierView[]> {
      const rows = await ctx.em.find(Supplier, programId ? { programId } : {}, { orderBy: { name: 'asc' }, limit: 500 });
      return rows.map(view);
    },

    async get(ctx: RequestContext, id: string): Promise<SupplierView> {
      return view(await load(ctx, id));
    },

    async update(ctx: RequestContext, id: string, patch: SupplierPatch): Promise<SupplierView> {
      const row = await load(ctx, id);
      const before = view(row);
      if (patch.url !== undefined) {
        checkUrl(patch.url, '/body/url');
        row.url = patch.url;
      }
      if (patch.name !== undefined) {
        const name = patch.name.trim();
        if (!name) throw invalid('CATALOGUE_SUPPLIER_NAME_REQUIRED', '/body/name');
        row.name = name;
      }
      if (patch.timeoutMs !== undefined) row.timeoutMs = patch.timeoutMs;
      if (patch.status !== undefined) row.status = patch.status;
      row.updatedAt = new Date();
      deps.audit().record(ctx, { action: 'catalogue.supplier.updated', subjectType: 'supplier', subjectId: id, data: { before, after: view(row) } });
      await ctx.em.flush();
      return view(row);
    },

    /** A new signing secret, shown once; the old one stops signing at once. */
    async rotateSecret(ctx: RequestContext, id: string): Promise<{ secret: string }> {
      const row = await load(ctx, id);
      const secret = generateSecret(24);
      row.secretSealed = deps.cipher().seal(sealKey(id), secret);
      row.updatedAt = new Date();
      deps.audit().record(ctx, { action: 'catalogue.supplier.secret-rotated', subjectType: 'supplier', subjectId: id, data: {} });
      await ctx.em.flush();
      return { secret };
    },

    async calls(ctx: RequestContext, orderId: string): Promise<SupplierCallView[]> {
      const rows = await ctx.em.execute<{ attempt: number; at: Date; status_code: number | null; duration_ms: number; outcome: SupplierCallView['outcome']; detail: string | null }[]>(
        `select attempt, at, status_code, duration_ms, outcome, detail from catalogue_supplier_call where order_id = ? order by attempt`,
        [orderId],
      );
      return rows.map((r) => ({ attempt: r.attempt, at: new Date(r.at).toISOString(), statusCode: r.status_code, durationMs: r.duration_ms, outcome: r.outcome, detail: r.detail }));
    },

    /**
     * Send the order to its supplier once and record the attempt. Returns done or pending; throws an AppError that
     * says whether trying again may help (`retryable`).
     */
    async send(ctx: RequestContext, supplierId: string, payload: SupplierOrderPayload, needsDelivery: boolean): Promise<SupplierOutcome> {
      const supplier = await load(ctx, supplierId);
      if (supplier.status !== 'active') throw new AppError('CATALOGUE_SUPPLIER_DISABLED', 409, { params: { name: supplier.name }, retryable: false });
      const secret = deps.cipher().open(sealKey(supplier.id), supplier.secretSealed);
      const body = JSON.stringify(payload);
      const timestamp = Math.floor(Date.now() / 1000);
      const started = performance.now();
      let statusCode: number | null = null;
      let outcome: SupplierCallView['outcome'];
      let detail: string | null;
      let result: SupplierOutcome | null = null;
      let error: AppError | null = null;
      try {
        const response = await fetch(supplier.url, {
          method: 'POST',
          redirect: 'manual',
          signal: AbortSignal.timeout(supplier.timeoutMs),
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Laurel',
            'idempotency-key': payload.order.id,
            'webhook-id': payload.order.id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': sign(secret, payload.order.id, timestamp, body),
          },
          body,
        });
        statusCode = response.status;
        const text = (await response.text()).slice(0, 64 * 1024);
        if (response.status >= 200 && response.status < 300) {
          let answer: { status?: unknown; reference?: unknown } = {};
          try {
            answer = text ? (JSON.parse(text) as typeof answer) : {};
          } catch {
            answer = {};
          }
          const accepted = answer.status === 'accepted' || (answer.status !== 'fulfilled' && needsDelivery);
          const reference = typeof answer.reference === 'string' ? answer.reference.slice(0, 200) : null;
          outcome = accepted ? 'accepted' : 'fulfilled';
          detail = reference;
          result = { result: accepted ? 'pending' : 'done', reference };
        } else {
          const retryable = response.status >= 500 || RETRYABLE_STATUS.has(response.status);
          outcome = retryable ? 'failed' : 'refused';
          detail = text.slice(0, DETAIL_LIMIT) || null;
          error = retryable
            ? new AppError('CATALOGUE_SUPPLIER_UNAVAILABLE', 502, { params: { name: supplier.name, status: response.status }, retryable: true })
            : new AppError('CATALOGUE_SUPPLIER_REFUSED', 422, { params: { name: supplier.name, status: response.status }, retryable: false });
        }
      } catch (cause) {
        const timedOut = (cause as Error).name === 'TimeoutError';
        outcome = 'failed';
        detail = timedOut ? `no answer within ${supplier.timeoutMs} ms` : String((cause as Error).cause ?? (cause as Error).message).slice(0, DETAIL_LIMIT);
        error = new AppError('CATALOGUE_SUPPLIER_UNAVAILABLE', 502, { params: { name: supplier.name, status: timedOut ? 'timeout' : 'network' }, retryable: true });
      }
      const durationMs = Math.round(performance.now() - started);
      // Kept whatever happens next: the attempt is logged in its own statement, outside any caller transaction's fate.
      await ctx.em.execute(
        `insert into catalogue_supplier_call (order_id, supplier_id, attempt, at, status_code, duration_ms, outcome, detail)
         select ?, ?, coalesce(max(attempt), 0) + 1, now(), ?, ?, ?, ? from catalogue_supplier_call where order_id = ?`,
        [payload.order.id, supplier.id, statusCode, durationMs, outcome, detail, payload.order.id],
      );
      if (error) throw error;
      return result!;
    },
  };
}

export type SupplierService = ReturnType<typeof createSupplierService>;
