import { Type, isAppError, type RequestContext, type Static } from '@laurel/plugin-sdk';
import type { AuditService } from '../audit/index.ts';
import type { FxFormat } from './earning.fx.ts';

/*
 * The scheduled fetch of exchange rates: each configured source (the NBP's table A and the ECB's daily reference
 * rates by default) is fetched once a UTC day from its hour on, imported like an upload (earning.fx-rates.imported),
 * retried on failure (network, HTTP status, a file that does not parse) every `retryMinutes` up to `maxAttempts`, and
 * each failed attempt is audited (earning.fx-fetch.failed) and shown with the source's last status on the exchange
 * rates page. One row per source and day (earning_fx_fetch): an attempt claims it, so replicas do not fetch twice.
 */

const Source = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,39}$', description: 'Names the source in statuses and the audit' }),
    format: Type.Union([Type.Literal('nbp-json'), Type.Literal('nbp-xml'), Type.Literal('ecb-xml')]),
    url: Type.String({ pattern: '^https?://', description: 'Fetched with GET' }),
    quote: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'ecb-xml: the currency rates are stored against (EUR by default)' })),
    afterUtc: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'Fetched from this UTC time of day on (after the source publishes)' }),
  },
  { additionalProperties: false },
);
export const FxFetchConfig = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Fetch the sources daily' }),
    sources: Type.Array(Source, {
      maxItems: 10,
      default: [
        { id: 'nbp-a', format: 'nbp-json', url: 'https://api.nbp.pl/api/exchangerates/tables/A/?format=json', afterUtc: '11:30' },
        { id: 'ecb', format: 'ecb-xml', url: 'https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml', quote: 'EUR', afterUtc: '15:30' },
      ],
    }),
    maxAttempts: Type.Integer({ minimum: 1, maximum: 50, default: 6, description: 'Attempts per source and day before the day is failed' }),
    retryMinutes: Type.Number({ minimum: 0, maximum: 1440, default: 30, description: 'Wait after a failed attempt' }),
    timeoutMs: Type.Integer({ minimum: 100, maximum: 120_000, default: 15_000 }),
    checkEveryMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 300_000, description: 'How often a replica looks for a fetch that is due' }),
  },
  { additionalProperties: false, default: {} },
);
export type FxFetchOptions = Static<typeof FxFetchConfig>;
export type FxSource = FxFetchOptions['sources'][number];

const MAX_BYTES = 5 * 1024 * 1024;
/** How long a claimed attempt holds the row (a replica that died mid-fetch leaves it to another after this). */
const LEASE_MS = 10 * 60_000;

export interface FxFetchStatus {
  source: string;
  format: FxFormat;
  url: string;
  afterUtc: string;
  /** The last day with a fetch row, or null before the first. */
  last: null | {
    date: string;
    status: 'pending' | 'running' | 'succeeded' | 'retrying' | 'failed';
    attempts: number;
    maxAttempts: number;
    nextAttemptAt: string | null;
    lastError: string | null;
    imported: number | null;
    rateDates: string[];
    finishedAt: string | null;
  };
  /** The last day that succeeded (may be the same). */
  lastSuccess: null | { date: string; finishedAt: string; rateDates: string[] };
}

interface Deps {
  options: FxFetchOptions;
  importRates: (ctx: RequestContext, input: { format: FxFormat; content: string; quote?: string }) => Promise<{ imported: number; dates: string[] }>;
  audit: () => AuditService;
}

type Row = { source: string; fetch_date: string; status: NonNullable<FxFetchStatus['last']>['status']; attempts: number; next_attempt_at: Date; last_error: string | null; imported: number | null; rate_dates: string[] | null; finished_at: Date | null };

export function createFxFetcher(deps: Deps) {
  const { options } = deps;
  const day = (now: Date) => now.toISOString().slice(0, 10);
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

  async function download(source: FxSource): Promise<string> {
    const res = await fetch(source.url, { signal: AbortSignal.timeout(options.timeoutMs), redirect: 'follow', headers: { accept: source.format === 'nbp-json' ? 'application/json' : 'application/xml, text/xml' } });
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${source.url}`);
    const text = await res.text();
    if (text.length > MAX_BYTES) throw new Error(`the answer is larger than ${MAX_BYTES} bytes`);
    return text;
  }

  function problem(error: unknown): string {
    if (isAppError(error)) return `${error.code}: ${String((error.params as { detail?: unknown } | undefined)?.detail ?? error.message)}`;
    const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e?.name === 'TimeoutError') return `no answer within ${options.timeoutMs} ms`;
    return [e?.message ?? String(error), e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(': ').slice(0, 500);
  }

  /** One source's fetch for `now`'s day when it is due: claims the day's row, fetches, imports, records the outcome. */
  async function runSource(ctx: RequestContext, source: FxSource, now: Date, anyTime = false): Promise<'skipped' | 'succeeded' | 'retrying' | 'failed'> {
    const date = day(now);
    if (!anyTime && now.getUTCHours() * 60 + now.getUTCMinutes() < minutes(source.afterUtc)) return 'skipped';
    await ctx.em.execute(
      `insert into earning_fx_fetch (source, fetch_date, url, status, next_attempt_at, updated_at) values (?, ?::date, ?, 'pending', ?, ?) on conflict (source, fetch_date) do nothing`,
      [source.id, date, source.url, now, now],
    );
    const claimed = await ctx.em.execute<{ attempts: number }[]>(
      `update earning_fx_fetch set status = 'running', attempts = attempts + 1, url = ?, started_at = ?, next_attempt_at = ?, updated_at = ?
        where source = ? and fetch_date = ?::date and status in ('pending', 'retrying', 'running') and next_attempt_at <= ? and attempts < ?
        returning attempts`,
      [source.url, now, new Date(now.getTime() + LEASE_MS), now, source.id, date, now, options.maxAttempts],
    );
    const attempt = claimed[0]?.attempts;
    if (attempt === undefined) return 'skipped';
    try {
      const content = await download(source);
      const result = await deps.importRates(ctx, { format: source.format as FxFormat, content, ...(source.format === 'ecb-xml' ? { quote: source.quote ?? 'EUR' } : {}) });
      await ctx.em.execute(
        `update earning_fx_fetch set status = 'succeeded', imported = ?, rate_dates = ?::jsonb, last_error = null, finished_at = ?, updated_at = ? where source = ? and fetch_date = ?::date`,
        [result.imported, JSON.stringify(result.dates), new Date(), new Date(), source.id, date],
      );
      return 'succeeded';
    } catch (error) {
      const final = attempt >= options.maxAttempts;
      const message = problem(error);
      const next = new Date(Date.now() + options.retryMinutes * 60_000);
      await ctx.em.transactional(async (em) => {
        await em.execute(
          `update earning_fx_fetch set status = ?, last_error = ?, next_attempt_at = ?, finished_at = ?, updated_at = ? where source = ? and fetch_date = ?::date`,
          [final ? 'failed' : 'retrying', message, next, final ? new Date() : null, new Date(), source.id, date],
        );
        deps.audit().record({ ...ctx, em }, {
          action: 'earning.fx-fetch.failed',
          subjectType: 'earning-fx-fetch',
          subjectId: `${source.id}:${date}`,
          data: { source: source.id, url: source.url, date, attempt, maxAttempts: options.maxAttempts, final, error: message, ...(final ? {} : { nextAttemptAt: next.toISOString() }) },
        });
      });
      ctx.log.warn({ source: source.id, date, attempt, final, error: message }, 'exchange rate fetch failed');
      return final ? 'failed' : 'retrying';
    }
  }

  return {
    options,
    /**
     * An admin's "fetch now": the source's fetch for today starts again (attempts from zero, before its hour too) and
     * runs at once; audited (earning.fx-fetch.requested), the outcome as the scheduled task records it.
     */
    async runNow(ctx: RequestContext, sourceId: string, now = new Date()) {
      const source = options.sources.find((s) => s.id === sourceId);
      if (!source) return null;
      const date = day(now);
      await ctx.em.transactional(async (em) => {
        await em.execute(
          `insert into earning_fx_fetch (source, fetch_date, url, status, next_attempt_at, updated_at) values (?, ?::date, ?, 'pending', ?, ?)
             on conflict (source, fetch_date) do update set status = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at
             where earning_fx_fetch.status <> 'running' or earning_fx_fetch.next_attempt_at <= excluded.updated_at`,
          [source.id, date, source.url, now, now],
        );
        deps.audit().record({ ...ctx, em }, { action: 'earning.fx-fetch.requested', subjectType: 'earning-fx-fetch', subjectId: `${source.id}:${date}`, data: { source: source.id, url: source.url, date } });
      });
      return runSource(ctx, source, now, true);
    },

    /** The scheduled task: every configured source whose fetch is due now. */
    async runDue(ctx: RequestContext, now = new Date()): Promise<Record<string, string>> {
      const outcome: Record<string, string> = {};
      if (!options.enabled) return outcome;
      for (const source of options.sources) outcome[source.id] = await runSource(ctx, source, now);
      return outcome;
    },

    /** Each configured source with its last day's fetch and its last success. */
    async status(ctx: RequestContext): Promise<{ enabled: boolean; sources: FxFetchStatus[] }> {
      const ids = options.sources.map((s) => s.id);
      const rows = ids.length
        ? await ctx.em.execute<(Row & { last_success: boolean })[]>(
            `select * from (
               select distinct on (source) source, to_char(fetch_date, 'YYYY-MM-DD') as fetch_date, status, attempts, next_attempt_at, last_error, imported, rate_dates, finished_at, false as last_success
                 from earning_fx_fetch where source in (select jsonb_array_elements_text(?::jsonb)) order by source, fetch_date desc) l
             union all
             select * from (
               select distinct on (source) source, to_char(fetch_date, 'YYYY-MM-DD') as fetch_date, status, attempts, next_attempt_at, last_error, imported, rate_dates, finished_at, true as last_success
                 from earning_fx_fetch where source in (select jsonb_array_elements_text(?::jsonb)) and status = 'succeeded' order by source, fetch_date desc) s`,
            [JSON.stringify(ids), JSON.stringify(ids)],
          )
        : [];
      const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
      return {
        enabled: options.enabled,
        sources: options.sources.map((s): FxFetchStatus => {
          const last = rows.find((r) => r.source === s.id && !r.last_success);
          const success = rows.find((r) => r.source === s.id && r.last_success);
          return {
            source: s.id,
            format: s.format as FxFormat,
            url: s.url,
            afterUtc: s.afterUtc,
            last: last
              ? {
                  date: last.fetch_date,
                  status: last.status,
                  attempts: last.attempts,
                  maxAttempts: options.maxAttempts,
                  nextAttemptAt: last.status === 'retrying' || last.status === 'pending' ? iso(last.next_attempt_at) : null,
                  lastError: last.last_error,
                  imported: last.imported,
                  rateDates: last.rate_dates ?? [],
                  finishedAt: iso(last.finished_at),
                }
              : null,
            lastSuccess: success ? { date: success.fetch_date, finishedAt: iso(success.finished_at)!, rateDates: success.rate_dates ?? [] } : null,
          };
        }),
      };
    },
  };
}
export type FxFetcher = ReturnType<typeof createFxFetcher>;
