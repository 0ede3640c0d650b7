import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ActivityDeps } from '@laurel/plugin-sdk';
import type { LaurelApp } from '@laurel/core';
import { createApprovalActivities } from './approval/approval.activities.ts';
import { createRedemptionActivities } from './redemption/redemption.activities.ts';

export const CORE_WORKFLOWS_PATH = fileURLToPath(new URL('./workflows.ts', import.meta.url));

/**
 * The module the worker bundles: core workflows plus every enabled plugin's contribution. With no
 * plugin workflows it is the core module itself; otherwise a generated index re-exports them all.
 */
export function workflowsEntry(laurel: Pick<LaurelApp, 'host'>): string {
  const extra = laurel.host.workflowContributions.map((c) => c.contribution.workflowsPath);
  if (extra.length === 0) return CORE_WORKFLOWS_PATH;
  const dir = mkdtempSync(join(tmpdir(), 'laurel-workflows-'));
  const file = join(dir, 'index.ts');
  writeFileSync(file, [CORE_WORKFLOWS_PATH, ...extra].map((p) => `export * from ${JSON.stringify(pathToFileURL(p).pathname)};`).join('\n'));
  return file;
}

/** Services the activities may use: a system request context and the plugins' service refs. */
export function activityDeps(laurel: Pick<LaurelApp, 'host' | 'orm' | 'app'>): ActivityDeps {
  return {
    systemContext: (name) =>
      laurel.host.createContext({
        requestId: `activity-${name}-${Date.now().toString(36)}`,
        locale: 'en',
        actor: { kind: 'system', name },
        em: laurel.orm.em.fork({ useContext: true }) as never,
        log: laurel.app.log,
      }),
    inject: (ref) => laurel.host.service(ref),
  };
}

export function allActivities(laurel: Pick<LaurelApp, 'host' | 'orm' | 'app'>): Record<string, (...args: never[]) => Promise<unknown>> {
  const deps = activityDeps(laurel);
  const activities: Record<string, (...args: never[]) => Promise<unknown>> = { ...createApprovalActivities(deps), ...createRedemptionActivities(deps) };
  for (const { pluginId, contribution } of laurel.host.workflowContributions) {
    for (const [name, fn] of Object.entries(contribution.createActivities?.(deps) ?? {})) {
      if (activities[name]) throw new Error(`Plugin "${pluginId}" contributes activity "${name}", which another module already has`);
      activities[name] = fn;
    }
  }
  return activities;
}

/** Bundle the workflow code the way the worker does (also catches non-deterministic imports early). */
export async function bundleWorkflows(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never });
}

export interface LaurelWorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
}

/** A Temporal worker with core and plugin workflows and activities on one task queue. */
export async function createLaurelWorker(laurel: LaurelApp, options: LaurelWorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: await bundleWorkflows(workflowsEntry(laurel)),
    activities: allActivities(laurel),
  });
  return { worker, connection };
}
