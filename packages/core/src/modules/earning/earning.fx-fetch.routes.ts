import { AppError, Type, type PluginSetupContext, type RequestContext } from '@laurel/plugin-sdk';
import { auditServiceRef } from '../audit/index.ts';
import { createFxFetcher, type FxFetchOptions } from './earning.fx-fetch.ts';
import type { EarningService } from './earning.service.ts';

const Status = Type.Union([Type.Literal('pending'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('retrying'), Type.Literal('failed')]);
const SourceStatus = Type.Object({
  source: Type.String(),
  format: Type.Union([Type.Literal('nbp-json'), Type.Literal('nbp-xml'), Type.Literal('ecb-xml')]),
  url: Type.String(),
  afterUtc: Type.String({ description: 'Fetched daily from this UTC time on' }),
  last: Type.Union([
    Type.Object({
      date: Type.String({ format: 'date', description: 'The UTC day of the fetch' }),
      status: Status,
      attempts: Type.Integer(),
      maxAttempts: Type.Integer(),
      nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      lastError: Type.Union([Type.String(), Type.Null()]),
      imported: Type.Union([Type.Integer(), Type.Null()]),
      rateDates: Type.Array(Type.String({ format: 'date' }), { description: 'The days of the rates the file held' }),
      finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    }),
    Type.Null(),
  ]),
  lastSuccess: Type.Union([Type.Object({ date: Type.String({ format: 'date' }), finishedAt: Type.String({ format: 'date-time' }), rateDates: Type.Array(Type.String({ format: 'date' })) }), Type.Null()]),
});
const FetchStatus = Type.Object({ enabled: Type.Boolean(), sources: Type.Array(SourceStatus) });

/** The daily fetch of exchange rates: the scheduled task `fetch-fx-rates`, its status and an admin's "fetch now". */
export function setupFxFetch(ctx: PluginSetupContext<unknown>, options: FxFetchOptions, earning: () => EarningService): void {
  const fetcher = createFxFetcher({ options, importRates: (c, input) => earning().importRates(c, input), audit: ctx.inject(auditServiceRef) });
  const run = async (taskCtx: RequestContext) => {
    const outcome = await fetcher.runDue(taskCtx);
    const done = Object.entries(outcome).filter(([, o]) => o !== 'skipped');
    if (done.length) taskCtx.log.info({ outcome }, 'exchange rates fetched');
  };
  if (options.enabled) ctx.every('fetch-fx-rates', options.checkEveryMs, run);
  ctx.routes((router) => {
    router.get(
      '/fx-fetches',
      {
        config: { access: 'earning:manage' },
        schema: { tags: ['earning'], summary: 'The scheduled exchange-rate fetch: each configured source with its last day’s status (attempts, error) and last success', response: { 200: FetchStatus } },
      },
      async (request) => fetcher.status(request.ctx),
    );
    router.post(
      '/fx-fetches/:source/run',
      {
        config: { access: 'earning:manage' },
        schema: {
          tags: ['earning'],
          summary: 'Fetch a source now: today’s fetch starts again (attempts from zero) and runs at once; audited',
          params: Type.Object({ source: Type.String({ maxLength: 40 }) }),
          response: { 200: FetchStatus },
        },
      },
      async (request) => {
        const outcome = await fetcher.runNow(request.ctx, request.params.source);
        if (outcome === null) {
          const params = { source: request.params.source, known: options.sources.map((s) => s.id).join(', ') };
          throw new AppError('EARNING_FX_SOURCE_UNKNOWN', 404, { params, fields: [{ field: '/params/source', messageKey: 'errors.EARNING_FX_SOURCE_UNKNOWN', params }] });
        }
        return fetcher.status(request.ctx);
      },
    );
  });
}
