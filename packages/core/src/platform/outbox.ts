import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { EventName, Logger } from '@laurel/plugin-sdk';
import type { PluginHost } from './host.ts';
import { DEFAULT_LOCALE } from './i18n.ts';

export interface OutboxOptions {
  batchSize: number;
  pollIntervalMs: number;
  /** First retry delay; doubles per attempt up to `retryMaxMs`, with ±20 % jitter. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long a claimed delivery is leased to this process before another replica may take it. */
  leaseMs: number;
}

export const DEFAULT_OUTBOX_OPTIONS: OutboxOptions = {
  batchSize: 50,
  pollIntervalMs: 500,
  retryBaseMs: 1000,
  retryMaxMs: 5 * 60_000,
  leaseMs: 60_000,
};

export interface DrainResult {
  delivered: number;
  retried: number;
  dead: number;
}

interface ClaimedRow {
  id: string;
  listener: string;
  attempts: number;
  max_attempts: number;
  event_id: string;
  name: string;
  payload: unknown;
  occurred_at: Date | string;
}

export function retryDelayMs(attempt: number, options: Pick<OutboxOptions, 'retryBaseMs' | 'retryMaxMs'>, random: () => number = Math.random): number {
  const base = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.max(0, attempt - 1));
  const jitter = 1 + (random() * 0.4 - 0.2);
  return Math.max(1, Math.round(base * jitter));
}

/**
 * Delivers outbox events to listeners after commit, at least once. Deliveries are claimed with
 * `FOR UPDATE SKIP LOCKED` and leased, so any number of server replicas can drain the same outbox;
 * the listener runs outside the claiming transaction. A failing delivery is retried with exponential
 * backoff and, past its attempts, parked as `dead` for an admin to replay.
 */
export class OutboxDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = true;

  private readonly orm: MikroORM;
  private readonly host: PluginHost;
  private readonly log: Logger;
  private readonly options: OutboxOptions;
  private readonly onResult: (result: DrainResult) => void;

  constructor(orm: MikroORM, host: PluginHost, log: Logger, options: OutboxOptions, onResult: (result: DrainResult) => void = () => {}) {
    this.orm = orm;
    this.host = host;
    this.log = log;
    this.options = options;
    this.onResult = onResult;
  }

  /** Claim and deliver one batch of due deliveries. */
  async drainOnce(): Promise<DrainResult> {
    const result: DrainResult = { delivered: 0, retried: 0, dead: 0 };
    const keys = this.host.listenerKeys();
    if (keys.length === 0) return result;
    const em = this.orm.em.fork() as EntityManager;
    const claimed = await em.transactional(async (tx) =>
      tx.execute<ClaimedRow[]>(
        `with picked as (
           select d.id from laurel_outbox_delivery d
            where d.status = 'pending' and d.available_at <= now() and d.listener in (?)
            order by d.available_at, d.id
            limit ?
            for update skip locked
         )
         update laurel_outbox_delivery d
            set attempts = d.attempts + 1,
                available_at = now() + (? * interval '1 millisecond'),
                updated_at = now()
           from picked, laurel_outbox_event e
          where d.id = picked.id and e.id = d.event_id
      returning d.id, d.listener, d.attempts, d.max_attempts, d.event_id, e.name, e.payload, e.occurred_at`,
        [keys, this.options.batchSize, this.options.leaseMs],
      ),
    );
    for (const row of claimed) {
      const listener = this.host.listener(row.listener);
      if (!listener) continue;
      const ctx = this.host.createContext({
        requestId: `outbox-${row.id}`,
        locale: DEFAULT_LOCALE,
        actor: { kind: 'system', name: `listener:${row.listener}` },
        em: this.orm.em.fork({ useContext: true }) as EntityManager,
        log: this.log,
      });
      try {
        await listener.handle(
          {
            id: row.event_id,
            name: row.name as EventName,
            payload: row.payload as never,
            occurredAt: new Date(row.occurred_at),
            attempt: row.attempts,
          },
          ctx,
        );
        await em.execute(`update laurel_outbox_delivery set status = 'delivered', delivered_at = now(), last_error = null, updated_at = now() where id = ?`, [row.id]);
        result.delivered += 1;
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        if (row.attempts >= row.max_attempts) {
          await em.execute(`update laurel_outbox_delivery set status = 'dead', last_error = ?, updated_at = now() where id = ?`, [message.slice(0, 4000), row.id]);
          this.log.error({ delivery: row.id, listener: row.listener, event: row.name, attempts: row.attempts, err: error }, 'outbox delivery parked in the dead-letter list');
          result.dead += 1;
        } else {
          const delay = retryDelayMs(row.attempts, this.options);
          await em.execute(
            `update laurel_outbox_delivery set last_error = ?, available_at = now() + (? * interval '1 millisecond'), updated_at = now() where id = ?`,
            [message.slice(0, 4000), delay, row.id],
          );
          this.log.warn({ delivery: row.id, listener: row.listener, event: row.name, attempt: row.attempts, retryInMs: delay, err: error }, 'outbox delivery failed; will retry');
          result.retried += 1;
        }
      }
    }
    this.onResult(result);
    return result;
  }

  /** Drain until nothing is due (tests and `laurel dev` seeding use it). */
  async drainUntilIdle(maxRounds = 100): Promise<DrainResult> {
    const total: DrainResult = { delivered: 0, retried: 0, dead: 0 };
    for (let i = 0; i < maxRounds; i += 1) {
      const r = await this.drainOnce();
      total.delivered += r.delivered;
      total.retried += r.retried;
      total.dead += r.dead;
      if (r.delivered + r.retried + r.dead === 0) break;
    }
    return total;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = async (): Promise<void> => {
      if (this.stopped) return;
      this.running = this.drainUntilIdle(10).catch((error: unknown) => this.log.error({ err: error }, 'outbox drain failed'));
      await this.running;
      this.running = null;
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.options.pollIntervalMs);
    };
    this.timer = setTimeout(() => void tick(), 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
