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
