import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export type TemporalSource = { kind: 'address'; address: string } | { kind: 'binary'; path: string } | { kind: 'none' };

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where a Temporal server can be had: `TEMPORAL_ADDRESS` if set; else a `temporal` CLI binary
 * (`TEMPORAL_CLI_PATH`, then PATH) that can run a dev server; else none.
 */
export function findTemporal(env: Record<string, string | undefined>): TemporalSource {
  if (env.TEMPORAL_ADDRESS) return { kind: 'address', address: env.TEMPORAL_ADDRESS };
  if (env.TEMPORAL_CLI_PATH && executable(env.TEMPORAL_CLI_PATH)) return { kind: 'binary', path: env.TEMPORAL_CLI_PATH };
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'temporal');
    if (executable(candidate)) return { kind: 'binary', path: candidate };
  }
  return { kind: 'none' };
}
