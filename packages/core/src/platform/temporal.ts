import { Connection, WorkflowClient, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { createServiceRef, type Logger, type SignalWorkflowRequest, type StartWorkflowRequest } from '@laurel/plugin-sdk';

export type TemporalStatus = { status: 'up'; address: string } | { status: 'down'; address: string; reason: string } | { status: 'disabled' };

/** The platform's door to Temporal. Modules start workflows through `ctx.startWorkflow` (the outbox) instead. */
export interface TemporalGateway {
  status(): Promise<TemporalStatus>;
  /** Start a workflow; an already running workflow with the same id counts as started (idempotent). */
  startWorkflow(request: StartWorkflowRequest): Promise<{ started: boolean }>;
  signalWorkflow(request: SignalWorkflowRequest): Promise<void>;
  /**
   * Whether a workflow runs: `running`, how it ended, or `not-found` (never started, or gone past retention). Throws
   * when Temporal cannot be asked; optional for gateways that cannot tell.
   */
  describeWorkflow?(workflowId: string): Promise<WorkflowRunState>;
  close(): Promise<void>;
}

export type WorkflowRunState = 'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed-out' | 'continued-as-new' | 'not-found';

export const temporalGatewayRef = createServiceRef<TemporalGateway>('platform.temporal');

export class TemporalUnavailableError extends Error {
  constructor(reason: string) {
    super(`Temporal is unavailable: ${reason}`);
    this.name = 'TemporalUnavailableError';
  }
}

export interface TemporalSettings {
  address: string | null;
  namespace: string;
  taskQueue: string;
}

export function createTemporalGateway(settings: TemporalSettings, log: Logger): TemporalGateway {
  let connection: Connection | null = null;
  let connecting: Promise<Connection> | null = null;

  const connect = async (): Promise<Connection> => {
    if (!settings.address) throw new TemporalUnavailableError('no TEMPORAL_ADDRESS is configured');
    if (connection) return connection;
    connecting ??= Connection.connect({ address: settings.address, connectTimeout: '3s' })
      .then((c) => {
        connection = c;
        log.info({ address: settings.address }, 'connected to Temporal');
        return c;
      })
      .finally(() => {
        connecting = null;
      });
    return connecting;
  };

  const client = async (): Promise<WorkflowClient> => new WorkflowClient({ connection: await connect(), namespace: settings.namespace });

  return {
    async status() {
      if (!settings.address) return { status: 'disabled' };
      try {
        const c = await connect();
        await c.healthService.check({}, { timeout: 2000 } as never);
        return { status: 'up', address: settings.address };
      } catch (error) {
        return { status: 'down', address: settings.address, reason: error instanceof Error ? error.message : String(error) };
      }
    },
    async startWorkflow(request) {
      const wf = await client();
      try {
        await wf.start(request.workflowType, {
          workflowId: request.workflowId,
          taskQueue: request.taskQueue ?? settings.taskQueue,
          args: request.args,
        });
        return { started: true };
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return { started: false };
        throw error;
      }
    },
    async signalWorkflow(request) {
      const wf = await client();
      await wf.getHandle(request.workflowId).signal(request.signal, ...request.args);
    },
    async describeWorkflow(workflowId) {
      const wf = await client();
      try {
        const described = await wf.getHandle(workflowId).describe();
        const name = described.status.name;
        if (name === 'RUNNING' || name === 'PAUSED' || name === 'UNSPECIFIED' || name === 'UNKNOWN') return 'running';
        return name.toLowerCase().replaceAll('_', '-') as WorkflowRunState;
      } catch (error) {
        if (error instanceof Error && error.name === 'WorkflowNotFoundError') return 'not-found';
        throw error;
      }
    },
    async close() {
      await connection?.close();
      connection = null;
    },
  };
}
