import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Header the server sets for the web app: the request's protocol as Fastify sees it (honouring trustProxy). */
export const WEB_PROTOCOL_HEADER = 'x-laurel-protocol';

export type WebHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** Load the SvelteKit app built with adapter-node (`<dir>/handler.js`), or null when it is not built. */
export async function loadWebHandler(dir: string | null): Promise<WebHandler | null> {
  if (!dir) return null;
  const file = join(dir, 'handler.js');
  if (!existsSync(file)) return null;
  // adapter-node takes the protocol from this header (else it assumes https and SvelteKit's CSRF check
  // refuses form posts over plain http); the server sets it from Fastify's view of the request below.
  process.env.PROTOCOL_HEADER ??= WEB_PROTOCOL_HEADER;
  // Form posts may carry a CSV import of up to the API's 10 MiB (adapter-node's default is 512 KiB).
  process.env.BODY_SIZE_LIMIT ??= '11M';
  const mod = (await import(pathToFileURL(file).href)) as { handler: WebHandler };
  return mod.handler;
}

/** Paths the API owns: an unknown one is a problem+json 404, never the web app. */
export function isApiPath(url: string): boolean {
  return /^\/(api|health|metrics)(\/|$|\?)/.test(url);
}
