import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The web app built by `pnpm build` in this repository, when present. */
export function defaultWebDir(): string {
  return fileURLToPath(new URL('../../../web/build', import.meta.url));
}

export function webIsBuilt(dir: string = defaultWebDir()): boolean {
  return existsSync(`${dir}/handler.js`);
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

/**
 * Close the app (requests in flight, background tasks, connections); 0 when done, 1 with one line on stderr when it
 * takes longer than `ms` (the process then exits anyway, as a supervisor would have killed it).
 */
export async function closeWithin(app: { close(): Promise<unknown> }, ms: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const outcome = await Promise.race([app.close().then(() => 'closed' as const), late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    console.error(`laurel: shutting down took longer than ${ms / 1000} s; exiting anyway`);
    return 1;
  }
  return 0;
}
