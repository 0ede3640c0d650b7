import type { CanonicalEvent, EarningInbox, InboxItemResult, RequestContext } from '@laurel/plugin-sdk';
import { itemProblem } from './earning.routes.ts';
import type { EarningService } from './earning.service.ts';
import { validateEvent } from './earning.schemas.ts';

/** The same limit as `POST /earning/events/batch`: larger arrays go in chunks of this size. */
const CHUNK = 1000;

function invalid(errors: unknown): Error {
  return Object.assign(new Error('invalid event'), { validation: errors, validationContext: 'body' });
}

/**
 * `earningInboxRef`: the inbox as plugins reach it — the same validation, keys, replays, unmatched queue and
 * per-item problems as the HTTP routes, without HTTP.
 */
export function createEarningInbox(earning: () => EarningService): EarningInbox {
  const validate: EarningInbox['validate'] = (ctx, event, options) => {
    const checked = validateEvent(event);
    return checked.ok ? { ok: true, event: checked.event } : { ok: false, problem: itemProblem(ctx, invalid(checked.errors), options?.prefix ?? '/body') };
  };
  return {
    validate,
    async ingest(ctx: RequestContext, event: CanonicalEvent, options) {
      const checked = validateEvent(event);
      if (!checked.ok) throw invalid(checked.errors);
      return earning().ingest(ctx, checked.event, options?.prefix ?? '/body');
    },
    async ingestMany(ctx, events, options) {
      const base = options?.prefix ?? '/events';
      const items: InboxItemResult[] = [];
      for (let start = 0; start < events.length; start += CHUNK) {
        const valid: { index: number; event: CanonicalEvent; prefix: string }[] = [];
        for (let index = start; index < Math.min(events.length, start + CHUNK); index += 1) {
          const prefix = `${base}/${index}`;
          const checked = validate(ctx, events[index], { prefix });
          if (checked.ok) valid.push({ index, event: checked.event, prefix });
          else items[index] = { index, ok: false, problem: checked.problem };
        }
        const answers = await earning().ingestMany(ctx, valid);
        answers.forEach((a, k) => {
          const { index, prefix } = valid[k]!;
          items[index] = a.ok ? { index, ok: true, event: a.outcome } : { index, ok: false, problem: itemProblem(ctx, a.error, prefix) };
        });
      }
      const accepted = items.filter((i) => i.ok).length;
      return { accepted, refused: items.length - accepted, items };
    },
  };
}
