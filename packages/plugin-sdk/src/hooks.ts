/**
 * Typed hook registries. Modules and plugins add their event and filter names by augmenting these
 * interfaces, so a misspelt name is a compile error:
 *
 *   declare module '@laurel/plugin-sdk' {
 *     interface LaurelEvents { 'ledger.entry.posted': { entryId: string } }
 *     interface LaurelFilters { 'partner.validate': { value: PartnerDraft } }
 *   }
 *
 * Event names follow `<module>.<entity>.<past-tense>`.
 */
import type { SignalWorkflowRequest, StartWorkflowRequest } from './context.ts';

/** What `earning.event.processed` carries: enough for a listener to keep its own turnover and points figures. */
export interface EarningEventProcessed {
  /** The inbox's id of the event (`InboxOutcome.id`). */
  eventId: string;
  /** The canonical type: `invoice.issued`, `deal.won`, `custom.<name>` … */
  type: string;
  programId: string;
  partnerId: string;
  occurredAt: string;
  /** Points this event posted (issued, corrected: negative when taken back; paid: released to available). */
  points: number;
  /** The invoice.issued event an invoice event belongs to (itself for invoice.issued); null for other events. */
  invoiceEventId: string | null;
  /** Net value of the invoice after this event, in the program currency's minor units (issued, corrected, returned). */
  netTotal: number | null;
  /** The invoice's lines after this event, in the invoice currency (issued, corrected, returned). */
  lines: { sku: string; category?: string; netAmount: number }[] | null;
}

/**
 * The events a plugin may listen to. Core modules' public events are declared here, so a plugin compiled on its own
 * sees them; a module or plugin adds its own by augmentation (the same name declared again must have the same type).
 */
export interface LaurelEvents {
  /** (earning) An event of the inbox was processed for a partner: points posted, or none earned. */
  'earning.event.processed': EarningEventProcessed;
  /** (webhooks) An outbound webhook subscription was turned off after persistent failure. */
  'webhooks.subscription.disabled': { subscriptionId: string; url: string; reason: 'failing'; consecutiveFailures: number; failingSince: string };
  /** Emitted by `ctx.startWorkflow`; the platform starts the workflow, retrying while Temporal is unreachable. */
  'system.workflow.start-requested': StartWorkflowRequest;
  /** Emitted by `ctx.signalWorkflow`; the platform delivers the signal, retrying likewise. */
  'system.workflow.signal-requested': SignalWorkflowRequest;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LaurelFilters {}

export type EventName = keyof LaurelEvents & string;
export type FilterName = keyof LaurelFilters & string;
export type EventPayload<N extends EventName> = LaurelEvents[N];
export type FilterValue<N extends FilterName> = LaurelFilters[N] extends { value: infer V } ? V : never;

/** An event as a listener receives it: delivered after commit, at least once. */
export interface DeliveredEvent<N extends EventName = EventName> {
  /** Outbox id of the event: the same on every redelivery, use it for idempotency. */
  id: string;
  name: N;
  payload: EventPayload<N>;
  occurredAt: Date;
  /** 1 on the first delivery to this listener, 2 on the first retry, … */
  attempt: number;
}

export interface ListenerOptions {
  /** Stable name of the listener within its plugin (deliveries are tracked per listener). */
  name?: string;
  /** Deliveries tried before the event is parked in the dead-letter list (default 8). */
  maxAttempts?: number;
}
