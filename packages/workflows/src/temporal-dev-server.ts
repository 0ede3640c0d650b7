import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { freePort } from '@laurel/core';

export interface TemporalDevServer {
  address: string;
  stop(): Promise<void>;
}

/**
 * Run `temporal server start-dev` from a Temporal CLI binary, with its state in `dbFile` (kept across
 * restarts), and wait until its frontend answers.
 */
export async function startTemporalDevServer(options: { binary: string; dbFile: string; namespace?: string; onLog?: (line: string) => void }): Promise<TemporalDevServer> {
  const port = await freePort();
  const uiPort = await freePort();
  const address = `127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    options.binary,
    ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), '--db-filename', options.dbFile, '--namespace', options.namespace ?? 'default', '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = options.onLog ?? (() => {});
  child.stdout?.on('data', (d: Buffer) => log(d.toString().trim()));
  child.stderr?.on('data', (d: Buffer) => log(d.toString().trim()));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`temporal dev server exited with code ${code}`))));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const connection = await Promise.race([Connection.connect({ address, connectTimeout: '1s' }), exited]);
      await connection.close();
      break;
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw error;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  exited.catch(() => {});
  return {
    address,
    async stop() {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    },
  };
}
